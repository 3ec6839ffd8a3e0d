package dev.switchyard.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.cache.residency.ExpertMemory;
import dev.switchyard.engine.forward.ExpertOffload;
import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufSplitWriter;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model split over files runs exactly as the whole file does: the same tokens and
 * log-probabilities with its weights read from every part, experts in place or offloaded.
 */
class SplitModelTest {

    @TempDir
    Path dir;

    @Test
    void aSplitModelGeneratesWhatTheWholeFileGenerates() throws Exception {
        Path whole = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        List<Path> parts;
        try (GgufFile file = GgufFile.open(whole)) {
            // a few tensors a part, so that a block's attention, router and experts sit in different files
            parts = GgufSplitWriter.split(file, dir.resolve("mixtral"), new GgufSplitWriter.Limits(Long.MAX_VALUE, 4, true));
        }
        assertThat(parts.size()).isGreaterThan(3);
        List<GenerationRequest> requests = OffloadingChangesNothingTest.requests(2, 500, 6);
        List<GenerationResult> expected = OffloadingChangesNothingTest.run(whole, requests, null).results();
        for (ExpertOffload offload : new ExpertOffload[] {null, new ExpertOffload(ExpertMemory.parse("25%"), 0, "gate", 1)}) {
            OffloadingChangesNothingTest.Run run = OffloadingChangesNothingTest.run(parts.getFirst(), requests, offload);
            for (int i = 0; i < requests.size(); i++) {
                String what = (offload == null ? "in place" : "offloaded") + ", request " + i;
                assertThat(run.results().get(i).tokens()).as(what).containsExactly(expected.get(i).tokens());
                assertThat(run.results().get(i).logprobs()).as(what).containsExactly(expected.get(i).logprobs());
            }
            assertThat(run.slotsAllBack()).isTrue();
        }
    }
}
