package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.model.LayerPattern;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
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

    @Test
    void chunksAndTemperaturesAgreeWithTheReferenceAndChangeTheLogits() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.LLAMA4, GgmlType.F32);
        ModelConfig read = ReferenceRun.configOf(file);
        LayerPattern llama4 = read.pattern();
        assertThat(llama4.rotatedChunk()).isEqualTo(8192);
        double[][] plain = ReferenceRun.logits(read, file);
        LayerPattern shortened = new LayerPattern(llama4.moeStep(), llama4.unrotatedStep(), llama4.rotatedQkNorm(), 3, 4,
                0.5);
        double[][] chunked = ReferenceRun.logits(read.withPattern(shortened), file);
        assertThat(ReferenceRun.largestDifference(plain, chunked, 0, plain.length))
                .as("chunks and temperatures change what the model computes").isGreaterThan(1e-2);
        // positions 0..2 sit in the first chunk, attending as without chunks, and before the temperature's first step
        for (int i = 0; i < 3; i++) {
            assertThat(ReferenceRun.largestDifference(plain, chunked, i, i + 1)).as("position " + i).isLessThan(1e-4);
        }
    }
}
