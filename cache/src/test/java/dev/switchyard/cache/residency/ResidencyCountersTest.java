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
        long[] none = new long[2];
        return new ResidencyCounters(10, demandMisses, stallSeconds, copies * 1000, copySeconds, copies, 0, 0, none,
                none, none, none, none, none);
    }

    @Test
    void theBoundIsTheDemandMissesCopiesBackToBack() {
        // 8 copies took 0.4 s (50 ms each), 3 of them demand misses: 150 ms is the least wait
        ResidencyCounters c = counters(3, 0.3, 0.4, 8);
        assertThat(c.linkBoundStallSeconds()).isCloseTo(0.15, within(1e-12));
        assertThat(c.stallOverLinkBound()).isCloseTo(2.0, within(1e-12));
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
        ResidencyCounters before = counters(2, 0.1, 0.2, 4);
        ResidencyCounters after = counters(5, 0.7, 0.6, 12);
        ResidencyCounters window = after.minus(before);
        // 3 misses, 8 copies in 0.4 s
        assertThat(window.linkBoundStallSeconds()).isCloseTo(0.15, within(1e-12));
        assertThat(window.stallOverLinkBound()).isCloseTo(0.6 / 0.15, within(1e-12));
    }
}
