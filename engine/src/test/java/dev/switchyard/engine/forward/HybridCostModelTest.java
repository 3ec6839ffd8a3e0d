package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.switchyard.cache.residency.ExpertMemory;
import org.junit.jupiter.api.Test;

/** Hybrid execution's choice per miss: host when tokens x bytes / host rate < (queued + bytes) / link rate. */
class HybridCostModelTest {

    private static final long MIB = 1 << 20;
    /** A Mixtral-8x7B expert in fp16: gate, up and down of 4096 x 14336. */
    private static final long MIXTRAL_EXPERT = 3L * 4096 * 14336 * 2;

    @Test
    void aFewTokensGoToTheHostAndManyToTheLink() {
        // 48 GB/s link: a copy takes 7.3 ms; a host computing 100 GB of expert weights per second
        // per token takes 3.5 ms a token
        HybridCostModel model = new HybridCostModel(48e9, 100e9);
        assertThat(model.copySeconds(MIXTRAL_EXPERT, 0, Double.NaN)).isCloseTo(7.34e-3, within(1e-4));
        assertThat(model.hostSeconds(1, MIXTRAL_EXPERT)).isCloseTo(3.52e-3, within(1e-4));
        assertThat(model.hostIsFaster(1, MIXTRAL_EXPERT, 0, Double.NaN)).isTrue();
        assertThat(model.hostIsFaster(2, MIXTRAL_EXPERT, 0, Double.NaN)).isTrue();
        assertThat(model.hostIsFaster(3, MIXTRAL_EXPERT, 0, Double.NaN)).as("10.6 ms against 7.3").isFalse();
    }

    @Test
    void aTieGoesToTheLink() {
        HybridCostModel model = new HybridCostModel(10e9, 10e9);
        assertThat(model.hostIsFaster(1, 100 * MIB, 0, Double.NaN)).isFalse();
    }

    @Test
    void copiesQueuedAheadMakeTheLinkSlower() {
        // 100 MiB over 10 GB/s is 10.5 ms; 2 tokens on a 10 GB/s host as much, which the link wins
        HybridCostModel model = new HybridCostModel(10e9, 10e9);
        assertThat(model.hostIsFaster(2, 100 * MIB, 0, Double.NaN)).isFalse();
        // with two experts already waiting for the link, this one lands in 31 ms: the host wins
        assertThat(model.hostIsFaster(2, 100 * MIB, 2 * 100 * MIB, Double.NaN)).isTrue();
        assertThat(model.copySeconds(100 * MIB, 100 * MIB, Double.NaN)).isEqualTo(2 * model.copySeconds(100 * MIB, 0, Double.NaN));
    }

    @Test
    void theMeasuredLinkRateReplacesTheModeledOneOnceKnown() {
        HybridCostModel model = new HybridCostModel(1e9, 10e9);
        assertThat(model.hostIsFaster(1, 100 * MIB, 0, Double.NaN)).as("modeled: 1 GB/s").isTrue();
        assertThat(model.hostIsFaster(1, 100 * MIB, 0, 0)).as("nothing measured yet").isTrue();
        assertThat(model.hostIsFaster(1, 100 * MIB, 0, 40e9)).as("measured: 40 GB/s").isFalse();
    }

    @Test
    void copiesThatCostNothingAreNeverBeaten() {
        HybridCostModel model = new HybridCostModel(Double.POSITIVE_INFINITY, 1e15);
        assertThat(model.hostIsFaster(1, MIB, 10 * MIB, Double.NaN)).isFalse();
    }

    @Test
    void theHostRateFollowsTheHostPathsTimingsAsAMovingAverage() {
        HybridCostModel model = new HybridCostModel(25e9, 10e9);
        // 4 tokens of a 100 MiB expert in 10.5 ms: 40 GB/s per token; a fifth of the way there
        model.hostTimed(4, 100 * MIB, Math.round(4 * 100 * MIB / 40e9 * 1e9));
        assertThat(model.hostBytesPerSecond()).isCloseTo(10e9 + 0.2 * 30e9, within(1e7));
        for (int i = 0; i < 60; i++) {
            model.hostTimed(4, 100 * MIB, Math.round(4 * 100 * MIB / 40e9 * 1e9));
        }
        assertThat(model.hostBytesPerSecond()).isCloseTo(40e9, within(1e7));
        // a slow timing pulls it down again; nonsense timings are ignored
        model.hostTimed(1, 100 * MIB, Math.round(100 * MIB / 20e9 * 1e9));
        assertThat(model.hostBytesPerSecond()).isCloseTo(36e9, within(1e7));
        model.hostTimed(0, 100 * MIB, 1000);
        model.hostTimed(1, 100 * MIB, 0);
        assertThat(model.hostBytesPerSecond()).isCloseTo(36e9, within(1e7));
    }

