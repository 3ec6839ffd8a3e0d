package dev.switchyard.engine.modelgen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.model.ModelConfigException;
import dev.switchyard.engine.model.ModelConfigReader;
import dev.switchyard.engine.model.TensorLayout;
import dev.switchyard.engine.model.TensorSpec;
import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.TensorCodecs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RandomModelGeneratorTest {

    @TempDir
    Path dir;

    /**
     * The tiny preset made smaller still, so every family can be written in a fraction of a second:
     * 2 blocks, but 3 for Nemotron-H, whose blocks run one part each (Mamba2, an FFN, attention).
     */
    private static ModelSpec small(GeneratedArchitecture arch, GgmlType type, long seed) {
        int layers = arch.architecture().separatesFeedForward() ? 3 : 2;
        return new ModelSpec(arch, ModelPreset.TINY, layers, null, null, null, null, null, 256, 512, type, seed, null);
    }

    @Test
    void nemotronHNeedsABlockOfEachPart() {
        ModelSpec two = new ModelSpec(GeneratedArchitecture.NEMOTRON_H_MOE, ModelPreset.TINY, 2, null, null, null, null,
                null, 256, 512, GgmlType.F32, 1, null);
        assertThatThrownBy(() -> RandomModelGenerator.write(two, dir.resolve("two.gguf")))
                .hasMessageContaining("nemotron_h_moe needs at least 3 blocks");
    }

    @ParameterizedTest
    @EnumSource(GeneratedArchitecture.class)
    void everyFamilyIsWrittenAsAValidModelOfItsConfiguration(GeneratedArchitecture arch) throws Exception {
        Path out = dir.resolve(arch.cliName() + ".gguf");
        GeneratedModel written = RandomModelGenerator.write(small(arch, GgmlType.F32, 1), out);
        try (GgufFile f = GgufFile.open(out)) {
            ModelConfig read = ModelConfigReader.read(f.metadata());
            assertThat(read).isEqualTo(written.config());
            assertThat(read.architecture()).isEqualTo(arch.architecture());
            assertThat(read.isMoe()).isEqualTo(arch.moeByDefault());
            TensorLayout.validate(read, f);
            assertThat(f.tensors()).hasSize((int) TensorLayout.expectedTensors(read).stream()
                    .filter(t -> !arch.leavesOut(t)).count());
            assertThat(f.metadata().requireString("tokenizer.ggml.model")).isEqualTo("gpt2");
            assertThat(f.metadata().requireString("tokenizer.chat_template")).contains("<|im_start|>");
        }
    }

    @Test
    void tinyPresetHasTheDocumentedShape() {
        ModelConfig c = RandomModelGenerator.configFor(ModelSpec.of(GeneratedArchitecture.MIXTRAL, ModelPreset.TINY, GgmlType.F32, 0), 1000);
        assertThat(c.dim()).isEqualTo(256);
        assertThat(c.layers()).isEqualTo(4);
        assertThat(c.headCount()).isEqualTo(8);
        assertThat(c.kvHeadCount()).isEqualTo(2);
        assertThat(c.expertCount()).isEqualTo(8);
        assertThat(c.expertUsedCount()).isEqualTo(2);
        assertThat(c.expertFeedForwardLength()).isEqualTo(512);
    }

    @Test
    void benchPresetHasTheDocumentedShape() {
        ModelConfig c = RandomModelGenerator.configFor(ModelSpec.of(GeneratedArchitecture.MIXTRAL, ModelPreset.BENCH, GgmlType.Q8_0, 0), 1000);
        assertThat(c.dim()).isEqualTo(1024);
        assertThat(c.layers()).isEqualTo(8);
        assertThat(c.headCount()).isEqualTo(16);
        assertThat(c.kvHeadCount()).isEqualTo(4);
        assertThat(c.expertCount()).isEqualTo(8);
        assertThat(c.expertUsedCount()).isEqualTo(2);
        assertThat(c.expertFeedForwardLength()).isEqualTo(2816);
        assertThat(c.contextLength()).isEqualTo(4096);
    }

    @Test
    void gpuBenchPresetIsMixtral8x7bCutToFourLayersAndItsSizeIsKnownWithoutWritingIt() {
        int vocab = RandomModelGenerator.builtInVocabularySize();
        ModelSpec spec = ModelSpec.of(GeneratedArchitecture.MIXTRAL, ModelPreset.GPU_BENCH, GgmlType.BF16, 0);
        ModelConfig c = RandomModelGenerator.configFor(spec, vocab);
        assertThat(c.dim()).isEqualTo(4096);
        assertThat(c.layers()).isEqualTo(4);
        assertThat(c.headCount()).isEqualTo(32);
        assertThat(c.kvHeadCount()).isEqualTo(8);
        assertThat(c.expertCount()).isEqualTo(8);
        assertThat(c.expertUsedCount()).isEqualTo(2);
        assertThat(c.expertFeedForwardLength()).isEqualTo(14336);
        assertThat(c.contextLength()).isEqualTo(4096);
        assertThat(c.name()).isEqualTo("switchyard-mixtral-gpu-bench");
        // the bench preset's vocabulary: the built-in one
        assertThat(c.vocabSize()).isEqualTo(RandomModelGenerator.configFor(
                ModelSpec.of(GeneratedArchitecture.MIXTRAL, ModelPreset.BENCH, GgmlType.Q8_0, 0), vocab).vocabSize());

        // bf16 matrices (2 bytes a value), f32 norms and routers
        long attention = 2L * (4096L * 4096 + 4096L * 1024) * 2;     // q, o; k, v
        long experts = 3L * 8 * 4096 * 14336 * 2;                     // gate, up, down of 8 experts
        long layer = attention + experts + 8L * 4096 * 4 + 2L * 4096 * 4; // + router, two norms
        long total = 4 * layer + 2L * vocab * 4096 * 2 + 4096L * 4;   // + embeddings, output head, final norm
        assertThat(RandomModelGenerator.tensorBytes(spec, vocab)).isEqualTo(total);
        assertThat(total).isBetween(11_000_000_000L, 12_000_000_000L);
        // the same shape in q4_0 is under a third of that
        ModelSpec q4 = ModelSpec.of(GeneratedArchitecture.MIXTRAL, ModelPreset.GPU_BENCH, GgmlType.Q4_0, 0);
        assertThat(RandomModelGenerator.tensorBytes(q4, vocab)).isLessThan(total / 3);
    }

    @Test
    void tensorBytesIsWhatTheWrittenFileHolds() throws Exception {
        Path out = dir.resolve("size.gguf");
        ModelSpec spec = small(GeneratedArchitecture.MIXTRAL, GgmlType.BF16, 4);
        GeneratedModel m = RandomModelGenerator.write(spec, out);
        long tensors = 0;
        try (GgufFile f = GgufFile.open(out)) {
            for (GgufTensorInfo t : f.tensors()) {
                tensors += t.byteSize();
            }
        }
        assertThat(RandomModelGenerator.tensorBytes(spec, m.config().vocabSize())).isEqualTo(tensors);
        assertThat(m.fileBytes()).isGreaterThan(tensors);
    }

    @Test
    void presetsAreNamedAsTheCommandLineSpellsThem() {
        assertThat(ModelPreset.names()).isEqualTo("tiny, small, bench, gpu-bench");
        assertThat(ModelPreset.parse(" GPU-Bench ")).isEqualTo(ModelPreset.GPU_BENCH);
        assertThat(ModelPreset.parse("bench")).isEqualTo(ModelPreset.BENCH);
        assertThatThrownBy(() -> ModelPreset.parse("gpu_bench")).hasMessageContaining("tiny, small, bench, gpu-bench");
    }

    @Test
    void sameSeedGivesIdenticalBytesAndAnotherSeedDoesNot() throws Exception {
        Path a = dir.resolve("a.gguf");
        Path b = dir.resolve("b.gguf");
        Path c = dir.resolve("c.gguf");
        RandomModelGenerator.write(small(GeneratedArchitecture.QWEN3MOE, GgmlType.F32, 7), a);
        RandomModelGenerator.write(small(GeneratedArchitecture.QWEN3MOE, GgmlType.F32, 7), b);
        RandomModelGenerator.write(small(GeneratedArchitecture.QWEN3MOE, GgmlType.F32, 8), c);
        assertThat(Files.mismatch(a, b)).isEqualTo(-1);
        assertThat(Files.mismatch(a, c)).isNotEqualTo(-1);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL",
        "IQ4_XS", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    void everySupportedTypeIsWrittenForMatricesWhileNormsStayF32(GgmlType type) throws Exception {
        Path out = dir.resolve(type + ".gguf");
        RandomModelGenerator.write(small(GeneratedArchitecture.MIXTRAL, type, 3), out);
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.requireTensor("blk.0.ffn_gate_exps.weight").type()).isEqualTo(type);
            assertThat(f.requireTensor("token_embd.weight").type()).isEqualTo(type);
            assertThat(f.requireTensor("blk.0.attn_norm.weight").type()).isEqualTo(GgmlType.F32);
            assertThat(f.requireTensor("blk.0.ffn_gate_inp.weight").type()).isEqualTo(GgmlType.F32);
            assertThat(f.metadata().requireLong("general.file_type")).isEqualTo(LlamaFileType.of(type));
        }
    }

    @Test
    void mxfp4GoesToTheRoutedExpertsAndTheOtherMatricesToQ8() throws Exception {
        Path out = dir.resolve("mxfp4.gguf");
        GeneratedModel m = RandomModelGenerator.write(small(GeneratedArchitecture.GPT_OSS, GgmlType.MXFP4, 3), out);
        try (GgufFile f = GgufFile.open(out)) {
            assertThat(f.requireTensor("blk.0.ffn_gate_exps.weight").type()).isEqualTo(GgmlType.MXFP4);
            assertThat(f.requireTensor("blk.1.ffn_down_exps.weight").type()).isEqualTo(GgmlType.MXFP4);
            assertThat(f.requireTensor("blk.0.attn_q.weight").type()).isEqualTo(GgmlType.Q8_0);
            assertThat(f.requireTensor("token_embd.weight").type()).isEqualTo(GgmlType.Q8_0);
            assertThat(f.requireTensor("blk.0.ffn_gate_exps.bias").type()).isEqualTo(GgmlType.F32);
            assertThat(f.requireTensor("blk.0.attn_sinks.weight").type()).isEqualTo(GgmlType.F32);
            assertThat(f.metadata().requireLong("general.file_type")).as("MXFP4_MOE").isEqualTo(38);
            assertThat(f.metadata().requireLong("gpt-oss.attention.sliding_window")).isEqualTo(16);
        }
        assertThat(RandomModelGenerator.tensorBytes(small(GeneratedArchitecture.GPT_OSS, GgmlType.MXFP4, 3),
                m.config().vocabSize())).isLessThan(m.fileBytes());
    }

    @Test
    void weightsFollowTheirInitialisationScale() throws Exception {
        Path out = dir.resolve("scale.gguf");
        GeneratedModel m = RandomModelGenerator.write(small(GeneratedArchitecture.MIXTRAL, GgmlType.F32, 5), out);
        try (GgufFile f = GgufFile.open(out)) {
            for (TensorSpec spec : TensorLayout.expectedTensors(m.config())) {
                if (GeneratedArchitecture.MIXTRAL.leavesOut(spec)) {
                    assertThat(f.tensor(spec.name())).as(spec.name()).isEmpty();
                    continue;
                }
                GgufTensorInfo t = f.requireTensor(spec.name());
                float[] v = new float[(int) t.elementCount()];
                TensorCodecs.forType(t.type()).dequantize(f.data(t), 0, v, 0, v.length);
                double mean = Arrays.stream(toDoubles(v)).average().orElseThrow();
                double std = Math.sqrt(Arrays.stream(toDoubles(v)).map(x -> (x - mean) * (x - mean)).average().orElseThrow());
                InitScale expected = InitScale.forTensor(spec, m.config());
                double tolerance = 6 * expected.std() / Math.sqrt(v.length) + 1e-6;
                assertThat(mean).as(spec.name() + " mean").isCloseTo(expected.mean(), org.assertj.core.data.Offset.offset(tolerance));
                assertThat(std).as(spec.name() + " std").isCloseTo(expected.std(), org.assertj.core.data.Percentage.withPercentage(15));
            }
        }
    }

    @Test
    void outputLogitsOfAUnitHiddenStateSpreadFarBeyondFloatRounding() throws Exception {
        Path out = dir.resolve("logits.gguf");
        GeneratedModel m = RandomModelGenerator.write(small(GeneratedArchitecture.MIXTRAL, GgmlType.F32, 11), out);
        int dim = m.config().dim();
        int vocab = m.config().vocabSize();
        try (GgufFile f = GgufFile.open(out)) {
            GgufTensorInfo head = f.requireTensor("output.weight");
            float[] w = new float[(int) head.elementCount()];
            TensorCodecs.forType(head.type()).dequantize(f.data(head), 0, w, 0, w.length);
            java.util.SplittableRandom r = new java.util.SplittableRandom(1);
            int trials = 400;
            double[] margins = new double[trials];
            for (int trial = 0; trial < trials; trial++) {
                double[] h = new double[dim];
                for (int i = 0; i < dim; i++) {
                    h[i] = r.nextGaussian(); // RMS ~1, as after the final RMSNorm
                }
                double best = -Double.MAX_VALUE;
                double second = -Double.MAX_VALUE;
                for (int t = 0; t < vocab; t++) {
                    double logit = 0;
                    for (int i = 0; i < dim; i++) {
                        logit += w[t * dim + i] * h[i];
                    }
                    if (logit > best) {
                        second = best;
                        best = logit;
                    } else if (logit > second) {
                        second = logit;
                    }
                }
                margins[trial] = best - second;
            }
            Arrays.sort(margins);
            // float32 rounding of a 256-term dot of these magnitudes is about 1e-5: the typical
            // margin is five orders above it, and fewer than 1% of states come within 100x of it.
            assertThat(margins[trials / 2]).isGreaterThan(1.0);
            assertThat(margins[trials / 100]).isGreaterThan(1e-3);
        }
    }

    @Test
    void rowsThatAreNotWholeBlocksAreRejectedBeforeAnythingIsWritten() {
        Path out = dir.resolve("bad.gguf");
        ModelSpec spec = new ModelSpec(GeneratedArchitecture.MIXTRAL, ModelPreset.TINY, 1, 320, 8, 2, null, null, 512, 256,
                GgmlType.Q4_K, 1, null);
        assertThatThrownBy(() -> RandomModelGenerator.write(spec, out))
                .isInstanceOf(ModelConfigException.class)
                .hasMessageContaining("not a multiple of q4_k's block size 256");
        assertThat(out).doesNotExist();
    }

    @Test
    void denseFamilyWithExpertsIsRejected() {
        ModelSpec spec = new ModelSpec(GeneratedArchitecture.QWEN3, ModelPreset.TINY, 1, null, null, null, 4, 2, 256, 256,
                GgmlType.F32, 1, null);
        assertThatThrownBy(() -> RandomModelGenerator.write(spec, dir.resolve("x.gguf")))
                .isInstanceOf(ModelConfigException.class)
                .hasMessageContaining("qwen3 has no experts");
    }

    @Test
    void tokenizerCanBeCopiedFromAnotherFile() throws Exception {
        Path donor = dir.resolve("donor.gguf");
        RandomModelGenerator.write(small(GeneratedArchitecture.QWEN2, GgmlType.F32, 1), donor);
        Path out = dir.resolve("copy.gguf");
        ModelSpec spec = new ModelSpec(GeneratedArchitecture.OLMOE, ModelPreset.TINY, 1, null, null, null, null, null, 256, 256,
                GgmlType.F32, 1, donor);
        RandomModelGenerator.write(spec, out);
        try (GgufFile d = GgufFile.open(donor); GgufFile f = GgufFile.open(out)) {
            d.metadata().asMap().forEach((k, v) -> {
                if (k.startsWith("tokenizer.")) {
                    assertThat(f.metadata().get(k)).as(k).contains(v);
                }
            });
        }
    }

    @Test
    void vocabularyFromAFileWithoutTokenizerIsRejected() throws Exception {
        Path donor = dir.resolve("empty.gguf");
        new dev.switchyard.engine.gguf.GgufWriter().putString("general.architecture", "llama").write(donor);
        ModelSpec spec = new ModelSpec(GeneratedArchitecture.MIXTRAL, ModelPreset.TINY, 1, null, null, null, null, null, 256, 256,
                GgmlType.F32, 1, donor);
        assertThatThrownBy(() -> RandomModelGenerator.write(spec, dir.resolve("y.gguf")))
                .isInstanceOf(ModelConfigException.class)
                .hasMessageContaining("'tokenizer.ggml.tokens' is missing");
    }

    private static double[] toDoubles(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }
}
