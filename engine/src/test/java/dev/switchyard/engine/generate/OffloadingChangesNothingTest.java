package dev.switchyard.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.cache.residency.ExpertMemory;
import dev.switchyard.cache.residency.ExpertResidency;
import dev.switchyard.cache.residency.ResidencyCounters;
import dev.switchyard.engine.forward.ExpertOffload;
import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Tokens and log-probabilities never depend on how much expert memory there is, which predictor
 * prefetches, or how fast the link is: bit for bit the same as with every expert used in place,
 * for a batch of concurrent requests, down to a device tier that holds one token's top-k experts.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class OffloadingChangesNothingTest {

    /** {@code count} prompts 1-30 tokens long of random ordinary tokens, the same every run. */
    static List<int[]> prompts(int count, int vocab) {
        SplittableRandom random = new SplittableRandom(5);
        List<int[]> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] prompt = new int[1 + random.nextInt(30)];
            for (int j = 0; j < prompt.length; j++) {
                prompt[j] = random.nextInt(vocab - 3);
            }
            list.add(prompt);
        }
        return list;
    }

    /** Concurrent requests of {@link #prompts}, greedy and seeded sampling alternately, with logprobs. */
    static List<GenerationRequest> requests(int count, int vocab, int maxTokens) {
        List<int[]> prompts = prompts(count, vocab);
        List<GenerationRequest> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] prompt = prompts.get(i);
            SamplingParams params = i % 2 == 0
                    ? SamplingParams.builder().temperature(0).ignoreEos(true).logprobs(3).build()
                    : SamplingParams.builder().temperature(0.9).topP(0.9).seed(77L + i).ignoreEos(true).logprobs(3).build();
            list.add(new GenerationRequest(prompt, params, maxTokens));
        }
        return list;
    }

    /** A run's results, with offloading its counters and whether every slot came back after it. */
    record Run(List<GenerationResult> results, ResidencyCounters counters, boolean slotsAllBack) {
    }

    /** {@code requests} on the CPU backend, experts in place ({@code offload} null) or offloaded. */
    static Run run(Path file, List<GenerationRequest> requests, ExpertOffload offload) throws Exception {
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(file, backend, 16, 8, c -> 8 * 64, null, offload)) {
            List<GenerationResult> results = model.generator().generate(requests, TokenListener.NONE);
            if (offload == null) {
                return new Run(results, null, true);
            }
            ExpertResidency residency = model.offloadedExperts().residency();
            ResidencyCounters counters = residency.stats().snapshot();
            boolean slotsAllBack = residency.evictAllOnceCopiesLand(java.time.Duration.ofSeconds(10));
            return new Run(results, counters, slotsAllBack);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"MIXTRAL", "QWEN2MOE", "DEEPSEEK", "DEEPSEEK2", "GLM4MOE", "GPT_OSS", "LFM2MOE", "QWEN35MOE", "GRANITE_HYBRID", "NEMOTRON_H_MOE", "NEMOTRON_H_MOE_LATENT", "KIMI_LINEAR"})
    void tokensAndLogprobsAreTheSameAtEveryMemorySizeAndPredictor(GeneratedArchitecture arch) throws Exception {
        Path file = TinyModels.of(arch, GgmlType.Q8_0);
        List<GenerationRequest> all = requests(8, 500, 10);
        List<GenerationResult> inPlace = run(file, all, null).results();
        // 2 routed layers x 8 experts, top-2: 12.5% is the minimum, one layer's top-k
        java.util.Set<String> prefetchedSomewhere = new java.util.HashSet<>();
        for (String memory : List.of("100%", "50%", "25%", "12.5%")) {
            for (String predictor : List.of("none", "gate", "affinity", "combined")) {
                double link = predictor.equals("gate") ? 2e9 : 0; // paced and unpaced links alike
                Run offloaded = run(file, all, new ExpertOffload(ExpertMemory.parse(memory), link, predictor, 1));
                String what = arch + " at " + memory + " with " + predictor;
                for (int i = 0; i < all.size(); i++) {
                    assertThat(offloaded.results().get(i).tokens()).as(what + ", request " + i + " tokens")
                            .containsExactly(inPlace.get(i).tokens());
                    assertThat(offloaded.results().get(i).logprobs()).as(what + ", request " + i + " logprobs")
                            .containsExactly(inPlace.get(i).logprobs());
                }
                ResidencyCounters c = offloaded.counters();
                assertThat(c.hits() + c.demandMisses()).as(what + ": every expert came through the cache").isPositive();
                assertThat(offloaded.slotsAllBack()).as(what + ": no slot leaked").isTrue();
                if (!memory.equals("100%")) {
                    assertThat(c.evictions()).as(what + ": a partial tier evicts").isPositive();
                }
                // With room for every expert, a predictor that learns online (affinity) may only
                // know the model once all its experts are resident and then has nothing left to
                // fetch; partial tiers have evicted experts to bring back, though at one size a
                // predictor's every guess may happen to be resident still.
                if (!memory.equals("100%") && c.prefetchIssued() > 0) {
                    prefetchedSomewhere.add(predictor);
                }
            }
        }
        assertThat(prefetchedSomewhere).as(arch + ": predictors that prefetched at some partial tier")
                .containsExactlyInAnyOrder("gate", "affinity", "combined");
    }
}
