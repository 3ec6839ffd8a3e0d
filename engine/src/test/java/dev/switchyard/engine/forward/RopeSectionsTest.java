package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.model.RopeSections;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * Multimodal rotary sections leave still, for text, only the slowest pairs (Qwen3-VL) or none
 * (GLM-4.5V), which turn too little over a test's positions for a wrong rule to show. Here the
 * generated models run with sections that hold fast pairs still too, against the scalar reference
 * under the same sections, and the logits move from those of ordinary rope.
 */
class RopeSectionsTest {

    @Test
    void pairsTheSectionsHoldStillDoNotTurnForText() throws Exception {
        for (GeneratedArchitecture arch : new GeneratedArchitecture[] {GeneratedArchitecture.QWEN3VLMOE,
                GeneratedArchitecture.QWEN3VL}) {
            Path file = TinyModels.of(arch, GgmlType.F32);
            ModelConfig read = ReferenceRun.configOf(file);
            int pairs = read.ropeDimensions() / 2;
            RopeSections released = read.ropeSections();
            assertThat(IntStream.range(0, pairs).filter(released::stillForText).boxed().toList())
                    .as(arch + ": the generated sections, like the released ones, hold their last pairs still")
                    .isNotEmpty().allMatch(i -> i >= pairs * 3 / 4);
            double[][] asWritten = ReferenceRun.logits(read, file);

            RopeSections noHeight = RopeSections.interleaved(pairs / 2, 0, pairs / 2, 0);
            assertThat(noHeight.stillForText(1)).isTrue();
            double[][] stillFast = ReferenceRun.logits(read.withRopeSections(noHeight), file);
            // position 0 turns nothing either way
            assertThat(ReferenceRun.largestDifference(asWritten, stillFast, 0, 1)).as(arch + " at position 0")
                    .isLessThan(1e-4);
            assertThat(ReferenceRun.largestDifference(asWritten, stillFast, 1, asWritten.length))
                    .as(arch + ": holding fast pairs still changes what the model computes").isGreaterThan(1e-2);
        }
    }

    @Test
    void consecutiveSectionsHoldTheirExtraRunStillForText() throws Exception {
        // GLM-4.5V's layout on the generated GLM-4.5: cycles of one time pair and one extra pair,
        // so that every other pair, from the second (a fast one), stays still
        Path file = TinyModels.of(GeneratedArchitecture.GLM4MOE, GgmlType.F32);
        ModelConfig read = ReferenceRun.configOf(file);
        assertThat(read.ropeSections()).isEqualTo(RopeSections.NONE);
        double[][] plain = ReferenceRun.logits(read, file);
        RopeSections alternate = RopeSections.consecutive(1, 0, 0, 1);
        assertThat(IntStream.range(0, read.ropeDimensions() / 2).filter(alternate::stillForText).boxed().toList())
                .containsExactly(1, 3, 5, 7);
        double[][] sectioned = ReferenceRun.logits(read.withRopeSections(alternate), file);
        assertThat(ReferenceRun.largestDifference(plain, sectioned, 0, 1)).as("position 0").isLessThan(1e-4);
        assertThat(ReferenceRun.largestDifference(plain, sectioned, 1, plain.length))
                .as("holding every other pair still changes what the model computes").isGreaterThan(1e-2);
    }
}
