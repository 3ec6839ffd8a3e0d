package dev.switchyard.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.cache.residency.ExpertMemory;
import dev.switchyard.cache.residency.ResidencyCounters;
import dev.switchyard.engine.forward.ExpertOffload;
import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Hybrid execution changes speed only: with some misses computed on the host instead of copied,
 * tokens and log-probabilities of a batch of concurrent requests are bit for bit those of a run
 * with every expert in place, whichever way the cost model goes (every miss to the host over a
 * crawling link, some to each when a predictor brings experts over a slow one or the link is fast).
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class HybridChangesNothingTest {

    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"MIXTRAL", "QWEN2MOE", "DEEPSEEK", "DEEPSEEK2", "GLM4MOE", "GPT_OSS", "LFM2MOE", "QWEN35MOE", "GRANITE_HYBRID", "NEMOTRON_H_MOE", "NEMOTRON_H_MOE_LATENT", "KIMI_LINEAR"})
    void tokensAndLogprobsAreThoseOfExpertsInPlaceAtQuarterMemory(GeneratedArchitecture arch) throws Exception {
        Path file = TinyModels.of(arch, GgmlType.Q8_0);
        List<GenerationRequest> all = OffloadingChangesNothingTest.requests(8, 500, 10);
        List<GenerationResult> inPlace = OffloadingChangesNothingTest.run(file, all, null).results();
        ExpertMemory quarter = ExpertMemory.parse("25%");
        record Setting(String name, ExpertOffload offload) {
        }
        for (Setting s : List.of(
                // 10 KB/s: a copy would take 40 s, so even a host on cold code under heavy load wins
                new Setting("a crawling link", new ExpertOffload(quarter, 1e4, "none", 1, true)),
                new Setting("a slow link and a predictor", new ExpertOffload(quarter, 0.2e9, "gate", 1, true)),
                new Setting("the modeled link", new ExpertOffload(quarter, ExpertOffload.DEVICE_LINK, "combined", 1, true)),
                new Setting("an unpaced link", new ExpertOffload(quarter, 0, "none", 1, true)))) {
            OffloadingChangesNothingTest.Run hybrid = OffloadingChangesNothingTest.run(file, all, s.offload());
            String what = arch + " over " + s.name();
            for (int i = 0; i < all.size(); i++) {
                assertThat(hybrid.results().get(i).tokens()).as(what + ", request " + i + " tokens")
                        .containsExactly(inPlace.get(i).tokens());
                assertThat(hybrid.results().get(i).logprobs()).as(what + ", request " + i + " logprobs")
                        .containsExactly(inPlace.get(i).logprobs());
            }
            ResidencyCounters c = hybrid.counters();
            assertThat(c.hostExperts() + c.hits() + c.demandMisses()).as(what + ": every expert was computed").isPositive();
            assertThat(c.copiedExperts()).as(what + ": each miss chosen for a copy is a miss").isLessThanOrEqualTo(c.demandMisses());
            assertThat(hybrid.slotsAllBack()).as(what + ": no slot leaked").isTrue();
            if (s.name().equals("a crawling link")) {
                assertThat(c.hostExperts()).as(what + ": every miss on the host").isPositive();
                assertThat(c.copies()).as(what + ": and none copied").isZero();
                assertThat(c.demandMisses()).isZero();
            }
            if (s.name().equals("an unpaced link")) {
                assertThat(c.copiedExperts()).as(what + ": copies that cost nothing win").isPositive();
            }
        }
    }
}
