package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.generate.TokenListener;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class RoutingObserverTest {

    private static final int[] PROMPT = {3, 14, 15, 92, 65, 35};

    private static int[] generate(LoadedModel model) {
        var greedy = SamplingParams.builder().temperature(0).ignoreEos(true).build();
        return model.generator().generate(List.of(new GenerationRequest(PROMPT, greedy, 4)), TokenListener.NONE)
                .getFirst().tokens();
    }

    /**
     * Both models have two layers that route: all of Mixtral's blocks, DeepSeek-MoE's last two of
     * three. The observer numbers them 0 and 1 either way, and a gate aimed at one reads that
     * block's router.
     */
    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"MIXTRAL", "DEEPSEEK", "DEEPSEEK2"})
    void anObserverSeesEveryRoutedLayerOfEveryStepAndChangesNothing(GeneratedArchitecture arch) throws Exception {
        Path file = TinyModels.of(arch, GgmlType.Q8_0);
        try (CpuBackend backend = new CpuBackend(1); LoadedModel model = LoadedModel.open(file, backend, 16, 1, 32)) {
            int[] unobserved = generate(model);
            model.kv().release(0);
            List<String> calls = new ArrayList<>();
            SpeculativeGate gate = model.transformer().speculativeGate();
            int k = model.config().expertUsedCount();
            int[] guess = new int[16 * k];
            boolean[] gateMatches = {true};
            model.transformer().setRoutingObserver((layer, batch, experts, kk, residual) -> {
                calls.add(layer + ":" + batch.tokens() + ":" + batch.isGenerated(0));
                // a gate aimed at the layer being routed computes exactly its routing
                gate.propose(residual, batch.tokens(), layer, kk, guess);
                gateMatches[0] &= Arrays.equals(guess, 0, batch.tokens() * kk, experts, 0, batch.tokens() * kk);
            });
            int[] observed = generate(model);
            assertThat(observed).containsExactly(unobserved);
            // a prefill step of 6 tokens, then 3 decode steps of one generated token, 2 routed layers each
            assertThat(calls).containsExactly("0:6:false", "1:6:false", "0:1:true", "1:1:true", "0:1:true", "1:1:true",
                    "0:1:true", "1:1:true");
            assertThat(gateMatches[0]).isTrue();
        }
    }

    @Test
    void theGateProposesDistinctExpertsForALaterLayer() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        try (CpuBackend backend = new CpuBackend(1); LoadedModel model = LoadedModel.open(file, backend, 16, 1, 32)) {
            SpeculativeGate gate = model.transformer().speculativeGate();
            int experts = model.config().expertCount();
            List<int[]> proposals = new ArrayList<>();
            model.transformer().setRoutingObserver((layer, batch, chosen, k, residual) -> {
                if (layer == 0) {
                    int[] out = new int[batch.tokens() * 3];
                    gate.propose(residual, batch.tokens(), 1, 3, out);
                    proposals.add(out);
                }
            });
            generate(model);
            assertThat(proposals).hasSize(4);
            for (int[] p : proposals) {
                for (int t = 0; t < p.length / 3; t++) {
                    int[] one = Arrays.copyOfRange(p, 3 * t, 3 * t + 3);
                    assertThat(one).doesNotHaveDuplicates();
                    assertThat(Arrays.stream(one).allMatch(e -> e >= 0 && e < experts)).isTrue();
                }
            }
        }
    }

}
