package dev.switchyard.engine.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.gguf.GgufCopy;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import dev.switchyard.engine.gguf.GgufWriter;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.model.ModelConfigReader;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecodeTrafficTest {

    @TempDir
    Path dir;

    /**
     * GLM-4.5's multi-token-prediction block, counted in block_count but never run, reads nothing:
     * a tiny GLM-4.5 with a copy of its last block appended as one has the same decode traffic.
     */
    @Test
    void blocksTheModelDoesNotRunAreNotCounted() throws Exception {
        Path source = TinyModels.of(GeneratedArchitecture.GLM4MOE, GgmlType.Q8_0);
        Path withPrediction = dir.resolve("glm-nextn.gguf");
        long plain;
        try (GgufFile in = GgufFile.open(source)) {
            ModelConfig c = ModelConfigReader.read(in.metadata());
            plain = DecodeTraffic.bytesPerToken(c, in);
            int last = c.layers() - 1;
            GgufWriter w = GgufCopy.of(in);
            w.putUint32("glm4moe.block_count", c.layers() + 1);
            w.putUint32("glm4moe.nextn_predict_layers", 1);
            for (GgufTensorInfo t : in.tensors()) {
                if (t.name().startsWith("blk." + last + ".")) {
                    GgufCopy.copyTensor(w, in, t, t.name().replace("blk." + last + ".", "blk." + (last + 1) + "."));
                }
            }
            w.write(withPrediction);
        }
        try (GgufFile f = GgufFile.open(withPrediction)) {
            ModelConfig c = ModelConfigReader.read(f.metadata());
            assertThat(c.layers()).isEqualTo(3);
            assertThat(DecodeTraffic.bytesPerToken(c, f)).isEqualTo(plain);
        }
    }
}
