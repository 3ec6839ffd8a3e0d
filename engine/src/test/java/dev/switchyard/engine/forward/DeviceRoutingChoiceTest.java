package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.GenerationResult;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.generate.TokenListener;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.moe.ExpertLoadObserver;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Where the backend routes on the device, small steps (decode) hand it the whole routed-expert part
 * of each MoE layer, and the tokens and log-probabilities are the host path's; big steps (prompt
 * chunks) and capacity plans keep the host path, and load metrics read the device's routing back
 * once per step. The backend here does "device" routing with host ops, so this runs without a GPU.
 */
class DeviceRoutingChoiceTest {

    /**
     * What a run gave: its results, the calls routed on the device, the largest step among them, the
     * read-backs, and the largest step small enough for the device (tiny presets: 8 experts, top-2, so
     * steps of at most 2 tokens).
     */
    private record Run(List<GenerationResult> results, int calls, int largestStep, int reads, int smallStep) {
    }

    private static List<GenerationRequest> requests() {
        int[] longPrompt = new int[11];
        for (int i = 0; i < longPrompt.length; i++) {
            longPrompt[i] = 7 + 5 * i;
        }
        return List.of(
                new GenerationRequest(longPrompt, SamplingParams.builder().temperature(0).ignoreEos(true).logprobs(3).build(), 12),
                new GenerationRequest(new int[] {3, 40, 41}, SamplingParams.builder().temperature(0.8).seed(9L)
                        .ignoreEos(true).logprobs(2).build(), 12));
    }

    private static Run run(Path file, boolean deviceRouting, DispatchConfig dispatch, Consumer<LoadedModel> setup)
            throws Exception {
        CpuBackend cpu = new CpuBackend(2);
        HostRoutingAsDeviceBackend device = deviceRouting ? new HostRoutingAsDeviceBackend(cpu) : null;
        Backend backend = device != null ? device : cpu;
        try (backend; LoadedModel model = LoadedModel.open(file, backend, 16, 2, 256, dispatch)) {
            setup.accept(model);
            List<GenerationResult> results = model.generator().generate(requests(), TokenListener.NONE);
            var config = model.transformer().config();
            return new Run(results, device != null ? device.calls() : 0, device != null ? device.largestStep() : 0,
                    device != null ? device.reads() : 0, config.expertCount() / (2 * config.expertUsedCount()));
        }
    }

    /**
     * Softmax top-k (Mixtral, Qwen, OLMoE, DeepSeek-MoE, V2-Lite, gpt-oss), and the routing rules
     * beyond it: DeepSeek-V3's sigmoid scores ranked with a selection bias within the best half of
     * four expert groups, weights scaled by 2.5 (DEEPSEEK2, BAILINGMOE2); sigmoid with a bias
     * (GLM4MOE, MINIMAX_M2); softmax ranked with a bias (ERNIE4_5_MOE); Granite's softmax with its
     * weights scaled by the residual multiplier (GRANITE_MOE); Llama 4's sigmoid top-1 whose weight
     * multiplies the expert's input (LLAMA4); Nemotron-H's experts without a gate, squared ReLU,
     * sigmoid-routed with a bias and scaled, in the model's width or in a latent one
     * (NEMOTRON_H_MOE, NEMOTRON_H_MOE_LATENT).
     */
    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"MIXTRAL", "QWEN3MOE", "QWEN2MOE", "OLMOE", "DEEPSEEK", "DEEPSEEK2_LITE",
            "GPT_OSS", "DEEPSEEK2", "BAILINGMOE2", "GLM4MOE", "MINIMAX_M2", "ERNIE4_5_MOE", "GRANITE_MOE", "LLAMA4",
            "NEMOTRON_H_MOE", "NEMOTRON_H_MOE_LATENT"})
    void decodeStepsRouteOnTheDeviceAndGiveTheHostPathsTokens(GeneratedArchitecture arch) throws Exception {
        Path file = TinyModels.of(arch, GgmlType.Q8_0);
        Run host = run(file, false, null, m -> { });
        Run device = run(file, true, null, m -> { });
        assertThat(device.calls()).as("MoE layers routed on the device").isPositive();
        assertThat(device.largestStep()).as("only small steps").isLessThanOrEqualTo(device.smallStep());
        assertThat(device.reads()).as("nobody asked for the routing").isZero();
        for (int i = 0; i < host.results().size(); i++) {
            assertThat(device.results().get(i).tokens()).as("request %d tokens", i)
                    .containsExactly(host.results().get(i).tokens());
            assertThat(device.results().get(i).logprobs()).as("request %d logprobs", i)
                    .containsExactly(host.results().get(i).logprobs());
        }
    }

    @Test
    void loadMetricsSeeTheSameSpreadWhenRoutingIsReadBackAfterTheStep() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        List<String> host = new ArrayList<>();
        List<String> device = new ArrayList<>();
        run(file, false, null, m -> m.transformer().setLoadObserver(recorder(host)));
        Run run = run(file, true, null, m -> m.transformer().setLoadObserver(recorder(device)));
        assertThat(run.calls()).as("decode still routes on the device").isPositive();
        assertThat(run.reads()).as("one read-back per step routed on the device").isPositive();
        assertThat(device).as("each layer of each step, the same spread over the experts").isEqualTo(host);
    }

    /** An observer that writes down each report as "layer tokens k [per-expert counts] dropped rerouted". */
    private static ExpertLoadObserver recorder(List<String> into) {
        return (layer, tokens, k, perExpert, dropped, rerouted) -> into.add(layer + " " + tokens + " " + k + " "
                + Arrays.toString(perExpert) + " " + dropped + " " + rerouted);
    }

    @Test
    void capacityPlansKeepRoutingOnTheHost() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        Run run = run(file, true, DispatchConfig.parse("drop", 1.0, "sequence", 16, true), m -> { });
        assertThat(run.calls()).isZero();
    }
}
