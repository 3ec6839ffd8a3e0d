package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.sampling.Sampler;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.engine.sampling.TokenLogprobs;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * A step asked only for greedy tokens leaves those rows of logits on the backend and reports the
 * token and log-probability that sampling the row would give; rows asked for in full still come
 * back whole, in the same step.
 */
class GreedyOnlyLogitsTest {

    private static final int[] FIRST = {3, 14, 15, 92, 65};
    private static final int[] SECOND = {27, 18, 28};

    /** One prefill step of both prompts; sequence 0's last token greedy-only when asked. */
    private static StepBatch step(Path file, boolean greedyOnly, float[][] logits) throws Exception {
        try (CpuBackend backend = new CpuBackend(2); LoadedModel model = LoadedModel.open(file, backend, 16, 2, 32)) {
            StepBatch batch = new StepBatch(16);
            model.kv().reserve(0, FIRST.length);
            model.kv().reserve(1, SECOND.length);
            for (int i = 0; i < FIRST.length; i++) {
                boolean last = i == FIRST.length - 1;
                batch.add(0, FIRST[i], i, last, false, last && greedyOnly);
            }
            for (int i = 0; i < SECOND.length; i++) {
                batch.add(1, SECOND[i], i, i == SECOND.length - 1);
            }
            model.transformer().step(batch, model.kv(), logits);
            return batch;
        }
    }

    @Test
    void greedyOnlyRowsReportWhatSamplingTheRowWould() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        int vocab;
        try (CpuBackend backend = new CpuBackend(1); LoadedModel model = LoadedModel.open(file, backend, 4, 1, 8)) {
            vocab = model.config().vocabSize();
        }
        float[][] full = new float[2][vocab];
        StepBatch read = step(file, false, full);
        assertThat(read.greedyToken(0)).isEqualTo(-1);
        assertThat(read.greedyToken(1)).isEqualTo(-1);

        float[][] greedy = new float[2][vocab];
        Arrays.fill(greedy[0], Float.NaN);
        StepBatch picked = step(file, true, greedy);
        TokenLogprobs sampled = new TokenLogprobs();
        int expected = new Sampler(SamplingParams.greedy(), vocab).sample(full[0], sampled);
        assertThat(picked.greedyToken(0)).isEqualTo(expected);
        assertThat(picked.greedyLogprob(0)).isEqualTo(sampled.logprob());
        assertThat(greedy[0]).as("row left on the backend").containsOnly(Float.NaN);
        assertThat(picked.greedyToken(1)).isEqualTo(-1);
        assertThat(greedy[1]).containsExactly(full[1]);
    }
}
