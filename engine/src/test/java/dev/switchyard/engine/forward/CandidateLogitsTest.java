package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.sampling.RowCandidates;
import dev.switchyard.engine.sampling.Sampler;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.engine.sampling.TokenLogprobs;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * A step asked for a row's best tokens leaves that row of logits on the backend and reports tokens
 * from which the sampler takes what sampling the row would give, greedy or with top-k; rows asked
 * for in full still come back whole, in the same step.
 */
class CandidateLogitsTest {

    private static final int[] FIRST = {3, 14, 15, 92, 65};
    private static final int[] SECOND = {27, 18, 28};

    /** One prefill step of both prompts; sequence 0's last token asks for {@code candidates} best tokens. */
    private static StepBatch step(Path file, int candidates, float[][] logits) throws Exception {
        try (CpuBackend backend = new CpuBackend(2); LoadedModel model = LoadedModel.open(file, backend, 16, 2, 32)) {
            StepBatch batch = new StepBatch(16);
            model.kv().reserve(0, FIRST.length);
            model.kv().reserve(1, SECOND.length);
            for (int i = 0; i < FIRST.length; i++) {
                boolean last = i == FIRST.length - 1;
                batch.add(0, FIRST[i], i, last, false, last ? candidates : 0);
            }
            for (int i = 0; i < SECOND.length; i++) {
                batch.add(1, SECOND[i], i, i == SECOND.length - 1);
            }
            model.transformer().step(batch, model.kv(), logits);
            return batch;
        }
    }

    @Test
    void candidateRowsSampleWhatTheRowWould() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        int vocab;
        try (CpuBackend backend = new CpuBackend(1); LoadedModel model = LoadedModel.open(file, backend, 4, 1, 8)) {
            vocab = model.config().vocabSize();
        }
        float[][] full = new float[2][vocab];
        StepBatch read = step(file, 0, full);
        RowCandidates candidates = new RowCandidates();
        assertThat(read.candidatesOf(0, candidates)).isFalse();
        assertThat(read.candidatesOf(1, candidates)).isFalse();

        SamplingParams[] samplers = {
            SamplingParams.greedy(),
            SamplingParams.builder().temperature(0).logprobs(5).build(),
            SamplingParams.builder().temperature(1.3).topK(20).topP(0.9).seed(7L).logprobs(3).build(),
        };
        for (SamplingParams p : samplers) {
            int wanted = new Sampler(p, vocab).candidatesNeeded();
            assertThat(wanted).as("%s", p).isPositive();
            float[][] left = new float[2][vocab];
            Arrays.fill(left[0], Float.NaN);
            StepBatch picked = step(file, wanted, left);
            TokenLogprobs sampled = new TokenLogprobs();
            TokenLogprobs taken = new TokenLogprobs();
            int expected = new Sampler(p, vocab).sample(full[0], sampled);
            assertThat(picked.candidatesOf(0, candidates)).isTrue();
            assertThat(new Sampler(p, vocab).takeCandidates(candidates, taken)).as("%s", p).isEqualTo(expected);
            assertThat(taken).hasToString(sampled.toString());
            assertThat(left[0]).as("row left on the backend").containsOnly(Float.NaN);
            assertThat(picked.candidatesOf(1, candidates)).isFalse();
            assertThat(left[1]).containsExactly(full[1]);
        }
    }
}
