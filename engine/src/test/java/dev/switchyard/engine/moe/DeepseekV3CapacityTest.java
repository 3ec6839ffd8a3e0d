package dev.switchyard.engine.moe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.GenerationResult;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.generate.TokenListener;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Capacity-aware dispatch of DeepSeek-V3's routing (sigmoid scores ranked with a selection bias
 * within the best expert groups): with room for every assignment it is exactly the dropless run,
 * and with tight capacity it reroutes and drops, and changes tokens.
 */
class DeepseekV3CapacityTest {

    private record Outcome(List<GenerationResult> results, DispatchStats stats) {
    }

    private static Outcome run(DispatchConfig dispatch) throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.DEEPSEEK2, GgmlType.Q8_0);
        SplittableRandom random = new SplittableRandom(9);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            requests.add(new GenerationRequest(DispatchRuns.randomPrompt(random, 20 + random.nextInt(40)),
                    DispatchRuns.greedy(), 8));
        }
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(file, backend, 64, 4, c -> 4 * 128, dispatch, null)) {
            List<GenerationResult> results = model.generator().generate(requests, TokenListener.NONE);
            return new Outcome(results, model.transformer().dispatchStats());
        }
    }

    @Test
    void roomForEveryAssignmentIsDroplessAndTightCapacityReroutes() throws Exception {
        Outcome dropless = run(new DispatchConfig(OverflowMode.NONE, 1, CapacityScope.SEQUENCE, 16, true));
        Outcome roomy = run(new DispatchConfig(OverflowMode.REROUTE, 1000, CapacityScope.SEQUENCE, 16, true));
        assertThat(roomy.stats().groups()).isPositive();
        assertThat(roomy.stats().rerouted() + roomy.stats().dropped()).isZero();
        for (int i = 0; i < dropless.results().size(); i++) {
            assertThat(roomy.results().get(i).tokens()).as("request %d", i)
                    .containsExactly(dropless.results().get(i).tokens());
            assertThat(roomy.results().get(i).logprobs()).containsExactly(dropless.results().get(i).logprobs());
        }
        Outcome tight = run(new DispatchConfig(OverflowMode.REROUTE, 0.5, CapacityScope.SEQUENCE, 16, true));
        assertThat(tight.stats().rerouted()).as("rerouted").isPositive();
        boolean changed = false;
        for (int i = 0; i < dropless.results().size(); i++) {
            changed |= !java.util.Arrays.equals(tight.results().get(i).tokens(), dropless.results().get(i).tokens());
        }
        assertThat(changed).as("tight capacity changes some tokens").isTrue();
    }
}
