package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.gguf.GgufCopy;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import dev.switchyard.engine.gguf.GgufWriter;
import dev.switchyard.engine.model.LatentAttention;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.model.ModelConfigReader;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * DeepSeek-V2 files in llama.cpp's older layout, one {@code attn_kv_b} per block and the heads'
 * lengths stated as multi-head attention, run as the current layout does: a generated F32 model
 * rewritten into the older layout (its per-head stacks joined back as the old converter stored
 * them) gives bit for bit the same logits.
 */
class JoinedLatentLayoutTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"DEEPSEEK2", "DEEPSEEK2_LITE"})
    void theOlderLayoutGivesTheSameLogits(GeneratedArchitecture arch) throws Exception {
        Path split = TinyModels.of(arch, GgmlType.F32);
        Path joined = dir.resolve(arch.cliName() + "-joined.gguf");
        joinDecompressions(split, joined);
        try (GgufFile f = GgufFile.open(joined)) {
            ModelConfig c = ModelConfigReader.read(f.metadata());
            assertThat(c.latentAttention().joinedDecompression()).isTrue();
            assertThat(f.tensor("blk.0.attn_k_b.weight")).isEmpty();
        }
        float[][] expected = logits(split);
        float[][] actual = logits(joined);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("position %d", i).containsExactly(expected[i]);
        }
    }

    private static float[][] logits(Path file) throws Exception {
        int[] tokens = {5, 77, 300, 12, 9, 150};
        try (CpuBackend backend = new CpuBackend(2); LoadedModel model = LoadedModel.open(file, backend, 16, 1, 64)) {
            float[][] logits = new float[tokens.length][model.config().vocabSize()];
            StepBatch batch = new StepBatch(16);
            model.kv().reserve(0, tokens.length);
            for (int i = 0; i < tokens.length; i++) {
                batch.add(0, tokens[i], i, true);
            }
            model.transformer().step(batch, model.kv(), logits);
            return logits;
        }
    }

    /** The file rewritten as llama.cpp's converter wrote DeepSeek-V2 before it cached the latent. */
    private static void joinDecompressions(Path source, Path out) throws Exception {
        try (GgufFile in = GgufFile.open(source)) {
            ModelConfig c = ModelConfigReader.read(in.metadata());
            LatentAttention a = c.latentAttention();
            int heads = c.headCount();
            int rank = a.kvLoraRank();
            int nope = a.nopeLength(c.ropeDimensions());
            int v = a.valueLength();
            String p = "deepseek2.";
            GgufWriter w = GgufCopy.of(in, key -> !key.endsWith("_length_mla"),
                    t -> !t.name().endsWith("attn_k_b.weight") && !t.name().endsWith("attn_v_b.weight"));
            w.putUint32(p + "attention.head_count_kv", heads);
            w.putUint32(p + "attention.key_length", a.keyLength());
            w.putUint32(p + "attention.value_length", v);
            for (GgufTensorInfo t : in.tensors()) {
                if (!t.name().endsWith("attn_k_b.weight")) {
                    continue;
                }
                String block = t.name().substring(0, t.name().length() - "attn_k_b.weight".length());
                MemorySegment kb = in.data(t);
                MemorySegment vb = in.data(in.requireTensor(block + "attn_v_b.weight"));
                w.addTensor(block + "attn_kv_b.weight", GgmlType.F32, new long[] {rank, (long) heads * (nope + v)},
                        target -> {
                            for (int h = 0; h < heads; h++) {
                                for (int r = 0; r < nope + v; r++) {
                                    for (int col = 0; col < rank; col++) {
                                        float value = r < nope
                                                ? kb.getAtIndex(ValueLayout.JAVA_FLOAT, ((long) h * rank + col) * nope + r)
                                                : vb.getAtIndex(ValueLayout.JAVA_FLOAT, ((long) h * v + r - nope) * rank + col);
                                        target.setAtIndex(ValueLayout.JAVA_FLOAT,
                                                ((long) h * (nope + v) + r) * rank + col, value);
                                    }
                                }
                            }
                        });
            }
            w.write(out);
        }
    }
}
