package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.kv.KvCache;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The optimized forward pass against the plain scalar reference, for every family, over a prompt
 * processed in one step and then token-by-token decoding. Tolerances are relative to the RMS of
 * the reference logits: the reference dequantizes weights with the same codecs, so what differs is
 * float32 accumulation order and, for block formats, the backend's quantization of activations.
 */
class TransformerMatchesReferenceTest {

    static Stream<Arguments> cases() {
        Stream.Builder<Arguments> b = Stream.builder();
        for (GeneratedArchitecture arch : GeneratedArchitecture.values()) {
            b.add(Arguments.of(arch, GgmlType.F32, 1e-4));
        }
        b.add(Arguments.of(GeneratedArchitecture.MIXTRAL, GgmlType.F16, 1e-3));
        b.add(Arguments.of(GeneratedArchitecture.MIXTRAL, GgmlType.BF16, 1e-3));
        for (GgmlType t : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K,
            GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS, GgmlType.MXFP4, GgmlType.IQ2_XXS, GgmlType.IQ2_XS,
            GgmlType.IQ2_S, GgmlType.IQ3_XXS, GgmlType.IQ3_S, GgmlType.IQ1_S, GgmlType.IQ1_M}) {
            b.add(Arguments.of(GeneratedArchitecture.MIXTRAL, t, 3e-2));
        }
        b.add(Arguments.of(GeneratedArchitecture.QWEN2MOE, GgmlType.Q8_0, 3e-2));
        return b.build();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void logitsAgreeWithTheScalarReference(GeneratedArchitecture arch, GgmlType type, double tolerance) throws Exception {
        agree(arch, type, tolerance, new int[] {5, 77, 300, 12, 9, 150, 401}, new int[] {33, 260, 7});
    }

