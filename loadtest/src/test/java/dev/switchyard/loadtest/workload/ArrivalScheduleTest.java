package dev.switchyard.loadtest.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Seeded schedules, so the statistics below are fixed numbers, not chance. */
class ArrivalScheduleTest {

    @Test
    void infiniteRateSendsEverythingAtOnce() {
        assertThat(ArrivalSchedule.offsetsNanos(5, Double.POSITIVE_INFINITY, 1, new SplittableRandom(1))).containsOnly(0L);
    }

    @Test
    void gapsHaveTheRequestedMeanAndBurstinessSetsTheirSpread() {
        for (double burstiness : new double[] {0.25, 1.0, 4.0}) {
            long[] t = ArrivalSchedule.offsetsNanos(20_000, 10.0, burstiness, new SplittableRandom(7));
            double mean = 0;
            double sq = 0;
            long prev = 0;
            for (long x : t) {
                double gap = (x - prev) / 1e9;
                mean += gap;
                sq += gap * gap;
                prev = x;
            }
            mean /= t.length;
            double variance = sq / t.length - mean * mean;
            // Gamma(k, 1/(rate k)): mean 1/rate, squared coefficient of variation 1/k.
            assertThat(mean).as("mean gap at burstiness %s", burstiness).isCloseTo(0.1, within(0.004));
            assertThat(variance / (mean * mean)).as("CV^2 at burstiness %s", burstiness).isCloseTo(1 / burstiness, within(0.1 / burstiness));
        }
    }

    @Test
    void theSameSeedGivesTheSameSchedule() {
        assertThat(ArrivalSchedule.offsetsNanos(50, 3, 0.5, new SplittableRandom(9)))
                .isEqualTo(ArrivalSchedule.offsetsNanos(50, 3, 0.5, new SplittableRandom(9)));
    }

    @Test
    void rejectsNonPositiveRates() {
        assertThatThrownBy(() -> ArrivalSchedule.offsetsNanos(1, 0, 1, new SplittableRandom(1)))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
