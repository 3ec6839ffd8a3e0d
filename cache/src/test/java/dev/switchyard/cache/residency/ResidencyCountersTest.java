package dev.switchyard.cache.residency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * The link's bound on the stall: each demand miss's copy at the mean copy's time, one after another;
 * the stall measured against it; NaN where nothing was copied or nothing missed.
 */
class ResidencyCountersTest {

    private static ResidencyCounters counters(long demandMisses, double stallSeconds, double copySeconds, long copies) {
        return counters(demandMisses, stallSeconds, 0, copySeconds, copies);
    }

    private static ResidencyCounters counters(long demandMisses, double stallSeconds, double lateStallSeconds,
                                              double copySeconds, long copies) {
        long[] none = new long[2];
        return new ResidencyCounters(10, demandMisses, stallSeconds, lateStallSeconds, copies * 1000, copySeconds,
                copies, 0, 0, none, none, none, none, none, none);
    }

    @Test
    void theBoundIsTheDemandMissesCopiesBackToBack() {
        // 8 copies took 0.4 s (50 ms each), 3 of them demand misses: 150 ms is the least wait
        ResidencyCounters c = counters(3, 0.3, 0.4, 8);
        assertThat(c.linkBoundStallSeconds()).isCloseTo(0.15, within(1e-12));
        assertThat(c.stallOverLinkBound()).isCloseTo(2.0, within(1e-12));
    }

    @Test
    void theDemandMissesShareLeavesOutWaitsForLatePredictions() {
        // 0.3 s stalled, 0.12 s of it on predictions still in flight: 0.18 s on 3 misses of 50 ms
        ResidencyCounters c = counters(3, 0.3, 0.12, 0.4, 8);
        assertThat(c.stallOverLinkBound()).isCloseTo(2.0, within(1e-12));
        assertThat(c.demandStallOverLinkBound()).isCloseTo(1.2, within(1e-12));
        assertThat(counters(0, 0.1, 0.1, 0.4, 8).demandStallOverLinkBound()).isNaN();
    }

    @Test
    void withoutCopiesOrMissesThereIsNoBound() {
        assertThat(counters(0, 0, 0, 0).linkBoundStallSeconds()).isNaN();
        assertThat(counters(0, 0, 0, 0).stallOverLinkBound()).isNaN();
        assertThat(counters(0, 0.0, 0.4, 8).linkBoundStallSeconds()).isZero();
        assertThat(counters(0, 0.0, 0.4, 8).stallOverLinkBound()).isNaN();
    }

    @Test
    void aWindowsBoundComesFromWhatTheWindowAdded() {
        ResidencyCounters before = counters(2, 0.1, 0.05, 0.2, 4);
        ResidencyCounters after = counters(5, 0.7, 0.35, 0.6, 12);
        ResidencyCounters window = after.minus(before);
        // 3 misses, 8 copies in 0.4 s; 0.6 s stalled, 0.3 s of it late
        assertThat(window.linkBoundStallSeconds()).isCloseTo(0.15, within(1e-12));
        assertThat(window.stallOverLinkBound()).isCloseTo(0.6 / 0.15, within(1e-12));
        assertThat(window.demandStallOverLinkBound()).isCloseTo(0.3 / 0.15, within(1e-12));
    }
}
