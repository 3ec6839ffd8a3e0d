package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.gguf.GgufCopy;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufWriter;
import dev.switchyard.engine.model.ModelConfigException;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file's {@code rope_freqs} (Llama 3.1 and later): each rotating pair's frequency is divided by
 * its factor. The generated {@code llama3} model carries Llama 3.1's factors: 1 for the pairs that
 * turn fast, 8 for the slow ones, a blend between; the same model without them computes other
 * logits (so the factors are read, not merely allowed); a factor that is not a positive number, or
 * a table of the wrong length, is refused naming the tensor.
 */
class RopeFactorsTest {

    @TempDir
    Path dir;

    private static final int[] PROMPT = {3, 14, 15, 92, 65, 35, 89, 79, 32, 38};

    private static float[] logits(Path file) throws Exception {
        try (CpuBackend backend = new CpuBackend(2); LoadedModel model = LoadedModel.open(file, backend, 16, 1, 32)) {
            StepBatch batch = new StepBatch(16);
            model.kv().reserve(0, PROMPT.length);
            for (int i = 0; i < PROMPT.length; i++) {
                batch.add(0, PROMPT[i], i, i == PROMPT.length - 1);
            }
            float[][] logits = new float[16][model.config().vocabSize()];
            model.transformer().step(batch, model.kv(), logits);
            return logits[0];
        }
    }

    /** The llama3 model with its factors replaced by {@code factors} (null: left out). */
    private Path withFactors(float[] factors, String name) throws Exception {
        Path source = TinyModels.of(GeneratedArchitecture.LLAMA3, GgmlType.F32);
        Path out = dir.resolve(name);
        try (GgufFile in = GgufFile.open(source)) {
            GgufWriter w = GgufCopy.of(in, key -> true, t -> !t.name().equals("rope_freqs.weight"));
            if (factors != null) {
                w.addTensor("rope_freqs.weight", GgmlType.F32, new long[] {factors.length},
                        target -> target.copyFrom(java.lang.foreign.MemorySegment.ofArray(factors)));
            }
            w.write(out);
        }
        return out;
    }

    @Test
    void theGeneratedLlama3CarriesLlama31sFactorsAndTheyChangeTheLogits() throws Exception {
        Path source = TinyModels.of(GeneratedArchitecture.LLAMA3, GgmlType.F32);
        float[] factors;
        try (GgufFile in = GgufFile.open(source)) {
            var t = in.requireTensor("rope_freqs.weight");
            factors = in.data(t).toArray(ValueLayout.JAVA_FLOAT);
            assertThat(in.metadata().optDouble("llama.rope.freq_base")).hasValue(500000.0);
        }
        assertThat(factors[0]).as("the fastest pair keeps its frequency").isEqualTo(1f);
        assertThat(factors[factors.length - 1]).as("the slowest is slowed by 8").isEqualTo(8f);
        boolean blended = false;
        for (float f : factors) {
            blended |= f > 1f && f < 8f;
        }
        assertThat(blended).as("a blend between").isTrue();
        for (int i = 1; i < factors.length; i++) {
            assertThat(factors[i]).isGreaterThanOrEqualTo(factors[i - 1]);
        }
        float[] with = logits(source);
        float[] without = logits(withFactors(null, "plain.gguf"));
        double moved = 0;
        for (int i = 0; i < with.length; i++) {
            moved = Math.max(moved, Math.abs(with[i] - without[i]));
        }
        assertThat(moved).as("the factors change what the model computes").isGreaterThan(1e-3);
    }

    @Test
    void factorsThatAreNotPositiveOrDoNotFitAreRefusedNamingTheTensor() throws Exception {
        float[] zero = new float[16];
        java.util.Arrays.fill(zero, 1f);
        zero[5] = 0;
        assertThatThrownBy(() -> logits(withFactors(zero, "zero.gguf"))).isInstanceOf(ModelConfigException.class)
                .hasMessageContaining("rope_freqs.weight").hasMessageContaining("positive");
        float[] nan = new float[16];
        java.util.Arrays.fill(nan, Float.NaN);
        assertThatThrownBy(() -> logits(withFactors(nan, "nan.gguf"))).isInstanceOf(ModelConfigException.class)
                .hasMessageContaining("rope_freqs.weight");
        assertThatThrownBy(() -> logits(withFactors(new float[] {1, 2, 3}, "short.gguf")))
                .isInstanceOf(ModelConfigException.class).hasMessageContaining("rope_freqs.weight")
                .hasMessageContaining("shape");
    }
}
