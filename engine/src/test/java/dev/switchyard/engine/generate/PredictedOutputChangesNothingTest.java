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
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A request's predicted output (OpenAI's Predicted Outputs) changes no token, log-probability or
 * finish, whether the prediction is the reply itself, the reply with an edit in its middle, its
 * later part alone, or nothing like it; greedy, sampled with a seed and penalized; batched, in steps
 * too small for every proposal and with a cache small enough to preempt. A prediction that holds
 * is proposed and kept (none of the reply's is refused), so the reply takes fewer steps; one that
 * was edited is found again after the edit.
 */
class PredictedOutputChangesNothingTest {

    private static final int N = 12;

    private static List<GenerationRequest> requests(int vocab) {
        SplittableRandom random = new SplittableRandom(11);
        List<GenerationRequest> list = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            int[] prompt = random.ints(4 + random.nextInt(12), 0, vocab - 3).toArray();
            SamplingParams.Builder params = switch (i % 3) {
                case 0 -> SamplingParams.builder().temperature(0);
                case 1 -> SamplingParams.builder().temperature(0.8).topK(20).seed(300L + i);
                default -> SamplingParams.builder().temperature(0).repetitionPenalty(1.1).frequencyPenalty(0.2);
            };
            list.add(new GenerationRequest(prompt, params.ignoreEos(true).logprobs(2).build(), 28 + i % 5));
        }
        return list;
    }

    /** For request {@code i}, a prediction made from its plain reply: variants by {@code i % 4}. */
    private static int[] prediction(int i, int[] reply, int vocab) {
        SplittableRandom random = new SplittableRandom(40 + i);
        return switch (i % 4) {
            case 0 -> reply.clone();                                   // the reply itself
            case 1 -> {                                                // an edit: four tokens replaced, two more added
                int[] edited = new int[reply.length + 2];
                System.arraycopy(reply, 0, edited, 0, 10);
                for (int k = 10; k < 16; k++) {
                    edited[k] = random.nextInt(vocab - 3);
                }
                System.arraycopy(reply, 14, edited, 16, reply.length - 14);
                yield edited;
            }
            case 2 -> Arrays.copyOfRange(reply, 6, reply.length);   // the later part alone
            default -> random.ints(40, 0, vocab - 3).toArray();        // nothing like it
        };
    }

    private static List<GenerationResult> run(Path file, List<GenerationRequest> requests, int stepTokens, int kvBlocks,
                                              Proposals proposals) throws Exception {
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(file, backend, stepTokens, N, c -> kvBlocks, null, null, KvCacheType.F32)) {
            return model.generator(Speculation.NONE, proposals).generate(requests, TokenListener.NONE);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"MIXTRAL", "GPT_OSS"})
    void aPredictionChangesNoTokenAndAHoldingOneIsKept(GeneratedArchitecture arch) throws Exception {
        Path file = TinyModels.of(arch, GgmlType.Q8_0);
        int vocab = 500;
        List<GenerationRequest> plainRequests = requests(vocab);
        Proposals none = new Proposals();
        List<GenerationResult> plain = run(file, plainRequests, 64, N * 64, none);
        assertThat(none.drafted).as("nothing proposed without predictions").isZero();
        List<GenerationRequest> predicted = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            predicted.add(plainRequests.get(i).withPrediction(prediction(i, plain.get(i).tokens(), vocab)));
        }
        Proposals wide = new Proposals();
        List<GenerationResult> withPredictions = run(file, predicted, 64, N * 64, wide);
        // steps of 16 rows leave little room for proposals; a small cache preempts and recomputes
        List<GenerationResult> cramped = run(file, predicted, 16, 24, new Proposals());
        for (int i = 0; i < N; i++) {
            for (List<GenerationResult> other : List.of(withPredictions, cramped)) {
                assertThat(other.get(i).tokens()).as("request %d tokens", i).containsExactly(plain.get(i).tokens());
                assertThat(other.get(i).logprobs()).as("request %d logprobs", i).containsExactly(plain.get(i).logprobs());
                assertThat(other.get(i).finishReason()).isEqualTo(plain.get(i).finishReason());
            }
            GenerationResult r = withPredictions.get(i);
            int length = r.tokens().length;
            switch (i % 4) {
                case 0 -> {
                    // every token after the first (which the prompt's last row gives) could come from the prediction
                    assertThat(r.rejectedPredictionTokens()).as("request %d: the reply refuses none of itself", i).isZero();
                    assertThat(r.acceptedPredictionTokens()).as("request %d", i).isGreaterThan(length * 3 / 4);
                }
                case 1 -> assertThat(r.acceptedPredictionTokens()).as("request %d: found again after the edit", i)
                        .isGreaterThan(length - 14 - 4);
                case 2 -> assertThat(r.acceptedPredictionTokens()).as("request %d: found where it starts", i)
                        .isGreaterThan(length / 2);
                default -> assertThat(r.acceptedPredictionTokens() + r.rejectedPredictionTokens()).isLessThan(length);
            }
        }
        assertThat(wide.kept).isEqualTo(withPredictions.stream().mapToLong(GenerationResult::acceptedPredictionTokens).sum());
        assertThat(wide.drafted - wide.kept)
                .isEqualTo(withPredictions.stream().mapToLong(GenerationResult::rejectedPredictionTokens).sum());
        System.out.printf("%s: kept %d of %d tokens proposed from predictions%n", arch, wide.kept, wide.drafted);
    }
}
