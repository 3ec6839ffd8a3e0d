package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A MoE layer routed on the device ({@code moe_route}, then {@code moe_experts.cu}: plan, gate/up
 * with SiLU, down, combine) run on the host, threads as threads, against the host path written out
 * with CPU backend ops: per token, softmax over the router, the top-k experts (renormalized), and
 * for each chosen expert in ascending order {@code x += w * down(silu(gate h) * up h)}. Generic
 * and 16-byte-load entry points (Q8_0's through shared memory), one token (the wide kernels'
 * single-token tile) and several; the chosen experts read back as the engine's load metrics read
 * them.
 * Within 1e-5 of the residual's RMS. Skipped, with the reason, where no C++ compiler is at hand.
 */
@SuppressWarnings("restricted")
class RoutedExpertsOnHostTest {

    private static final int E = 8;
    private static final int K = 2;
    private static final int DIM = 256;
    private static final int FFN = 256;

    @TempDir
    static Path dir;

    private static MethodHandle layer;
    private static CpuBackend cpu;

    @BeforeAll
    static void build() throws IOException, InterruptedException {
        SymbolLookup lookup = HostHarness.build("kernels/src/test/cuda/moe_experts_host.cpp", dir, "-std=c++20", "-pthread");
        ValueLayout.OfInt i = ValueLayout.JAVA_INT;
        ValueLayout.OfLong l = ValueLayout.JAVA_LONG;
        ValueLayout a = ValueLayout.ADDRESS;
        layer = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("moe_layer_host"), FunctionDescriptor.of(
                i, i, i, a, a, a, i, i, i, i, a, a, l, l, a, l, l, i, i, a));
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        if (cpu != null) {
            cpu.close();
        }
    }

    /** The host path with CPU backend ops; returns x after the layer and the chosen experts (T, k). */
    private static float[] hostPath(GgmlType type, MemorySegment gate, MemorySegment up, MemorySegment down,
                                    float[] logits, float[] h, float[] x, int tokens, int[] chosen) {
        Weight wg = cpu.weight(type, gate, new long[] {DIM, FFN, E});
        Weight wu = cpu.weight(type, up, new long[] {DIM, FFN, E});
        Weight wd = cpu.weight(type, down, new long[] {FFN, DIM, E});
        float[] out = x.clone();
        float[] row = new float[DIM];
        for (int t = 0; t < tokens; t++) {
            double[] p = new double[E];
            double max = Double.NEGATIVE_INFINITY;
            for (int e = 0; e < E; e++) {
                max = Math.max(max, logits[t * E + e]);
            }
            double sum = 0;
            for (int e = 0; e < E; e++) {
                p[e] = Math.exp(logits[t * E + e] - max);
                sum += p[e];
            }
            boolean[] taken = new boolean[E];
            double total = 0;
            for (int j = 0; j < K; j++) {
                int best = -1;
                for (int e = 0; e < E; e++) {
                    if (!taken[e] && (best < 0 || p[e] > p[best])) {
                        best = e;
                    }
                }
                taken[best] = true;
                chosen[t * K + j] = best;
                total += p[best] / sum;
            }
            System.arraycopy(h, t * DIM, row, 0, DIM);
            FloatMatrix in = GpuTests.matrix(cpu, row, 1, DIM);
            for (int e = 0; e < E; e++) {
                if (!taken[e]) {
                    continue;
                }
                FloatMatrix g = cpu.allocate(1, FFN);
                FloatMatrix u = cpu.allocate(1, FFN);
                FloatMatrix y = cpu.allocate(1, DIM);
                cpu.matmul(wg, e, in, g, 1);
                cpu.matmul(wu, e, in, u, 1);
                cpu.siluMul(g, u, 1);
                cpu.matmul(wd, e, g, y, 1);
                float w = (float) (p[e] / sum / total);
                float[] yr = GpuTests.read(y, 1);
                for (int c = 0; c < DIM; c++) {
                    out[t * DIM + c] = Math.fma(yr[c], w, out[t * DIM + c]);
                }
            }
        }
        return out;
    }

    @Test
    void genericAndWideEntryPointsMatchTheHostPath() throws Throwable {
        // F32 both ways, Q8_0 through its wide kernels (blocks staged in shared memory), Q4_K generic,
        // MXFP4 generic (gpt-oss's experts)
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.MXFP4}) {
            boolean[] widths = type == GgmlType.F32 ? new boolean[] {false, true}
                    : new boolean[] {CudaKernels.wide(type, type.byteSize(DIM), 0, 0)};
            for (boolean wide : widths) {
                for (int tokens : new int[] {1, 3}) {
                    MemorySegment gate = GpuTests.weights(type, 51, FFN, DIM, E);
                    MemorySegment up = GpuTests.weights(type, 52, FFN, DIM, E);
                    MemorySegment down = GpuTests.weights(type, 53, DIM, FFN, E);
                    float[] logits = GpuTests.gaussian(54 + tokens, tokens * E, 2f);
                    float[] h = GpuTests.gaussian(55 + tokens, tokens * DIM, 1f);
                    float[] x = GpuTests.gaussian(56 + tokens, tokens * DIM, 1f);
                    int[] expectedChosen = new int[tokens * K];
                    float[] expected = hostPath(type, gate, up, down, logits, h, x, tokens, expectedChosen);
                    float[] actual;
                    int[] chosen;
                    try (Arena a = Arena.ofConfined()) {
                        MemorySegment xs = a.allocate((long) tokens * DIM * 4, 64);
                        MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT, 0, x.length);
                        MemorySegment hs = a.allocate((long) tokens * DIM * 4, 64);
                        MemorySegment.copy(h, 0, hs, ValueLayout.JAVA_FLOAT, 0, h.length);
                        MemorySegment ids = a.allocate(ValueLayout.JAVA_INT, (long) tokens * K);
                        MemorySegment g = a.allocate(gate.byteSize(), 64).copyFrom(gate);
                        MemorySegment u = a.allocate(up.byteSize(), 64).copyFrom(up);
                        MemorySegment d = a.allocate(down.byteSize(), 64).copyFrom(down);
                        int rc = (int) layer.invokeExact(type.id(), wide ? 1 : 0, a.allocateFrom(ValueLayout.JAVA_FLOAT, logits),
                                hs, xs, tokens, E, K, 1, g, u, type.byteSize((long) FFN * DIM), type.byteSize(DIM), d,
                                type.byteSize((long) DIM * FFN), type.byteSize(FFN), DIM, FFN, ids);
                        assertThat(rc).isZero();
                        actual = xs.toArray(ValueLayout.JAVA_FLOAT);
                        chosen = ids.toArray(ValueLayout.JAVA_INT);
                    }
                    String what = type + (wide ? " wide" : "") + ", " + tokens + " tokens";
                    assertThat(sorted(chosen, tokens)).as(what + ": chosen experts").containsExactly(sorted(expectedChosen, tokens));
                    GpuTests.assertClose(actual, expected, 1e-5, what);
                }
            }
        }
    }

    /** Each token's k experts in ascending order (the kernels and the host path may list them differently). */
    private static int[] sorted(int[] chosen, int tokens) {
        int[] s = chosen.clone();
        for (int t = 0; t < tokens; t++) {
            Arrays.sort(s, t * K, t * K + K);
        }
        return s;
    }
}