    @Test
    void aHostThatSpeedsUpStartsWinningMisses() {
        HybridCostModel model = new HybridCostModel(25e9, 1e9); // a cold seed: 1 GB/s
        assertThat(model.hostIsFaster(1, 100 * MIB, 0, Double.NaN)).isFalse();
        model.hostTimed(1, 100 * MIB, Math.round(100 * MIB / 200e9 * 1e9)); // warmed up: 200 GB/s
        assertThat(model.hostIsFaster(1, 100 * MIB, 0, Double.NaN)).as("1 + 0.2 x 199 = 40.8 GB/s").isTrue();
    }

    @Test
    void aHostEstimatedTooSlowIsTimedAgainAfterManyMissesForTheLink() {
        HybridCostModel model = new HybridCostModel(25e9, 1e6); // a seed taken on cold code: 1 MB/s
        for (int i = 0; i < HybridCostModel.RETIME_AFTER; i++) {
            assertThat(model.computeOnHost(1, 100 * MIB, 0, Double.NaN)).as("miss " + i).isFalse();
        }
        assertThat(model.computeOnHost(2, 100 * MIB, 0, Double.NaN)).as("only a one-token miss is sent to be timed")
                .isFalse();
        assertThat(model.computeOnHost(1, 100 * MIB, 0, Double.NaN)).as("due for timing").isTrue();
        assertThat(model.computeOnHost(1, 100 * MIB, 0, Double.NaN)).as("and then not for a while").isFalse();
    }

    @Test
    void missesTheHostWinsNeedNoTiming() {
        HybridCostModel model = new HybridCostModel(1e9, 100e9);
        for (int i = 0; i < 3 * HybridCostModel.RETIME_AFTER; i++) {
            assertThat(model.computeOnHost(1, 100 * MIB, 0, Double.NaN)).isTrue();
            assertThat(model.computeOnHost(200, 100 * MIB, 0, Double.NaN)).isFalse();
        }
    }

    @Test
    void freeCopiesAreNeverTradedForATiming() {
        HybridCostModel model = new HybridCostModel(Double.POSITIVE_INFINITY, 1e6);
        for (int i = 0; i < 3 * HybridCostModel.RETIME_AFTER; i++) {
            assertThat(model.computeOnHost(1, MIB, 0, Double.NaN)).isFalse();
        }
    }

    @Test
    void theModeledLinkIsThePacedRateElseARealLinksOrNone() {
        ExpertMemory half = ExpertMemory.parse("50%");
        assertThat(HybridCostModel.modeledLink(new ExpertOffload(half, 12e9, "none", 1, true), true)).isEqualTo(12e9);
        assertThat(HybridCostModel.modeledLink(new ExpertOffload(half, 12e9, "none", 1, true), false)).isEqualTo(12e9);
        ExpertOffload auto = new ExpertOffload(half, ExpertOffload.DEVICE_LINK, "none", 1, true);
        assertThat(HybridCostModel.modeledLink(auto, false)).as("the CPU's modeled link").isEqualTo(ExpertOffload.MODELED_LINK);
        assertThat(HybridCostModel.modeledLink(auto, true)).as("a GPU's unpaced link, until measured")
                .isEqualTo(ExpertOffload.MODELED_LINK);
        assertThat(HybridCostModel.modeledLink(new ExpertOffload(half, 0, "none", 1, true), false))
                .as("unpaced copies between host arenas").isEqualTo(Double.POSITIVE_INFINITY);
    }

    @Test
    void ratesMustBePositive() {
        assertThatThrownBy(() -> new HybridCostModel(0, 1e9)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HybridCostModel(1e9, 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HybridCostModel(1e9, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    }
}
