package dev.switchyard.cache.predict;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.cache.synth.SynthSettings;
import dev.switchyard.cache.synth.SyntheticTraceGenerator;
import dev.switchyard.cache.trace.RoutingTrace;
import java.util.List;
import org.junit.jupiter.api.Test;

class PredictorsTest {

    private static RoutingTrace synth(double locality, double affinity, double gateAccuracy) {
        return new SyntheticTraceGenerator(new SynthSettings(8, 8, 2, 2, 1500, 1, locality, affinity, 0.3, 2,
                gateAccuracy, 0, 11)).trace();
    }

    private static PredictionStats evaluate(RoutingTrace trace, String predictor) {
        return PredictorEvaluation.run(List.of(trace), Predictors.create(predictor).orElseThrow(), 2, 2);
    }

    @Test
    void noPredictorCanReadALayerNotYetRouted() {
        RoutingTrace trace = synth(1, 4, 1);
        RoutingSoFar so = new RoutingSoFar(trace.header()).reveal(trace.steps().getFirst(), 2);
        assertThat(so.experts(2)).hasSize(2);
        assertThatThrownBy(() -> so.experts(3)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not routed yet");
    }

    @Test
    void aPerfectGateIsPerfectAndAGateBeyondItsRecordedDepthProposesNothing() {
        PredictionStats s = PredictorEvaluation.run(List.of(synth(1, 4, 1.0)), new SpeculativeGatePredictor(), 3, 2);
        assertThat(s.precision(1)).isEqualTo(1.0);
        assertThat(s.recall(1)).isEqualTo(1.0);
        assertThat(s.precision(2)).isEqualTo(1.0);
        assertThat(s.precision(3)).isNaN(); // recorded two layers ahead only
        assertThat(s.recall(3)).isEqualTo(0.0);
    }

    @Test
    void aNoisyGateIsAsGoodAsItsNoise() {
        PredictionStats s = evaluate(synth(1, 4, 0.7), "gate");
        // each proposal is right with 0.7, or by luck with about 2/8 of the rest
        assertThat(s.precision(1)).isBetween(0.70, 0.85);
        assertThat(s.precision(2)).isBetween(0.49, 0.70);
    }

    @Test
    void affinityLearnsInterLayerStructureAndFindsNoneWhereThereIsNone() {
        double strong = evaluate(synth(0, 20, 0.8), "affinity").precision(1);
        double none = evaluate(synth(0, 0, 0.8), "affinity").precision(1);
        assertThat(strong).isGreaterThan(none + 0.15);
        assertThat(none).isLessThan(0.35); // chance: 2 of 8 experts, 0.25, plus popularity skew
    }

    @Test
    void recencyFindsTemporalLocality() {
        double local = evaluate(synth(2, 0, 0.8), "recency").recall(1);
        double random = evaluate(synth(0, 0, 0.8), "recency").recall(1);
        assertThat(local).isGreaterThan(random + 0.1);
    }

    @Test
    void combinedIsAtLeastAsPreciseAsItsWeakestPart() {
        RoutingTrace trace = synth(1, 4, 0.6);
        double combined = evaluate(trace, "combined").precision(1);
        double affinity = evaluate(trace, "affinity").precision(1);
        double recency = evaluate(trace, "recency").precision(1);
        assertThat(combined).isGreaterThan(Math.min(affinity, recency));
    }

    @Test
    void unknownPredictorsAreNamed() {
        assertThat(Predictors.create("none")).isEmpty();
        assertThatThrownBy(() -> Predictors.create("oracle")).hasMessageContaining("unknown predictor 'oracle'")
                .hasMessageContaining("combined");
    }
}
