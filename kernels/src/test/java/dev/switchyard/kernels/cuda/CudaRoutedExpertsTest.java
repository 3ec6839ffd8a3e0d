package dev.switchyard.kernels.cuda;

import static dev.switchyard.kernels.ExpertFfnForm.SWIGLU;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.kernels.ExpertFfnForm;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.TopKRouting;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Device-routed experts against the host path written out with CPU backend ops, as the engine runs
 * it: softmax of the router logits, a plain top-k (equal probabilities to the lower expert),
 * renormalized weights when asked (or DeepSeek-V3's sigmoid scores ranked with a selection bias
 * within the best expert groups, scaled), then expert after expert in ascending order: gather the expert's
 * tokens, gate and up matmuls of matrix e, SiLU-mul, down matmul, scatter-add into the residual;
 * in gpt-oss's form, expert e's bias rows added after each matmul and the clamped SwiGLU for SiLU-mul.
 * The sums of the matmuls run in another order, so the tolerance is the matmul tests' 1e-5 of the
 * output's RMS; the residual row past the step must not change at all.
 *
 * <p>Shapes: Mixtral-like (8 experts, top-2), Qwen-MoE-like (60 experts, top-4) and one whose rows
 * only the generic kernels take; MXFP4, which has only generic kernels, in gpt-oss-like rows (32
 * experts, top-4, D 2880) and Qwen-MoE-like ones. Which kernels each gets is in {@link Shape} and
 * checked by {@link WideKernelChoiceTest}.
 */
class CudaRoutedExpertsTest extends AgainstCpuTest {

    /** Softmax top-2, renormalized: Mixtral's routing. */
    private static final TopKRouting TOP2 = TopKRouting.softmax(2, true);

    static final GgmlType[] TYPES = {GgmlType.BF16, GgmlType.Q8_0, GgmlType.F32, GgmlType.MXFP4};

    /** E experts, top-k, model dimension D, FFN width F, and whether gate/up and down rows allow 16-byte loads. */
    record Shape(String name, int experts, int k, int dim, int ffn, boolean wideGateUp, boolean wideDown) {
        @Override
        public String toString() {
            return name + " (" + experts + " experts, top-" + k + ", D " + dim + ", F " + ffn + ")";
        }
    }

    static List<Shape> shapes(GgmlType type) {
        if (type == GgmlType.MXFP4) {
            // generic kernels only: gpt-oss's rows (D = 2880, 90 blocks of 17 bytes) with 32 experts,
            // top-4, and a narrower FFN than its 2880 to keep the test small
            return List.of(new Shape("gpt-oss-like", 32, 4, 2880, 192, false, false),
                    new Shape("Qwen-MoE-like", 60, 4, 256, 160, false, false));
        }
        boolean q8 = type == GgmlType.Q8_0;
        return List.of(
                // Q8_0 gate/up rows: 24 blocks, a step of 16 and one of 8
                new Shape("Mixtral-like", 8, 2, 768, 512, true, true),
                // Q8_0 down rows of 5 blocks: generic
                new Shape("Qwen-MoE-like", 60, 4, 256, 160, true, !q8),
                q8 ? new Shape("unaligned rows", 8, 2, 96, 64, false, false)
                   : new Shape("unaligned rows", 8, 2, 90, 70, false, false));
    }

    static List<Arguments> cases() {
        List<Arguments> cases = new ArrayList<>();
        for (GgmlType type : TYPES) {
            for (Shape shape : shapes(type)) {
                for (boolean normalize : new boolean[] {true, false}) {
                    cases.add(Arguments.of(type, shape, normalize));
                }
            }
        }
        return cases;
    }

    /** gpt-oss's form in each format's shapes: its own MXFP4, and the wide and generic kernels of the others. */
    static List<Arguments> gptOssCases() {
        List<Arguments> cases = new ArrayList<>();
        for (GgmlType type : TYPES) {
            for (Shape shape : shapes(type)) {
                cases.add(Arguments.of(type, shape));
            }
        }
        return cases;
    }

    static GgmlType[] tiledTypes() {
        return new GgmlType[] {GgmlType.BF16, GgmlType.Q8_0};
    }

