package dev.switchyard.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.engine.schedule.Speculation;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Speculative decoding by prompt lookup changes no sequence's tokens, log-probabilities or finish,
 * greedy or sampled with a seed, with penalties, batched or alone, with steps too small for every
 * proposal and a cache small enough to preempt; and proposals are made and kept, so steps emit
 * several tokens.
 */
class SpeculativeDecodingChangesNothingTest {

    /** Prompts that repeat a short run, so that lookup finds matches from the first step. */
    private static List<GenerationRequest> requests(int count, int vocab) {
        SplittableRandom random = new SplittableRandom(7);
        List<GenerationRequest> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int period = 2 + random.nextInt(6);
            int[] run = random.ints(period, 0, vocab - 3).toArray(); // the last three ids are control tokens
            int[] prompt = new int[period * (2 + random.nextInt(3)) + random.nextInt(period)];
            for (int j = 0; j < prompt.length; j++) {
                prompt[j] = run[j % period];
            }
            SamplingParams.Builder params = switch (i % 4) {
                case 0 -> SamplingParams.builder().temperature(0);
                case 1 -> SamplingParams.builder().temperature(0.8).topK(20).seed(500L + i);
                case 2 -> SamplingParams.builder().temperature(0).repetitionPenalty(1.1).frequencyPenalty(0.2);
                // the prompt's run, favoured: the output repeats it, so proposals are kept many at a time
                default -> SamplingParams.builder().temperature(0.7).seed(900L + i).logitBias(bias(run));
            };
            list.add(new GenerationRequest(prompt, params.ignoreEos(true).logprobs(2).build(), 20 + i % 7));
        }
        return list;
    }

    private static java.util.Map<Integer, Double> bias(int[] run) {
        java.util.Map<Integer, Double> bias = new java.util.HashMap<>();
        for (int t : run) {
            bias.put(t, 12.0);
        }
        return bias;
    }

    private static List<GenerationResult> run(Path file, List<GenerationRequest> requests, int stepTokens, int sequences,
                                              int kvBlocks, Speculation speculation, Proposals proposals) throws Exception {
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(file, backend, stepTokens, sequences, c -> kvBlocks, null, null,
                     KvCacheType.F32)) {
            return model.generator(speculation, proposals).generate(requests, TokenListener.NONE);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"MIXTRAL", "QWEN2MOE", "DEEPSEEK2", "GLM4MOE", "GPT_OSS", "LFM2MOE", "QWEN35MOE", "GRANITE_HYBRID", "NEMOTRON_H_MOE", "KIMI_LINEAR", "MIMO2"})
    void speculationChangesNoTokenAndKeepsSomeProposals(GeneratedArchitecture arch) throws Exception {
        Path file = TinyModels.of(arch, GgmlType.Q8_0);
        List<GenerationRequest> all = requests(12, 500);
        List<GenerationResult> plain = run(file, all, 64, 12, 12 * 64, Speculation.NONE, new Proposals());
        Proposals wide = new Proposals();
        List<GenerationResult> speculated = run(file, all, 64, 12, 12 * 64, Speculation.lookup(5, 1, 3), wide);
        // steps of 16 rows leave little room for proposals; a small cache preempts and recomputes
        Proposals tight = new Proposals();
        List<GenerationResult> cramped = run(file, all, 16, 12, 24, Speculation.lookup(8, 2, 4), tight);
        for (int i = 0; i < all.size(); i++) {
            for (List<GenerationResult> other : List.of(speculated, cramped)) {
                assertThat(other.get(i).tokens()).as("request %d tokens", i).containsExactly(plain.get(i).tokens());
                assertThat(other.get(i).logprobs()).as("request %d logprobs", i).containsExactly(plain.get(i).logprobs());
                assertThat(other.get(i).finishReason()).isEqualTo(plain.get(i).finishReason());
            }
        }
        assertThat(wide.drafted).as("tokens proposed").isPositive();
        assertThat(wide.kept).as("proposed tokens kept, of %d", wide.drafted).isPositive();
        assertThat(tight.drafted).isPositive();
        System.out.printf("%s: kept %d of %d proposed (wide), %d of %d (tight)%n", arch, wide.kept, wide.drafted,
                tight.kept, tight.drafted);
    }
}
