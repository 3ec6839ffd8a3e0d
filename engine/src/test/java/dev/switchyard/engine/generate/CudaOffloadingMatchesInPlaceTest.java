package dev.switchyard.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.switchyard.cache.residency.ExpertMemory;
import dev.switchyard.cache.residency.ExpertResidency;
import dev.switchyard.cache.residency.ResidencyCounters;
import dev.switchyard.engine.forward.ExpertOffload;
import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.kernels.cuda.CudaBackend;
import dev.switchyard.kernels.cuda.CudaProbe;
import dev.switchyard.kernels.cuda.CudaSwitches;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Expert offloading on the CUDA backend changes nothing but speed: tokens and log-probabilities bit
 * for bit those of CUDA with every expert resident, at 100%, 50%, 25% and the smallest tier (one
 * token's top-k), with and without a predictor, with the host experts pinned in place and with every
 * copy staged; and a smallest tier serving many requests returns every slot. Runs only where a GPU
 * is present (the CPU's own offloading is OffloadingChangesNothingTest).
 */
@Timeout(value = 4, unit = TimeUnit.MINUTES)
class CudaOffloadingMatchesInPlaceTest {

    private static CudaBackend cuda;

    @BeforeAll
    static void open() {
        cuda = CudaProbe.probe().available() ? CudaBackend.open(0) : null;
    }

    @AfterAll
    static void close() {
        if (cuda != null) {
            cuda.close();
        }
    }

    @BeforeEach
    void needsGpu() {
        CudaProbe.Result probe = CudaProbe.probe();
        assumeTrue(probe.available(), () -> "needs a GPU: " + probe.describe());
    }

    private record Run(List<GenerationResult> results, ResidencyCounters counters, boolean slotsAllBack, String tier) {
    }

    private static Run run(Path file, List<GenerationRequest> requests, ExpertOffload offload, boolean staged)
            throws Exception {
        CudaSwitches.stageExpertCopies(cuda, staged);
        try (LoadedModel model = LoadedModel.open(file, cuda, 16, 8, c -> 8 * 64, null, offload)) {
            List<GenerationResult> results = model.generator().generate(requests, TokenListener.NONE);
            if (offload == null) {
                return new Run(results, null, true, "in place");
            }
            ExpertResidency residency = model.offloadedExperts().residency();
            ResidencyCounters counters = residency.stats().snapshot();
            boolean slotsAllBack = residency.evictAllOnceCopiesLand(java.time.Duration.ofSeconds(10));
            return new Run(results, counters, slotsAllBack,
                    model.offloadedExperts().describe());
        } finally {
            CudaSwitches.stageExpertCopies(cuda, false);
        }
    }

    private static void assertSame(Run offloaded, Run inPlace, String what) {
        for (int i = 0; i < inPlace.results().size(); i++) {
            assertThat(offloaded.results().get(i).tokens()).as(what + ", request " + i + " tokens")
                    .containsExactly(inPlace.results().get(i).tokens());
            assertThat(offloaded.results().get(i).logprobs()).as(what + ", request " + i + " logprobs")
                    .containsExactly(inPlace.results().get(i).logprobs());
        }
        ResidencyCounters c = offloaded.counters();
        assertThat(c.hits() + c.demandMisses()).as(what + ": every expert came through the cache").isPositive();
        assertThat(c.copies()).as(what + ": experts were copied to the device").isPositive();
        assertThat(offloaded.slotsAllBack()).as(what + ": no slot leaked").isTrue();
    }

    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"MIXTRAL", "QWEN2MOE", "DEEPSEEK2", "GPT_OSS"})
    void tokensAndLogprobsMatchCudaInPlaceAtEveryMemorySize(GeneratedArchitecture arch) throws Exception {
        Path file = TinyModels.of(arch, GgmlType.Q8_0);
        List<GenerationRequest> all = OffloadingChangesNothingTest.requests(8, 500, 10);
        Run inPlace = run(file, all, null, false);
        // 2 layers x 8 experts, top-2: 12.5% is the minimum, one layer's top-k
        for (String memory : List.of("100%", "50%", "25%", "12.5%")) {
            for (String predictor : List.of("none", "combined")) {
                // the real link unpaced, and an explicit rate below it
                double link = predictor.equals("none") ? ExpertOffload.DEVICE_LINK : 2e9;
                Run offloaded = run(file, all, new ExpertOffload(ExpertMemory.parse(memory), link, predictor, 1), false);
                String what = arch + " at " + memory + " with " + predictor + " (" + offloaded.tier() + ")";
                assertSame(offloaded, inPlace, what);
                if (!memory.equals("100%")) {
                    assertThat(offloaded.counters().evictions()).as(what + ": a partial tier evicts").isPositive();
                }
            }
        }
    }

    @Test
    void stagedCopiesGiveTheSameTokensAsPinnedOnes() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        List<GenerationRequest> all = OffloadingChangesNothingTest.requests(8, 500, 10);
        Run inPlace = run(file, all, null, false);
        ExpertOffload offload = new ExpertOffload(ExpertMemory.parse("25%"), ExpertOffload.DEVICE_LINK, "gate", 1);
        Run staged = run(file, all, offload, true);
        assertThat(staged.tier()).contains("staged");
        assertSame(staged, inPlace, "staged (" + staged.tier() + ")");
        Run asTheDeviceAllows = run(file, all, offload, false);
        assertSame(asTheDeviceAllows, inPlace, "pinned where the device allows (" + asTheDeviceAllows.tier() + ")");
    }

    @Test
    void theSmallestTierServesManyRequestsAndReturnsEverySlot() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        List<GenerationRequest> all = OffloadingChangesNothingTest.requests(40, 500, 12);
        Run inPlace = run(file, all, null, false);
        Run offloaded = run(file, all, new ExpertOffload(ExpertMemory.parse("12.5%"), 0, "combined", 1), false);
        String what = "2 slots, 40 requests (" + offloaded.tier() + ")";
        assertSame(offloaded, inPlace, what);
        assertThat(offloaded.counters().copies()).as(what + ": slots were reused many times").isGreaterThan(200);
    }
}
