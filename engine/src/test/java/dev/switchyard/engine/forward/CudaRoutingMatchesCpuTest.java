package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.cuda.CudaBackend;
import dev.switchyard.kernels.cuda.CudaProbe;
import dev.switchyard.kernels.cuda.CudaRouting;
import dev.switchyard.engine.moe.OverflowMode;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The CUDA routing and dispatch kernels (moe_route.cu) on random router logits match the CPU: the
 * probabilities within one float ulp of {@link RouterSelection#softmax} (double exp differs across
 * libraries in the last bit), the plain top-k exactly {@link RouterSelection#topK}'s, and, from the
 * device's own probabilities, experts and weights per row, figures per group and each expert's (row,
 * weight) list bit for bit what {@link dev.switchyard.engine.moe.DispatchPlan} and {@link ExpertBuckets}
 * make of them, in every mode. The kernels run only where a GPU is present.
 */
class CudaRoutingMatchesCpuTest {

    static final int STEPS = 600;
    private static final int MAX_TOKENS = 256;
    private static final int MAX_ALIGN = 16;

    @Test
    void overflowModesReachTheKernelsAsTheEngineOrdersThem() {
        // the kernels take a mode's ordinal as moe_dispatch.cuh's MOE_OVERFLOW_* code
        assertThat(Arrays.stream(CudaRouting.Overflow.values()).map(Enum::name))
                .containsExactlyElementsOf(Arrays.stream(OverflowMode.values()).map(Enum::name).toList());
        assertThat(CudaRouting.GROUP_STATS).isEqualTo(RoutingPlan.GROUP_STATS);
    }

    @Test
    void randomLogitsAreRoutedAndDispatchedAsTheCpuDoes() {
        CudaProbe.Result probe = CudaProbe.probe();
        assumeTrue(probe.available(), () -> "needs a GPU: " + probe.describe());
        long values = 0;
        long exact = 0;
        try (CudaBackend backend = CudaBackend.open(0)) {
            Map<Integer, CudaRouting> routings = new HashMap<>();
            FloatMatrix[] logits = new FloatMatrix[65];
            try {
                for (int s = 0; s < STEPS; s++) {
                    RoutingStep step = RoutingStep.random(2_000_000 + s, MAX_TOKENS);
                    int t = step.tokens;
                    int e = step.experts;
                    int k = step.k;
                    CudaRouting routing = routings.computeIfAbsent(e * 100 + k,
                            key -> backend.routing(e, k, MAX_TOKENS, MAX_ALIGN));
                    if (logits[e] == null) {
                        logits[e] = backend.allocate(MAX_TOKENS, e);
                    }
                    float[] row = new float[e];
                    for (int i = 0; i < t; i++) {
                        System.arraycopy(step.logits, i * e, row, 0, e);
                        logits[e].writeRow(i, row);
                    }
                    routing.route(logits[e], t, step.config.normalizeTopK());

                    // softmax: within an ulp of the CPU's
                    float[] probabilities = new float[t * e];
                    routing.readProbabilities(probabilities);
                    float[] cpu = RoutingStep.softmax(step.logits, t, e);
                    exact += RoutingPlan.probabilitiesWithinAnUlp(probabilities, cpu, step);
                    values += cpu.length;
                    // plain top-k of the device's probabilities: exactly the CPU's dropless routing
                    int[] topK = new int[t * k];
                    float[] topKWeights = new float[t * k];
                    routing.readTopK(topK, topKWeights);
                    int[] cpuExperts = new int[t * k];
                    float[] cpuWeights = new float[t * k];
                    for (int i = 0; i < t; i++) {
                        System.arraycopy(probabilities, i * e, row, 0, e);
                        RouterSelection.topK(row, e, k, step.config.normalizeTopK(), cpuExperts, cpuWeights, i * k);
                    }
                    assertThat(topK).as("%s: top-k", step).containsExactly(cpuExperts);
                    RoutingPlan.assertSameBits(topKWeights, cpuWeights, step + ": top-k weights");

                    // dispatch of the device's probabilities: exactly the CPU's plan of them
                    routing.dispatch(CudaRouting.Overflow.valueOf(step.config.mode().name()), step.config.gamma(),
                            step.config.normalizeTopK(), step.rows, step.groupStarts, step.groups, step.position,
                            step.sequence, step.align);
                    device(routing, step).assertSameAs(RoutingPlan.cpu(step, probabilities), step);
                }
            } finally {
                routings.values().forEach(CudaRouting::close);
            }
        }
        assertThat((double) exact / values).as("bit-identical probabilities").isGreaterThan(0.999);
    }

    private static RoutingPlan device(CudaRouting routing, RoutingStep step) {
        int t = step.tokens;
        int k = step.k;
        int[] experts = new int[t * k];
        float[] weights = new float[t * k];
        routing.readAssignments(experts, weights);
        int[] stats = new int[step.groups * CudaRouting.GROUP_STATS];
        routing.readGroupStats(stats);
        int[] counts = new int[step.experts];
        int[] offsets = new int[step.experts + 1];
        int maxList = t * k + step.experts * (MAX_ALIGN - 1);
        int[] listRows = new int[maxList];
        float[] listWeights = new float[maxList];
        int length = routing.readExpertLists(counts, offsets, listRows, listWeights);
        return new RoutingPlan(experts, weights, stats, counts, offsets, Arrays.copyOf(listRows, length),
                Arrays.copyOf(listWeights, length));
    }
}
