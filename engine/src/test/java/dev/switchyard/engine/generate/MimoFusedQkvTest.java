package dev.switchyard.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.gguf.GgufCopy;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import dev.switchyard.engine.gguf.GgufWriter;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.model.ModelConfigException;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * MiMo-V2.5's files stack each block's query, key and value rows in one {@code attn_qkv}, where
 * MiMo-V2-Flash's keep three matrices; llama.cpp reads either. The generated model rewritten with
 * its three matrices joined, row after row, generates exactly what the generated model does, its
 * windowed blocks' wider keys and values included; a joined matrix of the wrong height is refused.
 */
class MimoFusedQkvTest {

    @TempDir
    Path dir;

    /** The generated model with every block's q, k and v rows joined into attn_qkv (less {@code shortBy} rows). */
    private static void fuse(Path from, Path to, long shortBy) throws Exception {
        try (GgufFile in = GgufFile.open(from)) {
            GgufWriter w = GgufCopy.of(in, key -> true, t -> !t.name().matches("blk\\.\\d+\\.attn_[qkv]\\.weight"));
            for (GgufTensorInfo q : in.tensors()) {
                if (!q.name().endsWith(".attn_q.weight")) {
                    continue;
                }
                String block = q.name().substring(0, q.name().length() - "attn_q.weight".length());
                GgufTensorInfo k = in.tensor(block + "attn_k.weight").orElseThrow();
                GgufTensorInfo v = in.tensor(block + "attn_v.weight").orElseThrow();
                MemorySegment qd = in.data(q);
                MemorySegment kd = in.data(k);
                MemorySegment vd = in.data(v);
                long rows = q.dims()[1] + k.dims()[1] + v.dims()[1] - shortBy;
                long rowBytes = qd.byteSize() / q.dims()[1];
                w.addTensor(block + "attn_qkv.weight", q.type(), new long[] {q.dims()[0], rows}, target -> {
                    target.copyFrom(qd);
                    target.asSlice(qd.byteSize()).copyFrom(kd);
                    target.asSlice(qd.byteSize() + kd.byteSize()).copyFrom(vd.asSlice(0, vd.byteSize() - shortBy * rowBytes));
                });
            }
            w.write(to);
        }
    }

    private static List<GenerationResult> generate(Path file) throws Exception {
        List<GenerationRequest> requests = List.of(
                new GenerationRequest(new int[] {5, 77, 300, 12, 9, 150, 401, 33, 260, 7, 91, 402, 18, 44, 3, 120, 61,
                    250, 19, 8}, SamplingParams.builder().temperature(0).ignoreEos(true).logprobs(3).build(), 10),
                new GenerationRequest(new int[] {42, 7, 300},
                        SamplingParams.builder().temperature(0.9).seed(7L).ignoreEos(true).logprobs(3).build(), 10));
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(file, backend, 32, 2, 128)) {
            return model.generator().generate(requests, TokenListener.NONE);
        }
    }

    @Test
    void aFileWithJoinedQueriesKeysAndValuesGeneratesWhatItsSplitTwinDoes() throws Exception {
        Path split = TinyModels.of(GeneratedArchitecture.MIMO2, GgmlType.Q8_0);
        Path fused = dir.resolve("fused.gguf");
        fuse(split, fused, 0);
        try (GgufFile f = GgufFile.open(fused)) {
            assertThat(f.tensor("blk.0.attn_q.weight")).isEmpty();
            assertThat(f.tensor("blk.1.attn_qkv.weight")).isPresent();
        }
        List<GenerationResult> expected = generate(split);
        List<GenerationResult> actual = generate(fused);
        for (int i = 0; i < expected.size(); i++) {
            assertThat(actual.get(i).tokens()).as("request " + i).containsExactly(expected.get(i).tokens());
            assertThat(actual.get(i).logprobs()).as("request " + i).containsExactly(expected.get(i).logprobs());
        }
    }

    @Test
    void aJoinedMatrixOfTheWrongHeightIsRefusedNamingIt() throws Exception {
        Path split = TinyModels.of(GeneratedArchitecture.MIMO2, GgmlType.Q8_0);
        Path fused = dir.resolve("short.gguf");
        fuse(split, fused, 1);
        assertThatThrownBy(() -> generate(fused)).isInstanceOf(ModelConfigException.class)
                .hasMessageContaining("blk.0.attn_qkv.weight").hasMessageContaining("shape");
    }
}
