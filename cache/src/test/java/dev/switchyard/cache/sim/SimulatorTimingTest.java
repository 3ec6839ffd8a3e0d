package dev.switchyard.cache.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.switchyard.cache.predict.Predictors;
import dev.switchyard.cache.predict.SpeculativeGatePredictor;
import dev.switchyard.cache.synth.SynthSettings;
import dev.switchyard.cache.synth.SyntheticTraceGenerator;
import dev.switchyard.cache.timing.DeviceProfile;
import dev.switchyard.cache.timing.ModelShape;
import dev.switchyard.cache.trace.RoutingTrace;
import dev.switchyard.cache.trace.TraceHeader;
import dev.switchyard.cache.trace.TraceStep;
import java.util.List;
import org.junit.jupiter.api.Test;

class SimulatorTimingTest {

    /** A copy takes 1 s, one expert's compute 1 s. */
    private static final DeviceProfile SLOW = new DeviceProfile("test", "1 GB/s both ways", 1e9, 1e9, 0);
    private static final ModelShape ONE_GB = ModelShape.expertsOnly("1 GB experts", 1_000_000_000L);

    /** 2 layers of 2 experts, top-1; a prefill step, then two decode steps using e0 then e1. */
    private static AccessStream twoLayers() {
        TraceHeader h = new TraceHeader(2, 2, 1, 1, 1, 0, "crafted");
        TraceStep prefill = new TraceStep(true, new int[] {0}, new int[][] {{1}, {0}}, new int[][][] {{{0}}, {}});
        TraceStep decode = new TraceStep(false, new int[] {0}, new int[][] {{0}, {1}}, new int[][][] {{{1}}, {}});
        return AccessStream.of(List.of(new RoutingTrace(h, List.of(prefill, decode, decode))));
    }

    @Test
    void demandMissesStallForTheirCopies() {
        // prefill (not counted) loads L0/E1 and L1/E0: 4 s. Decode 1: L0/E0 misses, copy 4..5, stall 1,
        // compute 5..6; L1/E1 misses, copy 6..7, stall 1, compute 7..8. Decode 2: all hits, 8..10.
        SimResult r = new Simulator(twoLayers(), SLOW, ONE_GB, 1, 1).run("lru", 1.0, () -> null);
        assertThat(r.capacity()).isEqualTo(4);
        assertThat(r.stats().misses()).isEqualTo(2);
        assertThat(r.stats().hits()).isEqualTo(2);
        assertThat(r.stallPerToken()).isCloseTo(1.0, within(1e-9));
        assertThat(r.tokensPerSecond()).isCloseTo(2.0 / 6, within(1e-9));
        assertThat(r.bytesPerToken()).isCloseTo(1e9, within(1.0));
    }

    @Test
    void aPrefetchIssuedALayerAheadHidesItsCopy() {
        // decode 1: L0/E0 misses (stall 1); the gate proposes L1/E1, copied while L0 computes: no stall.
        SimResult r = new Simulator(twoLayers(), SLOW, ONE_GB, 1, 1)
                .run("predictive", 1.0, SpeculativeGatePredictor::new);
        assertThat(r.stats().misses()).isEqualTo(1);
        assertThat(r.stats().prefetches()).isEqualTo(1);
        assertThat(r.stats().prefetchPrecision()).isEqualTo(1.0);
        assertThat(r.stallPerToken()).isCloseTo(0.5, within(1e-9));
        assertThat(r.tokensPerSecond()).isCloseTo(2.0 / 5, within(1e-9));
    }

    @Test
    void aPerfectPredictorLeavesOnlyTheFirstLayersMisses() {
        RoutingTrace trace = new SyntheticTraceGenerator(new SynthSettings(8, 8, 2, 1, 400, 1, 1.0, 4.0, 0.3, 1,
                1.0, 0, 3)).trace();
        AccessStream stream = AccessStream.of(List.of(trace));
        Simulator sim = new Simulator(stream, SLOW, ONE_GB, 1, 2);
        SimResult lru = sim.run("lru", 0.5, () -> null);
        SimResult predictive = sim.run("predictive", 0.5, () -> Predictors.create("gate").orElseThrow());
        SimResult opt = sim.run("opt", 0.5, () -> null);
        assertThat(predictive.stats().misses()).isLessThan(lru.stats().misses() / 2);
        assertThat(predictive.stats().prefetchPrecision()).isEqualTo(1.0);
        assertThat(opt.stats().hitRate()).isGreaterThanOrEqualTo(lru.stats().hitRate());
    }
}
