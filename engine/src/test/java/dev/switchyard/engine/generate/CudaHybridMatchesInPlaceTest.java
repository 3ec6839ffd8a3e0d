package dev.switchyard.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.switchyard.cache.residency.ExpertMemory;
import dev.switchyard.cache.residency.ResidencyCounters;
import dev.switchyard.engine.forward.ExpertOffload;
import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.kernels.cuda.CudaBackend;
import dev.switchyard.kernels.cuda.CudaProbe;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Hybrid execution on the CUDA backend: experts computed on the host (CPU kernels, rows carried
 * back to the device) agree with the device's within the backends' rounding, so greedy tokens are
 * those of CUDA with every expert resident and log-probabilities are close; over a crawling link
 * every miss is computed on the host and nothing is copied. Runs only where a GPU is present (the
 * CPU's own, bit for bit, is HybridChangesNothingTest).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class CudaHybridMatchesInPlaceTest {

    @BeforeEach
    void needsGpu() {
        CudaProbe.Result probe = CudaProbe.probe();
        assumeTrue(probe.available(), () -> "needs a GPU: " + probe.describe());
    }

    private record Run(List<GenerationResult> results, ResidencyCounters counters) {
    }

    private static List<GenerationRequest> greedy(int count, int vocab) {
        List<GenerationRequest> list = new ArrayList<>();
        for (int[] prompt : OffloadingChangesNothingTest.prompts(count, vocab)) {
            list.add(new GenerationRequest(prompt, SamplingParams.builder().temperature(0).ignoreEos(true).build(), 10));
        }
        return list;
    }

    private static Run run(Path file, List<GenerationRequest> requests, ExpertOffload offload) throws Exception {
        try (CudaBackend cuda = CudaBackend.open(0);
             LoadedModel model = LoadedModel.open(file, cuda, 16, 8, c -> 8 * 64, null, offload)) {
            List<GenerationResult> results = model.generator().generate(requests, TokenListener.NONE);
            return new Run(results, offload == null ? null : model.offloadedExperts().residency().stats().snapshot());
        }
    }

    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"MIXTRAL", "QWEN2MOE", "DEEPSEEK2", "GPT_OSS"})
    void greedyTokensMatchCudaInPlaceAtQuarterMemory(GeneratedArchitecture arch) throws Exception {
        Path file = TinyModels.of(arch, GgmlType.Q8_0);
        List<GenerationRequest> all = greedy(8, 500);
        Run inPlace = run(file, all, null);
        ExpertMemory quarter = ExpertMemory.parse("25%");
        for (double link : new double[] {1e4, ExpertOffload.DEVICE_LINK}) {
            Run hybrid = run(file, all, new ExpertOffload(quarter, link, "none", 1, true));
            String what = arch + (link == 1e4 ? " over a crawling link" : " over the real link");
            for (int i = 0; i < all.size(); i++) {
                assertThat(hybrid.results().get(i).tokens()).as(what + ", request " + i + " tokens")
                        .containsExactly(inPlace.results().get(i).tokens());
                double[] got = hybrid.results().get(i).logprobs();
                double[] expected = inPlace.results().get(i).logprobs();
                for (int t = 0; t < expected.length; t++) {
                    assertThat(got[t]).as(what + ", request " + i + " token " + t).isCloseTo(expected[t], within(1e-2));
                }
            }
            ResidencyCounters c = hybrid.counters();
            if (link == 1e4) {
                assertThat(c.hostExperts()).as(what + ": every miss on the host").isPositive();
                assertThat(c.copies()).as(what + ": none copied").isZero();
            } else {
                assertThat(c.hostExperts() + c.hits() + c.demandMisses()).as(what).isPositive();
            }
        }
    }
}
