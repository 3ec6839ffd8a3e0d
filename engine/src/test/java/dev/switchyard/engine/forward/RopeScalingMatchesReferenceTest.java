package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.gguf.GgufCopy;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufWriter;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.model.ModelConfigReader;
import dev.switchyard.engine.model.RopeScaling;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model whose file declares RoPE scaling (YaRN, as the long-context Qwen3-MoE files do, and
 * linear) gives the logits of the plain reference forward, which applies the scaling as llama.cpp
 * writes it, and not those of the same weights unscaled.
 */
class RopeScalingMatchesReferenceTest {

    @TempDir
    Path dir;

    /** The tiny Qwen3-MoE model with {@code qwen3moe.rope.scaling.*} set as given. */
    private Path scaled(String type, float factor, int originalContext, float attnFactor) throws Exception {
        return scaled(GeneratedArchitecture.QWEN3MOE, type, factor, originalContext, attnFactor, 0);
    }

    /** A tiny model of {@code arch} with its rope scaling keys (and YaRN's log multiplier, if not 0) set as given. */
    private Path scaled(GeneratedArchitecture arch, String type, float factor, int originalContext, float attnFactor,
                        float yarnLogMultiplier) throws Exception {
        Path source = TinyModels.of(arch, GgmlType.F32);
        Path out = dir.resolve(arch.cliName() + "-" + type + ".gguf");
        String p = arch.architecture().ggufName() + ".";
        try (GgufFile in = GgufFile.open(source)) {
            GgufWriter w = GgufCopy.of(in);
            w.putString(p + "rope.scaling.type", type);
            w.putFloat32(p + "rope.scaling.factor", factor);
            w.putUint32(p + "rope.scaling.original_context_length", originalContext);
            w.putFloat32(p + "rope.scaling.attn_factor", attnFactor);
            if (yarnLogMultiplier != 0) {
                w.putFloat32(p + "rope.scaling.yarn_log_multiplier", yarnLogMultiplier);
            }
            w.write(out);
        }
        return out;
    }

    /** Max |logit error| / rms over a prompt at positions 0..7 and four decode steps. */
    private static double worstError(Path file, boolean againstUnscaled) throws Exception {
        int[] tokens = {5, 77, 300, 12, 9, 150, 401, 3, 33, 260, 7, 42};
        try (CpuBackend backend = new CpuBackend(2); LoadedModel model = LoadedModel.open(file, backend, 16, 1, 64)) {
            ModelConfig config = model.config();
            ModelConfig referenceConfig = againstUnscaled ? new ModelConfig(config.architecture(),
                    config.name(), config.contextLength(), config.dim(), config.layers(), config.headCount(),
                    config.kvHeadCount(), config.headDimK(), config.headDimV(), config.feedForwardLength(),
                    config.expertCount(), config.expertUsedCount(), config.expertFeedForwardLength(),
                    config.sharedExpertFeedForwardLength(), config.leadingDenseLayers(), config.normalizeTopK(), config.rmsEps(),
                    config.ropeFreqBase(), config.ropeDimensions(), RopeScaling.NONE, config.vocabSize(),
                    config.latentAttention(), config.routing()) : config;
            ReferenceForward reference = new ReferenceForward(referenceConfig, model.file(), 64);
            float[][] logits = new float[16][config.vocabSize()];
            StepBatch batch = new StepBatch(16);
            model.kv().reserve(0, tokens.length);
            double worst = 0;
            for (int i = 0; i < tokens.length; i++) {
                batch.clear();
                batch.add(0, tokens[i], i, true);
                model.transformer().step(batch, model.kv(), logits);
                double[] expected = reference.next(tokens[i]);
                double ss = 0;
                double err = 0;
                for (int v = 0; v < expected.length; v++) {
                    ss += expected[v] * expected[v];
                    err = Math.max(err, Math.abs(logits[0][v] - expected[v]));
                }
                worst = Math.max(worst, err / Math.sqrt(ss / expected.length));
            }
            return worst;
        }
    }

    @Test
    void yarnLogitsMatchTheReference() throws Exception {
        // an original context of 8 positions puts the ramp in the middle of the tiny model's head
        Path file = scaled("yarn", 4f, 8, 0.8f);
        try (GgufFile f = GgufFile.open(file)) {
            assertThat(ModelConfigReader.read(f.metadata()).ropeScaling().type())
                    .isEqualTo(RopeScaling.Type.YARN);
        }
        assertThat(worstError(file, false)).isLessThan(1e-4);
        assertThat(worstError(file, true)).as("the scaling matters").isGreaterThan(1e-2);
    }

    /**
     * Latent attention keeps YaRN's rotation at attn_factor and sharpens the softmax by the log
     * multiplier instead; an original context of 8 positions again puts the ramp mid-head.
     */
    @Test
    void deepseekV2YarnLogitsMatchTheReference() throws Exception {
        // DeepSeek-V2's multiplier as llama.cpp's converter writes it: 0.1 x mscale_all_dim 0.707
        Path file = scaled(GeneratedArchitecture.DEEPSEEK2, "yarn", 4f, 8, 0.9f, 0.0707f);
        try (GgufFile f = GgufFile.open(file)) {
            assertThat(ModelConfigReader.read(f.metadata()).latentAttention().yarnLogMultiplier()).isEqualTo(0.0707f);
        }
        assertThat(worstError(file, false)).isLessThan(1e-4);
        assertThat(worstError(file, true)).as("the scaling matters").isGreaterThan(1e-2);
    }

    /** Without a stated multiplier the rotation keeps YaRN's usual magnitude, and the softmax is sharpened by it too. */
    @Test
    void deepseekV2YarnWithoutALogMultiplierMatchesTheReference() throws Exception {
        Path file = scaled(GeneratedArchitecture.DEEPSEEK2_LITE, "yarn", 4f, 8, 1f, 0);
        assertThat(worstError(file, false)).isLessThan(1e-4);
        assertThat(worstError(file, true)).as("the scaling matters").isGreaterThan(1e-2);
    }

    @Test
    void linearLogitsMatchTheReference() throws Exception {
        Path file = scaled("linear", 2f, 0, 1f);
        assertThat(worstError(file, false)).isLessThan(1e-4);
        assertThat(worstError(file, true)).as("the scaling matters").isGreaterThan(1e-2);
    }
}
