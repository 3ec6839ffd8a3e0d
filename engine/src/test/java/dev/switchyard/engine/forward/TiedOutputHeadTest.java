package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.gguf.GgufCopy;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Files without output.weight (Qwen3-0.6B, many small models) use the token embedding as the head. */
class TiedOutputHeadTest {

    @TempDir
    Path dir;

    @Test
    void modelWithoutOutputWeightUsesTheEmbeddingAsItsHead() throws Exception {
        Path source = TinyModels.of(GeneratedArchitecture.QWEN3MOE, GgmlType.Q8_0);
        Path tied = dir.resolve("tied.gguf");
        try (GgufFile in = GgufFile.open(source)) {
            GgufCopy.of(in, key -> true, t -> !t.name().equals("output.weight")).write(tied);
        }
        int[] prompt = {3, 14, 15, 92, 65};
        try (CpuBackend backend = new CpuBackend(2); LoadedModel model = LoadedModel.open(tied, backend, 8, 1, 16)) {
            assertThat(model.file().tensor("output.weight")).isEmpty();
            ReferenceForward reference = new ReferenceForward(model.config(), model.file(), 16);
            StepBatch batch = new StepBatch(8);
            model.kv().reserve(0, prompt.length);
            for (int i = 0; i < prompt.length; i++) {
                batch.add(0, prompt[i], i, i == prompt.length - 1);
            }
            float[][] logits = new float[8][model.config().vocabSize()];
            model.transformer().step(batch, model.kv(), logits);
            double[] expected = null;
            for (int token : prompt) {
                expected = reference.next(token);
            }
            double ss = 0;
            double worst = 0;
            for (int i = 0; i < expected.length; i++) {
                ss += expected[i] * expected[i];
                worst = Math.max(worst, Math.abs(logits[0][i] - expected[i]));
            }
            assertThat(worst / Math.sqrt(ss / expected.length)).isLessThan(3e-2);
        }
    }
}