    /**
     * gpt-oss's windowed blocks past their window (16 positions in the tiny model): a prompt that
     * outgrows it in one step, then decoding further still, so both the prefill and the decode
     * paths drop the positions that left the window.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = GgmlType.class, names = {"F32", "MXFP4"})
    void windowedBlocksAgreeWithTheReferenceBeyondTheirWindow(GgmlType type) throws Exception {
        int[] prompt = new int[22];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (i * 37 + 11) % 500;
        }
        agree(GeneratedArchitecture.GPT_OSS, type, type == GgmlType.F32 ? 1e-4 : 3e-2, prompt,
                new int[] {33, 260, 7, 91, 402, 18});
    }

    /**
     * An F16 KV cache, every family (latent attention's cached latent, gpt-oss's windows and sinks
     * included): the engine against the reference whose cache rounds to halves as well, past a
     * windowed block's window. Over the unrounded reference the logits move by more than the float
     * kernels' own error, so the halves are really what attention reads.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(GeneratedArchitecture.class)
    void anF16CacheAgreesWithTheReferenceOverHalves(GeneratedArchitecture arch) throws Exception {
        int[] prompt = new int[20];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (i * 53 + 7) % 500;
        }
        agree(arch, GgmlType.F32, 2e-4, prompt, new int[] {33, 260, 7}, KvCacheType.F16);
    }

    /**
     * A Q8_0 KV cache, every family: the engine against the reference whose cache quantizes each
     * head's groups of 32 as well (latent attention's rotated key and latent as the one row the
     * engine caches), past a windowed block's window; quantizing moves the logits further still
     * (a quant that rounds the other way on one side moves a logit by up to 3e-4 of their RMS: ERNIE
     * 4.5's shape, three blocks deep with its shared experts, reached 2.8e-4; AFMoE's norms of each
     * branch's output scale a small attention output, and a flipped quant in it, up to the stream's
     * size: quantizing moves its logits 0.053 of their RMS where it moves the others' 0.01 to 0.018,
     * and it reached 1.4e-3 against the quantizing reference, 2.6% of that movement, as ERNIE's 2.8e-4
     * is of its 0.013).
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(GeneratedArchitecture.class)
    void aQ8CacheAgreesWithTheReferenceOverItsQuants(GeneratedArchitecture arch) throws Exception {
        int[] prompt = new int[20];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = (i * 53 + 7) % 500;
        }
        agree(arch, GgmlType.F32, arch == GeneratedArchitecture.AFMOE ? 2e-3 : 3e-4, prompt, new int[] {33, 260, 7},
                KvCacheType.Q8_0);
    }

    private static void agree(GeneratedArchitecture arch, GgmlType type, double tolerance, int[] prompt, int[] decode)
            throws Exception {
        agree(arch, type, tolerance, prompt, decode, KvCacheType.F32);
    }

    /**
     * Granite 4.0-H's and Nemotron-H's biases are each optional (the generated models carry them, the
     * released ones do not): a file without its attention and convolution biases agrees too.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = GeneratedArchitecture.class, names = {"GRANITE_HYBRID", "NEMOTRON_H_MOE"})
    void aHybridWithoutItsOptionalBiasesAgreesWithTheReference(GeneratedArchitecture arch) throws Exception {
        Path biased = TinyModels.of(arch, GgmlType.F32);
        Path bare = java.nio.file.Files.createTempFile("unbiased-" + arch.cliName(), ".gguf");
        bare.toFile().deleteOnExit();
        try (var in = dev.switchyard.engine.gguf.GgufFile.open(biased)) {
            var dropped = java.util.function.Predicate.<dev.switchyard.engine.gguf.GgufTensorInfo>not(
                    t -> t.name().matches("blk\\.\\d+\\.(attn_[qkvo]\\w*|ssm_conv1d)\\.bias"));
            long kept = in.tensors().stream().filter(dropped).count();
            assertThat(kept).as("some biases to drop").isLessThan(in.tensors().size());
            dev.switchyard.engine.gguf.GgufCopy.of(in, key -> true, dropped).write(bare);
        }
        agree(bare, 1e-4, new int[] {5, 77, 300, 12, 9, 150, 401}, new int[] {33, 260, 7}, KvCacheType.F32);
    }

    private static void agree(GeneratedArchitecture arch, GgmlType type, double tolerance, int[] prompt, int[] decode,
                              KvCacheType kvType) throws Exception {
        agree(TinyModels.of(arch, type), tolerance, prompt, decode, kvType);
    }

    private static void agree(Path file, double tolerance, int[] prompt, int[] decode, KvCacheType kvType)
            throws Exception {
        boolean half = kvType != KvCacheType.F32;   // a cache that rounds what it holds
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(file, backend, 32, 1, c -> 64, null, null, kvType)) {
            ReferenceForward reference = new ReferenceForward(model.config(), model.file(), 64, kvType);
            ReferenceForward unrounded = half ? new ReferenceForward(model.config(), model.file(), 64) : null;
            double moved = 0;
            Transformer transformer = model.transformer();
            KvCache kv = model.kv();
            int vocab = model.config().vocabSize();
            float[][] logits = new float[32][vocab];
            StepBatch batch = new StepBatch(32);

            kv.reserve(0, prompt.length + decode.length);
            for (int i = 0; i < prompt.length; i++) {
                batch.add(0, prompt[i], i, true);
            }
            transformer.step(batch, kv, logits);
            for (int i = 0; i < prompt.length; i++) {
                assertClose(logits[i], reference.next(prompt[i]), tolerance, "prompt position " + i);
                if (half) {
                    moved = Math.max(moved, error(logits[i], unrounded.next(prompt[i])));
                }
            }
            for (int j = 0; j < decode.length; j++) {
                batch.clear();
                batch.add(0, decode[j], prompt.length + j, true);
                transformer.step(batch, kv, logits);
                assertClose(logits[0], reference.next(decode[j]), tolerance, "decode step " + j);
                if (half) {
                    moved = Math.max(moved, error(logits[0], unrounded.next(decode[j])));
                }
            }
            if (half) {
                assertThat(moved).as("how far halves move the logits from the unrounded reference").isGreaterThan(1e-4);
            }
        }
    }

    private static void assertClose(float[] actual, double[] expected, double tolerance, String where) {
        assertThat(error(actual, expected)).as(where + ": max |error| / rms(logits)").isLessThan(tolerance);
    }

    /** max |actual - expected| / rms(expected). */
    private static double error(float[] actual, double[] expected) {
        double ss = 0;
        for (double e : expected) {
            ss += e * e;
        }
        double rms = Math.sqrt(ss / expected.length);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(actual[i] - expected[i]));
        }
        return worst / rms;
    }
}
