package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.kv.PagedKvCache;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.model.ModelConfigReader;
import dev.switchyard.kernels.cpu.CpuBackend;
import java.nio.file.Path;

/**
 * Runs a model file under a configuration (which may differ from what the file states, so that a
 * rule acting only past thousands of positions can act within a test's prompt) through the engine
 * and the scalar reference side by side, holding each position's logits to the reference's.
 */
final class ReferenceRun {

    static final int[] PROMPT = {5, 77, 300, 12, 9, 150, 401, 33, 260, 7, 91, 402};
    static final int[] DECODE = {18, 44, 5};

    private ReferenceRun() {
    }

    /** The configuration a model file states. */
    static ModelConfig configOf(Path file) throws Exception {
        try (GgufFile gguf = GgufFile.open(file)) {
            return ModelConfigReader.read(gguf.metadata());
        }
    }

    /** The engine's logits at each position of {@link #PROMPT} (one step) then {@link #DECODE} (a step each). */
    static double[][] logits(ModelConfig config, Path file) throws Exception {
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
                double[][] all = new double[PROMPT.length + DECODE.length][];
                for (int i = 0; i < PROMPT.length; i++) {
                    assertClose(logits[i], reference.next(PROMPT[i]), "prompt position " + i);
                    all[i] = toDoubles(logits[i]);
                }
                for (int j = 0; j < DECODE.length; j++) {
                    batch.clear();
                    batch.add(0, DECODE[j], PROMPT.length + j, true);
                    transformer.step(batch, kv, logits);
                    assertClose(logits[0], reference.next(DECODE[j]), "decode step " + j);
                    all[PROMPT.length + j] = toDoubles(logits[0]);
                }
                return all;
            }
        }
    }

    /** The largest difference between two runs' logits at positions {@code from} (inclusive) to {@code to}. */
    static double largestDifference(double[][] a, double[][] b, int from, int to) {
        double worst = 0;
        for (int i = from; i < to; i++) {
            for (int v = 0; v < a[i].length; v++) {
                worst = Math.max(worst, Math.abs(a[i][v] - b[i][v]));
            }
        }
        return worst;
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
}
