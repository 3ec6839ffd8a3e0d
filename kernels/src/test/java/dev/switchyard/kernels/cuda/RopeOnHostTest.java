package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.RopeSpec;
import dev.switchyard.kernels.cpu.CpuBackend;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rotary position embedding ({@code rope.cu}) run on the host, its 128 threads as fibers
 * ({@code kernels/src/test/cuda/rope_host.cpp}), given what {@link CudaBackend#rope} gives it (the
 * spec's {@link RopeSpec#frequencies()}, linear scale and {@link RopeSpec#magnitude()}), against the
 * CPU backend: neox and adjacent pairs, whole and partial rotation, linear scaling and YaRN (its
 * per-pair frequencies and magnitude), 6 heads of 64 so that the block's threads walk the (head,
 * pair) combinations twice, and columns past the heads. Within 1e-6 of the output's RMS, as
 * {@code CudaBackendOpsTest} holds the GPU to; the values that do not rotate (past a head's rotating
 * dimensions, past the heads) exactly as they were. Skipped, with the reason, where no C++ compiler
 * or no source tree is at hand.
 */
@SuppressWarnings("restricted")
class RopeOnHostTest {

    private static final int HEADS = 6;
    private static final int HEAD_DIM = 64;
    private static final int COLS = HEADS * HEAD_DIM + 8;
    private static final int[] POSITIONS = {0, 1, 17, 300, 4095, 20000};

    @TempDir
    static Path dir;

    private static MethodHandle rope;
    private static CpuBackend cpu;

    @BeforeAll
    static void build() throws IOException, InterruptedException {
        SymbolLookup lookup = HostHarness.build("kernels/src/test/cuda/rope_host.cpp", dir, "-std=c++20", "-pthread");
        ValueLayout.OfInt i = ValueLayout.JAVA_INT;
        ValueLayout.OfDouble d = ValueLayout.JAVA_DOUBLE;
        ValueLayout a = ValueLayout.ADDRESS;
        rope = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("rope_host"), FunctionDescriptor.ofVoid(
                a, a, a, i, i, i, i, i, d, d, i));
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        if (cpu != null) {
            cpu.close();
        }
    }

    private static float[] onCpu(float[] x, RopeSpec spec) {
        int tokens = POSITIONS.length;
        FloatMatrix m = GpuTests.matrix(cpu, x, tokens, COLS);
        cpu.rope(m, POSITIONS, HEADS, HEAD_DIM, spec, tokens);
        return GpuTests.read(m, tokens);
    }

    private static float[] onHost(float[] x, RopeSpec spec) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment xd = a.allocateFrom(ValueLayout.JAVA_FLOAT, x);
            rope.invokeExact(xd, a.allocateFrom(ValueLayout.JAVA_INT, POSITIONS),
                    a.allocateFrom(ValueLayout.JAVA_DOUBLE, spec.frequencies()), COLS, HEADS, HEAD_DIM, spec.dims() / 2,
                    spec.neox() ? 1 : 0, spec.linearScale(), spec.magnitude(), POSITIONS.length);
            return xd.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    private static void assertSameRotation(RopeSpec spec) throws Throwable {
        float[] x = GpuTests.gaussian(13, POSITIONS.length * COLS, 1.5f);
        float[] actual = onHost(x, spec);
        GpuTests.assertClose(actual, onCpu(x, spec), 1e-6, "rope " + spec);
        for (int t = 0; t < POSITIONS.length; t++) {
            for (int c = 0; c < COLS; c++) {
                int i = t * COLS + c;
                if (c >= HEADS * HEAD_DIM || c % HEAD_DIM >= spec.dims()) {
                    assertThat(actual[i]).as("%s: token %d, column %d passes through", spec, t, c).isEqualTo(x[i]);
                }
            }
        }
    }

    @Test
    void neoxAndAdjacentPairsWholeAndPartialWithLinearScaling() throws Throwable {
        assertSameRotation(new RopeSpec(false, 64, 10000, 1));
        assertSameRotation(new RopeSpec(true, 64, 1_000_000, 1));
        assertSameRotation(new RopeSpec(true, 32, 10000, 4));
        assertSameRotation(new RopeSpec(false, 48, 500_000, 2));
    }

    @Test
    void yarnFrequenciesAndMagnitude() throws Throwable {
        RopeSpec[] specs = {
            new RopeSpec(true, 64, 1_000_000, 1, new RopeSpec.Yarn(4, 2048, 32, 1, 1, 0.9)),
            new RopeSpec(false, 64, 10000, 1, RopeSpec.Yarn.of(8, 4096)),
            new RopeSpec(true, 48, 150_000, 1, RopeSpec.Yarn.of(16, 4096)),
            new RopeSpec(false, 64, 10000, 1, new RopeSpec.Yarn(4, 2048, 32, 1, 0, 1))};   // no extrapolation
        for (RopeSpec spec : specs) {
            assertSameRotation(spec);
        }
    }
}
