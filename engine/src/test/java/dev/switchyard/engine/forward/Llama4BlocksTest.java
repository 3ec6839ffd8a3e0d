package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.kv.PagedKvCache;
import dev.switchyard.engine.model.LayerPattern;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.model.ModelConfigReader;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Llama 4's chunked attention and attention temperature start past 8192 positions, beyond what a
 * test runs; here the generated Llama 4 runs with chunks of 3 positions and a temperature step of 4
 * instead, so that both act within a short prompt, against the scalar reference under the same
 * settings, and the logits move from those with neither.
 */
class Llama4BlocksTest {

    private static final int[] PROMPT = {5, 77, 300, 12, 9, 150, 401, 33, 260, 7, 91, 402};
    private static final int[] DECODE = {18, 44, 5};

    private static double[][] run(ModelConfig config, Path file) throws Exception {
        try (GgufFile gguf = GgufFile.open(file); CpuBackend backend = new CpuBackend(2)) {
            ModelWeights weights = ModelWeights.load(config, gguf, backend);
            ReferenceForward reference = new ReferenceForward(config, gguf, 32);
            try (Transformer transformer = new Transformer(weights, backend, 16, 1, 4, 16)) {
                PagedKvCache kv = new PagedKvCache(4, 16, 1);
                kv.reserve(0, PROMPT.length + DECODE.length);
                StepBatch batch = new StepBatch(16);
                float[][] logits = new float[16][config.vocabSize()];
                for (int i = 0; i < PROMPT.length; i++) {
                    batch.add(0, PROMPT[i], i, true);
                }
                transformer.step(batch, kv, logits);
                double[][] last = new double[PROMPT.length + DECODE.length][];
                for (int i = 0; i < PROMPT.length; i++) {
                    double[] expected = reference.next(PROMPT[i]);
                    assertClose(logits[i], expected, "prompt position " + i);
                    last[i] = toDoubles(logits[i]);
                }
                for (int j = 0; j < DECODE.length; j++) {
                    batch.clear();
                    batch.add(0, DECODE[j], PROMPT.length + j, true);
                    transformer.step(batch, kv, logits);
                    assertClose(logits[0], reference.next(DECODE[j]), "decode step " + j);
                    last[PROMPT.length + j] = toDoubles(logits[0]);
                }
                return last;
            }
        }
    }

    private static double[] toDoubles(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static void assertClose(float[] actual, double[] expected, String where) {
        double ss = 0;
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            ss += expected[i] * expected[i];
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        }
        assertThat(worst / Math.sqrt(ss / expected.length)).as(where + ": max |error| / rms(logits)").isLessThan(1e-4);
    }

    @Test
    void chunksAndTemperaturesAgreeWithTheReferenceAndChangeTheLogits() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.LLAMA4, GgmlType.F32);
        ModelConfig read;
        try (GgufFile gguf = GgufFile.open(file)) {
            read = ModelConfigReader.read(gguf.metadata());
        }
        LayerPattern llama4 = read.pattern();
        assertThat(llama4.rotatedChunk()).isEqualTo(8192);
        double[][] plain = run(read, file);
        LayerPattern shortened = new LayerPattern(llama4.moeStep(), llama4.unrotatedStep(), llama4.rotatedQkNorm(), 3, 4,
                0.5);
        double[][] chunked = run(read.withPattern(shortened), file);
        double moved = 0;
        for (int i = 0; i < plain.length; i++) {
            for (int v = 0; v < plain[i].length; v++) {
                moved = Math.max(moved, Math.abs(plain[i][v] - chunked[i][v]));
            }
        }
        assertThat(moved).as("chunks and temperatures change what the model computes").isGreaterThan(1e-2);
        // positions 0..2 sit in the first chunk, attending as without chunks, and before the temperature's first step
        for (int i = 0; i < 3; i++) {
            double same = 0;
            for (int v = 0; v < plain[i].length; v++) {
                same = Math.max(same, Math.abs(plain[i][v] - chunked[i][v]));
            }
            assertThat(same).as("position " + i).isLessThan(1e-4);
        }
    }
}
