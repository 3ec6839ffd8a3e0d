package dev.switchyard.cache.synth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.switchyard.cache.trace.LocalityStatistics;
import dev.switchyard.cache.trace.RoutingTrace;
import org.junit.jupiter.api.Test;

/** Synthetic traces land in the bands Mixtral's paper measured (Table 5). */
class SyntheticCalibrationTest {

    @Test
    void mixtralProfileMatchesTable5() {
        RoutingTrace trace = new SyntheticTraceGenerator(SynthSettings.mixtral(4, 5000, 42)).trace();
        LocalityStatistics s = LocalityStatistics.of(trace);
        assertThat(s.pairs(0)).isEqualTo(4 * 4999);
        // layer 0: 14% / 45-50%; layer 15: 24-28% / 62-67%; layer 31: 20-26% / 45-54%
        assertThat(s.sameFirstChoice(0)).isBetween(0.13, 0.15);
        assertThat(s.sharedTopK(0)).isBetween(0.45, 0.50);
        assertThat(s.sameFirstChoice(15)).isBetween(0.24, 0.28);
        assertThat(s.sharedTopK(15)).isBetween(0.62, 0.67);
        assertThat(s.sameFirstChoice(31)).isBetween(0.20, 0.26);
        assertThat(s.sharedTopK(31)).isBetween(0.45, 0.54);
    }

    @Test
    void zeroLocalityIsRandomRouting() {
        SynthSettings random = new SynthSettings(4, 8, 2, 4, 4000, 1, 0.0, 4.0, 0.3, 1, 0.8, 0, 7);
        LocalityStatistics s = LocalityStatistics.of(new SyntheticTraceGenerator(random).trace());
        for (int l = 0; l < 4; l++) {
            assertThat(s.sameFirstChoice(l)).isCloseTo(0.125, within(0.015));
            assertThat(s.sharedTopK(l)).isCloseTo(0.464, within(0.02));
        }
    }

    @Test
    void moreLocalityRaisesRepetition() {
        SynthSettings more = new SynthSettings(32, 8, 2, 2, 3000, 1, 2.0, 4.0, 0.3, 1, 0.8, 0, 7);
        LocalityStatistics s = LocalityStatistics.of(new SyntheticTraceGenerator(more).trace());
        assertThat(s.sameFirstChoice(15)).isGreaterThan(0.35);
    }

    @Test
    void theSameSeedGivesTheSameTrace() {
        RoutingTrace a = new SyntheticTraceGenerator(SynthSettings.mixtral(1, 50, 3)).trace();
        RoutingTrace b = new SyntheticTraceGenerator(SynthSettings.mixtral(1, 50, 3)).trace();
        for (int i = 0; i < 50; i++) {
            for (int l = 0; l < 32; l++) {
                assertThat(a.steps().get(i).experts(l)).containsExactly(b.steps().get(i).experts(l));
            }
        }
    }
}