    @ParameterizedTest(name = "{0} {1}, normalize {2}")
    @MethodSource("cases")
    void matchesTheHostPathOpByOp(GgmlType type, Shape shape, boolean normalize) {
        Experts w = Experts.of(type, shape, 1000);
        for (int tokens : new int[] {1, 3, 8}) {
            float[] logits = GpuTests.gaussian(100 + tokens, (tokens + 1) * shape.experts(), 1f);
            assertMatchesHostPath(w, logits, tokens, normalize, type + " " + shape + ", " + tokens + " tokens");
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("gptOssCases")
    void gptOssBiasedClampedExpertsMatchTheHostPathOpByOp(GgmlType type, Shape shape) {
        // biases of sigma 4 on projections of sigma 0.5 sqrt(D) or more: the clamp bounds gate from
        // above and up from both sides
        ExpertFfnForm form = ExpertFfnForm.clampedSwiglu(GpuTests.gaussian(7001, shape.experts() * shape.ffn(), 4f),
                GpuTests.gaussian(7002, shape.experts() * shape.ffn(), 4f),
                GpuTests.gaussian(7003, shape.experts() * shape.dim(), 4f), 1.702f, 7f);
        Experts w = Experts.of(type, shape, 7000, form);
        for (int tokens : new int[] {1, 3, 8}) {
            float[] logits = GpuTests.gaussian(200 + tokens, (tokens + 1) * shape.experts(), 1f);
            assertMatchesHostPath(w, logits, tokens, true, "gpt-oss form, " + type + " " + shape + ", " + tokens + " tokens");
        }
    }

    @ParameterizedTest
    @MethodSource("tiledTypes")
    void routingRulesBeyondSoftmaxTopKMatchTheHostPath(GgmlType type) {
        // 64 experts in 8 groups, the best 4 kept, top-6 of sigmoid scores ranked with a selection bias,
        // weights renormalized and scaled by 2.5; then ERNIE 4.5's softmax ranked with a bias
        Shape shape = new Shape("DeepSeek-V3-like", 64, 6, 256, 128, true, true);
        Experts w = Experts.of(type, shape, 8000);
        float[] bias = GpuTests.gaussian(8001, shape.experts(), 0.5f);
        TopKRouting deepSeek = new TopKRouting(6, true, bias, 8, 4, true, 2.5f);
        TopKRouting ernie = new TopKRouting(6, false, bias, 1, 1, true, 1f);
        // and Llama 4's: sigmoid top-1, unnormalized, the weight on the expert's input
        TopKRouting llama4 = new TopKRouting(1, true, null, 1, 1, false, 1f, true);
        for (int tokens : new int[] {1, 3, 8}) {
            float[] logits = GpuTests.gaussian(300 + tokens, (tokens + 1) * shape.experts(), 1f);
            for (TopKRouting routing : new TopKRouting[] {deepSeek, ernie, llama4}) {
                assertMatchesHostPath(w, logits, tokens, routing, type + ", " + routing + ", " + tokens + " tokens");
            }
        }
        // Nemotron-H's experts, without a gate: the squared ReLU of up, its routing DeepSeek-V3's without groups
        Experts ungated = Experts.of(type, shape, 8100, ExpertFfnForm.SQUARED_RELU);
        TopKRouting nemotron = new TopKRouting(6, true, bias, 1, 1, true, 2.5f);
        for (int tokens : new int[] {1, 3, 8}) {
            float[] logits = GpuTests.gaussian(400 + tokens, (tokens + 1) * shape.experts(), 1f);
            assertMatchesHostPath(ungated, logits, tokens, nemotron, type + ", squared ReLU, " + tokens + " tokens");
        }
    }

    @ParameterizedTest
    @MethodSource("tiledTypes")
    void anExpertWithMoreTokensThanOneTileServesThemAll(GgmlType type) {
        Shape shape = new Shape("tiled", 8, 2, 256, 256, true, true);
        Experts w = Experts.of(type, shape, 4000);
        int tokens = 20;
        float[] logits = GpuTests.gaussian(7, (tokens + 1) * shape.experts(), 1f);
        for (int t = 0; t < tokens; t++) {
            logits[t * shape.experts() + 3] += 10;   // expert 3 for every token: tiles of 8, 8 and 4 tokens
        }
        Routing r = route(logits, tokens, shape.experts(), shape.k(), true);
        for (int t = 0; t < tokens; t++) {
            assertThat(r.experts()[t * shape.k()]).isEqualTo(3);
        }
        assertMatchesHostPath(w, logits, tokens, true, type + ", 20 tokens on expert 3");
    }

    @Test
    void eachSlotKeepsItsChosenExpertsUntilReadBackAfterTheStep() {
        Shape shape = new Shape("slots", 8, 2, 256, 256, true, true);
        Experts w = Experts.of(GgmlType.BF16, shape, 6000);
        int tokens = 3;
        int[] slotOrder = {1, 0, 4, 2, 3};    // slot 4 before 2 and 3: the buffer grows, keeping 0 and 1
        int[][] expected = new int[5][];
        FloatMatrix hg = GpuTests.matrix(cuda, GpuTests.gaussian(61, tokens * shape.dim(), 1f), tokens, shape.dim());
        FloatMatrix xg = GpuTests.matrix(cuda, GpuTests.gaussian(62, tokens * shape.dim(), 1f), tokens, shape.dim());
        for (int slot : slotOrder) {
            float[] logits = GpuTests.gaussian(70 + slot, tokens * shape.experts(), 2f);
            expected[slot] = sortedPerToken(route(logits, tokens, shape.experts(), shape.k(), true).experts(), shape.k());
            FloatMatrix lg = GpuTests.matrix(cuda, logits, tokens, shape.experts());
            cuda.routedExperts(lg, hg, w.gateG(), w.upG(), w.downG(), SWIGLU, TopKRouting.softmax(shape.k(), true), xg,
                    tokens, slot);
        }
        int[] read = new int[5 * tokens * shape.k()];
        cuda.readRoutedExperts(5, tokens, shape.k(), read);
        for (int slot = 0; slot < 5; slot++) {
            int[] got = sortedPerToken(Arrays.copyOfRange(read, slot * tokens * shape.k(), (slot + 1) * tokens * shape.k()),
                    shape.k());
            assertThat(got).as("slot %d", slot).containsExactly(expected[slot]);
        }
        assertThatThrownBy(() -> cuda.readRoutedExperts(5, tokens + 1, shape.k(), new int[5 * (tokens + 1) * shape.k()]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** Each token's k experts in ascending order (the order within a token is the kernel's). */
    private static int[] sortedPerToken(int[] experts, int k) {
        int[] sorted = experts.clone();
        for (int t = 0; t < sorted.length / k; t++) {
            Arrays.sort(sorted, t * k, (t + 1) * k);
        }
        return sorted;
    }

    @Test
    void equalProbabilitiesGoToTheLowerExpert() {
        Shape shape = new Shape("ties", 8, 2, 256, 256, true, true);
        Experts w = Experts.of(GgmlType.BF16, shape, 5000);
        int tokens = 2;
        float[] logits = {
            0, 1, 4, 0.5f, 3, 0, 3, -1,   // expert 2 first; 4 and 6 tie for second place: 4
            3, 0, 0, 3, 0, 3, 0, 0,       // 0, 3 and 5 tie for both places: 0 and 3
            0, 0, 0, 0, 0, 0, 0, 0,       // past the step
        };
        Routing r = route(logits, tokens, shape.experts(), shape.k(), true);
        assertThat(r.experts()).containsExactly(2, 4, 0, 3);
        float[] h = GpuTests.gaussian(51, (tokens + 1) * shape.dim(), 1f);
        float[] x = GpuTests.gaussian(52, (tokens + 1) * shape.dim(), 1f);
        float[] expected = hostPath(w, h, x, r, tokens);
        float[] higher = hostPath(w, h, x, new Routing(new int[] {2, 6, 0, 5}, r.weights()), tokens);
        float[] actual = Arrays.copyOf(device(w, logits, h, x, TopKRouting.softmax(shape.k(), true), tokens), tokens * shape.dim());
        GpuTests.assertClose(actual, expected, 1e-5, "ties to the lower expert");
        assertThat(relativeError(actual, higher)).as("the higher experts give another result").isGreaterThan(1e-2);
    }

    @Test
    void mismatchedShapesAreRefusedNamingThem() {
        Shape shape = new Shape("small", 4, 2, 256, 64, true, true);
        Experts w = Experts.of(GgmlType.F32, shape, 6000);
        FloatMatrix logits = cuda.allocate(2, 4);
        FloatMatrix h = cuda.allocate(2, 256);
        FloatMatrix x = cuda.allocate(2, 256);
        assertThatThrownBy(() -> cuda.routedExperts(logits, h, w.gateG(), w.upG(), w.gateG(), SWIGLU, TOP2, x, 2, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("down CudaWeight[F32 64 x 256 x 4]");
        assertThatThrownBy(() -> cuda.routedExperts(cuda.allocate(2, 5), h, w.gateG(), w.upG(), w.downG(), SWIGLU, TOP2, x, 2, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("logits CudaMatrix[2 x 5]");
        assertThatThrownBy(() -> cuda.routedExperts(logits, h, w.gateG(), w.upG(), w.downG(), SWIGLU,
                TopKRouting.softmax(5, true), x, 2, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("top 5 of 4");
        assertThatThrownBy(() -> cuda.routedExperts(logits, h, w.gateG(), w.upG(), w.downG(), SWIGLU, TOP2, x, 3, 0))
                .isInstanceOf(IllegalArgumentException.class);
        Weight upBf16 = cuda.weight(GgmlType.BF16, GpuTests.weights(GgmlType.BF16, 6001, 64, 256, 4), new long[] {256, 64, 4});
        assertThatThrownBy(() -> cuda.routedExperts(logits, h, w.gateG(), upBf16, w.downG(), SWIGLU, TOP2, x, 2, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("share a type");
        ExpertFfnForm shortDownBias = ExpertFfnForm.clampedSwiglu(new float[4 * 64], new float[4 * 64], new float[4 * 64],
                1.702f, 7f);
        assertThatThrownBy(() -> cuda.routedExperts(logits, h, w.gateG(), w.upG(), w.downG(), shortDownBias, TOP2, x, 2, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 256, 256 and 256");
        TopKRouting shortBias = new TopKRouting(2, true, new float[3], 1, 1, true, 1f);
        assertThatThrownBy(() -> cuda.routedExperts(logits, h, w.gateG(), w.upG(), w.downG(), SWIGLU, shortBias, x, 2, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a selection bias of 3 values for 4 experts");
        Shape many = new Shape("128 groups", 128, 2, 256, 64, true, true);
        Experts w128 = Experts.of(GgmlType.F32, many, 6002);
        TopKRouting groups128 = new TopKRouting(2, true, null, 128, 4, true, 1f);
        assertThatThrownBy(() -> cuda.routedExperts(cuda.allocate(2, 128), h, w128.gateG(), w128.upG(), w128.downG(),
                SWIGLU, groups128, x, 2, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("up to 64 expert groups, got 128");
    }

    @Test
    void theCudaBackendRoutesOnTheDevice() {
        assertThat(cuda.routesOnDevice()).isTrue();
    }

    // ---- the two paths -------------------------------------------------------------------------

    /** The expert stacks on both backends: gate and up E x (F x D), down E x (D x F). */
    private record Experts(Shape shape, Weight gateC, Weight upC, Weight downC, Weight gateG, Weight upG, Weight downG,
                           ExpertFfnForm form) {
        static Experts of(GgmlType type, Shape s, long seed) {
            return of(type, s, seed, SWIGLU);
        }

        static Experts of(GgmlType type, Shape s, long seed, ExpertFfnForm form) {
            long[] gateDims = {s.dim(), s.ffn(), s.experts()};
            long[] downDims = {s.ffn(), s.dim(), s.experts()};
            // seeds far apart: GpuTests.weights seeds matrix m with seed * 31 + m
            MemorySegment gate = GpuTests.weights(type, seed, s.ffn(), s.dim(), s.experts());
            MemorySegment up = GpuTests.weights(type, seed + 100, s.ffn(), s.dim(), s.experts());
            MemorySegment down = GpuTests.weights(type, seed + 200, s.dim(), s.ffn(), s.experts());
            // experts without a gate (Nemotron-H) have none to pass
            boolean gated = !form.ungated();
            return new Experts(s, gated ? cpu.weight(type, gate, gateDims) : null, cpu.weight(type, up, gateDims),
                    cpu.weight(type, down, downDims), gated ? cuda.weight(type, gate, gateDims) : null,
                    cuda.weight(type, up, gateDims), cuda.weight(type, down, downDims), form);
        }
    }

    /** Per token, its k experts (highest probability first) and their weights: (T, k) each. */
    private record Routing(int[] experts, float[] weights) {
    }

    private static void assertMatchesHostPath(Experts w, float[] logits, int tokens, boolean normalize, String what) {
        assertMatchesHostPath(w, logits, tokens, TopKRouting.softmax(w.shape().k(), normalize), what);
    }

    private static void assertMatchesHostPath(Experts w, float[] logits, int tokens, TopKRouting routing, String what) {
        Shape s = w.shape();
        float[] h = GpuTests.gaussian(tokens * 3L + 1, (tokens + 1) * s.dim(), 1f);
        float[] x = GpuTests.gaussian(tokens * 3L + 2, (tokens + 1) * s.dim(), 1f);
        float[] expected = hostPath(w, h, x, route(logits, tokens, s.experts(), routing), tokens, routing.weighsInputs());
        float[] actual = device(w, logits, h, x, routing, tokens);
        int n = tokens * s.dim();
        GpuTests.assertClose(Arrays.copyOf(actual, n), expected, 1e-5, what);
        assertThat(Arrays.copyOfRange(actual, n, n + s.dim())).as(what + ": the row past the step")
                .containsExactly(Arrays.copyOfRange(x, n, n + s.dim()));
    }

    /** The CUDA backend's routed experts over T + 1 rows of logits, h and x; all T + 1 rows of x after. */
    private static float[] device(Experts w, float[] logits, float[] h, float[] x, TopKRouting routing, int tokens) {
        Shape s = w.shape();
        FloatMatrix lg = GpuTests.matrix(cuda, logits, tokens + 1, s.experts());
        FloatMatrix hg = GpuTests.matrix(cuda, h, tokens + 1, s.dim());
        FloatMatrix xg = GpuTests.matrix(cuda, x, tokens + 1, s.dim());
        cuda.routedExperts(lg, hg, w.gateG(), w.upG(), w.downG(), w.form(), routing, xg, tokens, 0);
        return GpuTests.read(xg, tokens + 1);
    }

    private static Routing route(float[] logits, int tokens, int experts, int k, boolean normalize) {
        return route(logits, tokens, experts, TopKRouting.softmax(k, normalize));
    }

    /**
     * CPU backend softmax (or each logit's sigmoid), then the k largest scores, equal ones to the lower
     * index; or, under a ranked rule, the k largest of score plus bias within the best groups (a group
     * scored by its two best).
     */
    private static Routing route(float[] logits, int tokens, int experts, TopKRouting routing) {
        int k = routing.k();
        float[] p;
        if (routing.sigmoid()) {
            p = new float[tokens * experts];
            for (int i = 0; i < p.length; i++) {
                p[i] = (float) (1 / (1 + Math.exp(-logits[i])));
            }
        } else {
            FloatMatrix probabilities = GpuTests.matrix(cpu, logits, tokens, experts);
            cpu.softmax(probabilities, tokens);
            p = GpuTests.read(probabilities, tokens);
        }
        float[] bias = routing.selectionBias() != null ? routing.selectionBias() : new float[experts];
        int[] chosen = new int[tokens * k];
        float[] weights = new float[tokens * k];
        for (int t = 0; t < tokens; t++) {
            double[] rank = new double[experts];
            for (int e = 0; e < experts; e++) {
                rank[e] = p[t * experts + e] + bias[e];
            }
            boolean[] allowed = GroupLimitReference.allowed(routing, rank);
            double sum = 0;
            for (int j = 0; j < k; j++) {
                int best = -1;
                for (int e = 0; e < experts; e++) {
                    boolean taken = !allowed[e];
                    for (int q = 0; q < j; q++) {
                        taken |= chosen[t * k + q] == e;
                    }
                    if (!taken && (best < 0 || rank[e] > rank[best])) {
                        best = e;
                    }
                }
                chosen[t * k + j] = best;
                weights[t * k + j] = p[t * experts + best];
                sum += weights[t * k + j];
            }
            for (int j = 0; j < k; j++) {
                float w = routing.normalize() ? (float) (weights[t * k + j] / sum) : weights[t * k + j];
                weights[t * k + j] = w * routing.weightScale();
            }
        }
        return new Routing(chosen, weights);
    }

    /** The first T rows of x after the host path: expert after expert, in ascending order, with CPU backend ops. */
    private static float[] hostPath(Experts w, float[] h, float[] x, Routing routing, int tokens) {
        return hostPath(w, h, x, routing, tokens, false);
    }

    /** As above; with {@code weighsInputs} (Llama 4) the weights scale the gathered inputs and the outputs join as they are. */
    private static float[] hostPath(Experts w, float[] h, float[] x, Routing routing, int tokens, boolean weighsInputs) {
        Shape s = w.shape();
        FloatMatrix hc = GpuTests.matrix(cpu, h, tokens, s.dim());
        FloatMatrix xc = GpuTests.matrix(cpu, x, tokens, s.dim());
        FloatMatrix in = cpu.allocate(tokens, s.dim());
        FloatMatrix gate = cpu.allocate(tokens, s.ffn());
        FloatMatrix up = cpu.allocate(tokens, s.ffn());
        FloatMatrix out = cpu.allocate(tokens, s.dim());
        int[] rows = new int[tokens];
        float[] weights = new float[tokens];
        for (int e = 0; e < s.experts(); e++) {
            int n = 0;
            for (int t = 0; t < tokens; t++) {
                for (int j = 0; j < s.k(); j++) {
                    if (routing.experts()[t * s.k() + j] == e) {
                        rows[n] = t;
                        weights[n++] = routing.weights()[t * s.k() + j];
                    }
                }
            }
            if (n == 0) {
                continue;
            }
            cpu.gatherRows(hc, rows, in, n);
            if (weighsInputs) {
                cpu.scaleRows(in, weights, n);
                Arrays.fill(weights, 0, n, 1f);
            }
            ExpertFfnForm form = w.form();
            if (form.ungated()) {
                cpu.matmul(w.upC(), e, in, up, n);
                cpu.reluSquared(up, n);
                cpu.matmul(w.downC(), e, up, out, n);
                cpu.scatterAddRows(out, rows, weights, xc, n);
                continue;
            }
            cpu.matmul(w.gateC(), e, in, gate, n);
            cpu.matmul(w.upC(), e, in, up, n);
            if (form.biased()) {
                cpu.addBias(gate, form.gateBias(), e * s.ffn(), n);
                cpu.addBias(up, form.upBias(), e * s.ffn(), n);
            }
            if (form.clamped()) {
                cpu.swigluClamped(gate, up, form.alpha(), form.limit(), n);
            } else {
                cpu.siluMul(gate, up, n);
            }
            cpu.matmul(w.downC(), e, gate, out, n);
            if (form.biased()) {
                cpu.addBias(out, form.downBias(), e * s.dim(), n);
            }
            cpu.scatterAddRows(out, rows, weights, xc, n);
        }
        return GpuTests.read(xc, tokens);
    }

    /** max |a - b| over the RMS of b. */
    private static double relativeError(float[] a, float[] b) {
        double err = 0;
        double ss = 0;
        for (int i = 0; i < a.length; i++) {
            err = Math.max(err, Math.abs((double) a[i] - b[i]));
            ss += (double) b[i] * b[i];
        }
        return err / Math.sqrt(ss / b.length);
    }
}
