package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.ExpertFfnForm;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.TopKRouting;
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
 * with SiLU, down, combine) run on the host, threads as fibers, against the host path written out
 * with CPU backend ops: per token, softmax over the router, the top-k experts (renormalized), or
 * DeepSeek-V3's sigmoid scores ranked with a selection bias within the best groups, scaled, or
 * Llama 4's weights on the experts' inputs; and
 * for each chosen expert in ascending order {@code x += w * down(silu(gate h) * up h)}; in gpt-oss's
 * form, {@code x += w * (down(swigluClamped(gate h + gb_e, up h + ub_e)) + db_e)}; in Nemotron-H's,
 * without a gate, {@code x += w * down(reluSquared(up h))}; op by op as the engine's ExpertFfn runs it. Generic and 16-byte-load entry points (Q8_0's through shared memory),
 * one token (the wide kernels' single-token tile) and several; the chosen experts read back as the
 * engine's load metrics read them.
 * Within 1e-5 of the residual's RMS. Skipped, with the reason, where no C++ compiler is at hand.
 */
@SuppressWarnings("restricted")
class RoutedExpertsOnHostTest {

    private static final int E = 8;
    private static final int K = 2;
    private static final int DIM = 256;
    private static final int FFN = 512;
    private static final float ALPHA = 1.702f;
    private static final float LIMIT = 7f;

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
        ValueLayout.OfFloat f = ValueLayout.JAVA_FLOAT;
        layer = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("moe_layer_host"), FunctionDescriptor.of(
                i, i, i, a, a, a, i, i, i, i, a, i, i, i, f, i, a, a, l, l, a, l, l, i, i, a, a, a, i, f, f, a));
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        if (cpu != null) {
            cpu.close();
        }
    }

    /**
     * The host path with CPU backend ops; returns x after the layer and the chosen experts (T, k).
     * {@code clamps} counts, over the chosen experts' biased gate and up values, those the clamp
     * bounds: gate above the limit, up above it, up below minus it.
     */
    private static float[] hostPath(GgmlType type, MemorySegment gate, MemorySegment up, MemorySegment down,
                                    ExpertFfnForm form, TopKRouting routing, float[] logits, float[] h, float[] x,
                                    int tokens, int[] chosen, int[] clamps) {
        Weight wg = cpu.weight(type, gate, new long[] {DIM, FFN, E});
        Weight wu = cpu.weight(type, up, new long[] {DIM, FFN, E});
        Weight wd = cpu.weight(type, down, new long[] {FFN, DIM, E});
        FloatMatrix xs = GpuTests.matrix(cpu, x, tokens, DIM);
        float[] row = new float[DIM];
        for (int t = 0; t < tokens; t++) {
            double[] p = scores(routing, logits, t);
            boolean[] allowed = keptGroups(routing, p);
            boolean[] taken = new boolean[E];
            double total = 0;
            for (int j = 0; j < K; j++) {
                int best = -1;
                for (int e = 0; e < E; e++) {
                    if (!taken[e] && allowed[e] && (best < 0 || rank(routing, p, e) > rank(routing, p, best))) {
                        best = e;
                    }
                }
                taken[best] = true;
                chosen[t * K + j] = best;
                total += p[best];
            }
            System.arraycopy(h, t * DIM, row, 0, DIM);
            FloatMatrix in = GpuTests.matrix(cpu, row, 1, DIM);
            for (int e = 0; e < E; e++) {
                if (!taken[e]) {
                    continue;
                }
                float w = (float) ((routing.normalize() ? p[e] / total : p[e]) * routing.weightScale());
                FloatMatrix expertIn = in;
                if (routing.weighsInputs()) {
                    // Llama 4: the weight multiplies the expert's input, and its output joins unweighted
                    expertIn = GpuTests.matrix(cpu, row, 1, DIM);
                    cpu.scaleRows(expertIn, new float[] {w}, 1);
                    w = 1f;
                }
                FloatMatrix g = cpu.allocate(1, FFN);
                FloatMatrix u = cpu.allocate(1, FFN);
                FloatMatrix y = cpu.allocate(1, DIM);
                if (form.ungated()) {
                    // Nemotron-H: down (max(up h, 0))^2
                    cpu.matmul(wu, e, expertIn, u, 1);
                    cpu.reluSquared(u, 1);
                    cpu.matmul(wd, e, u, y, 1);
                    cpu.scatterAddRows(y, new int[] {t}, new float[] {w}, xs, 1);
                    continue;
                }
                cpu.matmul(wg, e, expertIn, g, 1);
                cpu.matmul(wu, e, expertIn, u, 1);
                if (form.biased()) {
                    cpu.addBias(g, form.gateBias(), e * FFN, 1);
                    cpu.addBias(u, form.upBias(), e * FFN, 1);
                }
                if (form.clamped()) {
                    countClamps(GpuTests.read(g, 1), GpuTests.read(u, 1), clamps);
                    cpu.swigluClamped(g, u, form.alpha(), form.limit(), 1);
                } else {
                    cpu.siluMul(g, u, 1);
                }
                cpu.matmul(wd, e, g, y, 1);
                if (form.biased()) {
                    cpu.addBias(y, form.downBias(), e * DIM, 1);
                }
                cpu.scatterAddRows(y, new int[] {t}, new float[] {w}, xs, 1);
            }
        }
        return GpuTests.read(xs, tokens);
    }

    /** A token's scores in double: the softmax of its logits, or each one's sigmoid. */
    private static double[] scores(TopKRouting routing, float[] logits, int t) {
        double[] p = new double[E];
        if (routing.sigmoid()) {
            for (int e = 0; e < E; e++) {
                p[e] = 1 / (1 + Math.exp(-logits[t * E + e]));
            }
            return p;
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int e = 0; e < E; e++) {
            max = Math.max(max, logits[t * E + e]);
        }
        double sum = 0;
        for (int e = 0; e < E; e++) {
            p[e] = Math.exp(logits[t * E + e] - max);
            sum += p[e];
        }
        for (int e = 0; e < E; e++) {
            p[e] /= sum;
        }
        return p;
    }

    /** What ranks expert e: its score plus its selection bias. */
    private static double rank(TopKRouting routing, double[] p, int e) {
        return routing.selectionBias() != null ? p[e] + routing.selectionBias()[e] : p[e];
    }

    /** The experts of the best groups, each group scored by its two best ranks. */
    private static boolean[] keptGroups(TopKRouting routing, double[] p) {
        double[] ranks = new double[E];
        for (int e = 0; e < E; e++) {
            ranks[e] = rank(routing, p, e);
        }
        return GroupLimitReference.allowed(routing, ranks);
    }

    private static void countClamps(float[] g, float[] u, int[] clamps) {
        for (int i = 0; i < g.length; i++) {
            clamps[0] += g[i] > LIMIT ? 1 : 0;
            clamps[1] += u[i] > LIMIT ? 1 : 0;
            clamps[2] += u[i] < -LIMIT ? 1 : 0;
        }
    }

    /** The layer through moe_layer_host; returns x after it, the chosen experts into {@code chosenOut}. */
    private static float[] device(GgmlType type, boolean wide, MemorySegment gate, MemorySegment up,
                                  MemorySegment down, ExpertFfnForm form, TopKRouting routing, float[] logits,
                                  float[] h, float[] x, int tokens, int[] chosenOut) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment xs = a.allocate((long) tokens * DIM * 4, 64);
            MemorySegment.copy(x, 0, xs, ValueLayout.JAVA_FLOAT, 0, x.length);
            MemorySegment hs = a.allocate((long) tokens * DIM * 4, 64);
            MemorySegment.copy(h, 0, hs, ValueLayout.JAVA_FLOAT, 0, h.length);
            MemorySegment ids = a.allocate(ValueLayout.JAVA_INT, (long) tokens * K);
            MemorySegment g = form.ungated() ? MemorySegment.NULL : a.allocate(gate.byteSize(), 64).copyFrom(gate);
            MemorySegment u = a.allocate(up.byteSize(), 64).copyFrom(up);
            MemorySegment d = a.allocate(down.byteSize(), 64).copyFrom(down);
            MemorySegment gb = form.biased() ? a.allocateFrom(ValueLayout.JAVA_FLOAT, form.gateBias()) : MemorySegment.NULL;
            MemorySegment ub = form.biased() ? a.allocateFrom(ValueLayout.JAVA_FLOAT, form.upBias()) : MemorySegment.NULL;
            MemorySegment db = form.biased() ? a.allocateFrom(ValueLayout.JAVA_FLOAT, form.downBias()) : MemorySegment.NULL;
            MemorySegment bias = routing.selectionBias() != null
                    ? a.allocateFrom(ValueLayout.JAVA_FLOAT, routing.selectionBias()) : MemorySegment.NULL;
            int rc = (int) layer.invokeExact(type.id(), wide ? 1 : 0, a.allocateFrom(ValueLayout.JAVA_FLOAT, logits),
                    hs, xs, tokens, E, K, routing.normalize() ? 1 : 0, bias, routing.sigmoid() ? 1 : 0,
                    routing.groupCount(), routing.groupsUsed(), routing.weightScale(), routing.weighsInputs() ? 1 : 0,
                    g, u, type.byteSize((long) FFN * DIM), type.byteSize(DIM), d,
                    type.byteSize((long) DIM * FFN), type.byteSize(FFN), DIM, FFN, gb, ub, db, form.clamped() ? 1 : 0,
                    form.alpha(), form.limit(), ids);
            assertThat(rc).isZero();
            MemorySegment.copy(ids, ValueLayout.JAVA_INT, 0, chosenOut, 0, tokens * K);
            return xs.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    /** Each format's entry points: F32 both ways, the others as CudaKernels would pick for rows of DIM. */
    private static boolean[] widths(GgmlType type) {
        return type == GgmlType.F32 ? new boolean[] {false, true}
                : new boolean[] {CudaKernels.wide(type, type.byteSize(DIM), 0, 0)};
    }

    /** The layer on both paths, in {@code form}, for 1 and 3 tokens; the clamps counted over every run. */
    private static void assertMatchesHostPath(GgmlType type, ExpertFfnForm form, long seed, int[] clamps)
            throws Throwable {
        assertMatchesHostPath(type, form, TopKRouting.softmax(K, true), seed, clamps);
    }

    private static void assertMatchesHostPath(GgmlType type, ExpertFfnForm form, TopKRouting routing, long seed,
                                              int[] clamps) throws Throwable {
        for (boolean wide : widths(type)) {
            for (int tokens : new int[] {1, 3}) {
                MemorySegment gate = GpuTests.weights(type, seed, FFN, DIM, E);
                MemorySegment up = GpuTests.weights(type, seed + 1, FFN, DIM, E);
                MemorySegment down = GpuTests.weights(type, seed + 2, DIM, FFN, E);
                float[] logits = GpuTests.gaussian(seed + 3 + tokens, tokens * E, 2f);
                float[] h = GpuTests.gaussian(seed + 4 + tokens, tokens * DIM, 1f);
                float[] x = GpuTests.gaussian(seed + 5 + tokens, tokens * DIM, 1f);
                int[] expectedChosen = new int[tokens * K];
                float[] expected = hostPath(type, gate, up, down, form, routing, logits, h, x, tokens, expectedChosen,
                        clamps);
                int[] chosen = new int[tokens * K];
                float[] actual = device(type, wide, gate, up, down, form, routing, logits, h, x, tokens, chosen);
                String what = type + (wide ? " wide" : "") + ", " + form + ", " + routing + ", " + tokens + " tokens";
                assertThat(sorted(chosen, tokens)).as(what + ": chosen experts").containsExactly(sorted(expectedChosen, tokens));
                GpuTests.assertClose(actual, expected, 1e-5, what);
            }
        }
    }

    @Test
    void genericAndWideEntryPointsMatchTheHostPath() throws Throwable {
        // F32 both ways, Q8_0 through its wide kernels (blocks staged in shared memory), Q4_K generic,
        // MXFP4 generic (gpt-oss's experts), IQ2_XXS and IQ1_M generic (the grid formats big MoE
        // models are shared in)
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.MXFP4, GgmlType.IQ2_XXS,
            GgmlType.IQ1_M}) {
            assertMatchesHostPath(type, ExpertFfnForm.SWIGLU, 51, new int[3]);
        }
    }

    @Test
    void gptOssBiasedClampedExpertsMatchTheHostPathOpByOp() throws Throwable {
        // the _form_ twins, generic and wide: MXFP4 (gpt-oss's own) and F32 both ways (the twins are
        // one template over the decoders, which the plain test runs in every kernel kind); biases of
        // sigma 4 on top of projections of sigma about 8 (weights 0.5, h 1, D 256), so that the clamp
        // bounds gate from above and up from both sides
        int[] clamps = new int[3];
        for (GgmlType type : new GgmlType[] {GgmlType.MXFP4, GgmlType.F32}) {
            ExpertFfnForm form = ExpertFfnForm.clampedSwiglu(GpuTests.gaussian(61, E * FFN, 4f),
                    GpuTests.gaussian(62, E * FFN, 4f), GpuTests.gaussian(63, E * DIM, 4f), ALPHA, LIMIT);
            assertMatchesHostPath(type, form, 71, clamps);
        }
        assertThat(Arrays.stream(clamps).min().orElseThrow()).as("the fewest of gate above the limit, up above it,"
                + " up below minus it: " + Arrays.toString(clamps)).isGreaterThan(100);
    }

    @Test
    void biasesAloneOrTheClampAloneTakeTheFormEntries() throws Throwable {
        // each half of gpt-oss's form on its own: the twins must not tie one to the other
        float[] gb = GpuTests.gaussian(81, E * FFN, 4f);
        float[] ub = GpuTests.gaussian(82, E * FFN, 4f);
        float[] db = GpuTests.gaussian(83, E * DIM, 4f);
        assertMatchesHostPath(GgmlType.Q8_0, new ExpertFfnForm(gb, ub, db, false, 0f, 0f), 91, new int[3]);
        assertMatchesHostPath(GgmlType.MXFP4, new ExpertFfnForm(null, null, null, true, ALPHA, LIMIT), 95, new int[3]);
    }

    @Test
    void sigmoidScoresRankedWithABiasInTheBestGroupsMatchTheHostPath() throws Throwable {
        // DeepSeek-V3's routing on 8 experts in 4 groups of 2, the best 2 groups kept, weights scaled;
        // the bias (sigma 0.5 against sigmoid scores in 0..1) moves the choice away from the best scores
        float[] bias = GpuTests.gaussian(101, E, 0.5f);
        TopKRouting deepSeek = new TopKRouting(K, true, bias, 4, 2, true, 2.5f);
        assertMatchesHostPath(GgmlType.Q8_0, ExpertFfnForm.SWIGLU, deepSeek, 103, new int[3]);
        // ERNIE 4.5's: softmax ranked with a bias, no groups; and sigmoid scores unnormalized, unbiased
        assertMatchesHostPath(GgmlType.F32, ExpertFfnForm.SWIGLU, new TopKRouting(K, false, bias, 1, 1, true, 1f), 107,
                new int[3]);
        assertMatchesHostPath(GgmlType.Q4_K, ExpertFfnForm.SWIGLU, new TopKRouting(K, true, null, 1, 1, false, 1f), 109,
                new int[3]);
    }

    @Test
    void expertsWithoutAGateTakeTheSquaredReluOfUpAlone() throws Throwable {
        // Nemotron-H's experts, sigmoid-routed with a bias and scaled: the form entries read no gate row
        TopKRouting nemotron = new TopKRouting(K, true, GpuTests.gaussian(115, E, 0.5f), 1, 1, true, 2.5f);
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.Q8_0, GgmlType.Q4_K}) {
            assertMatchesHostPath(type, ExpertFfnForm.SQUARED_RELU, nemotron, 117, new int[3]);
        }
    }

    @Test
    void llama4WeightsMultiplyTheExpertsInputsNotTheirOutputs() throws Throwable {
        // sigmoid weights unnormalized (0 to 1), so weighing the inputs differs from weighing the outputs
        // by the SiLU's curve; the wide and generic entries of F32 and Q8_0's wide ones
        TopKRouting llama4 = new TopKRouting(K, true, null, 1, 1, false, 1f, true);
        assertMatchesHostPath(GgmlType.F32, ExpertFfnForm.SWIGLU, llama4, 111, new int[3]);
        assertMatchesHostPath(GgmlType.Q8_0, ExpertFfnForm.SWIGLU, llama4, 113, new int[3]);
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
