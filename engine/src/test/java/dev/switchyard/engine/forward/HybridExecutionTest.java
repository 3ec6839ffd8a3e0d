package dev.switchyard.engine.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.cache.residency.ExpertMemory;
import dev.switchyard.cache.residency.ExpertResidency;
import dev.switchyard.cache.residency.ResidencyCounters;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Hybrid execution's host path computes an expert exactly as the device does (on the CPU backend,
 * bit for bit), starts no copy for it and counts it apart from hits and misses; an expert resident
 * or on its way is never computed on the host.
 */
class HybridExecutionTest {

    /** 10 MB/s: a tiny expert's copy (about 400 KiB) takes 40 ms. */
    private static final double SLOW_LINK = 0.01e9;

    /**
     * Makes the host path's rate estimate enormous, as a timing of a terabyte in a microsecond
     * would: from then on every miss is cheaper on the host, however loaded the machine that
     * measured the seed was.
     */
    private static HostExperts hostWinsEveryMiss(LoadedModel model) {
        HostExperts host = model.offloadedExperts().host();
        host.costs().hostTimed(1, 1L << 40, 1_000);
        return host;
    }
    private static final int[] PROMPT = {3, 14, 15, 92, 65, 35, 89, 79};

    /** Logits of every prompt token, then of two decode steps, one token at a time. */
    private static float[][] logits(LoadedModel model) {
        int vocab = model.config().vocabSize();
        float[][] all = new float[PROMPT.length + 2][vocab];
        float[][] step = new float[PROMPT.length][vocab];
        StepBatch batch = new StepBatch(PROMPT.length);
        model.kv().reserve(0, PROMPT.length + 2);
        for (int i = 0; i < PROMPT.length; i++) {
            batch.add(0, PROMPT[i], i, true);
        }
        model.transformer().step(batch, model.kv(), step);
        for (int i = 0; i < PROMPT.length; i++) {
            all[i] = step[i].clone();
        }
        for (int d = 0; d < 2; d++) {
            batch.clear();
            batch.add(0, 7 + d, PROMPT.length + d, true, true);
            model.transformer().step(batch, model.kv(), step);
            all[PROMPT.length + d] = step[0].clone();
        }
        return all;
    }

    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"MIXTRAL", "QWEN2MOE", "DEEPSEEK", "DEEPSEEK2", "GPT_OSS"})
    void expertsComputedOnTheHostGiveBitwiseTheLogitsOfExpertsInPlace(GeneratedArchitecture arch) throws Exception {
        Path file = TinyModels.of(arch, GgmlType.Q8_0);
        float[][] inPlace;
        try (CpuBackend backend = new CpuBackend(2); LoadedModel model = LoadedModel.open(file, backend, 8, 1, 16)) {
            inPlace = logits(model);
        }
        ExpertOffload hybrid = new ExpertOffload(ExpertMemory.parse("25%"), SLOW_LINK, "none", 1, true);
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(file, backend, 8, 1, c -> 16, null, hybrid)) {
            hostWinsEveryMiss(model);
            float[][] offloaded = logits(model);
            for (int i = 0; i < inPlace.length; i++) {
                assertThat(offloaded[i]).as(arch + ", token " + i).containsExactly(inPlace[i]);
            }
            ExpertResidency residency = model.offloadedExperts().residency();
            ResidencyCounters c = residency.stats().snapshot();
            assertThat(c.hostExperts()).as("every miss computed on the host").isPositive();
            assertThat(c.layerHostExperts()).doesNotContain(0L);
            assertThat(c.copiedExperts()).as("no miss copied").isZero();
            assertThat(c.copies()).as("no copy started").isZero();
            assertThat(c.h2dBytes()).isZero();
            assertThat(c.hits() + c.demandMisses()).as("nothing acquired from the device tier").isZero();
            assertThat(residency.freeSlots()).isEqualTo(residency.slots());
        }
    }

    @Test
    void anExpertResidentOrOnItsWayIsNeverComputedOnTheHost() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        ExpertOffload hybrid = new ExpertOffload(ExpertMemory.parse("50%"), SLOW_LINK, "none", 1, true);
        try (CpuBackend backend = new CpuBackend(1);
             LoadedModel model = LoadedModel.open(file, backend, 8, 1, c -> 16, null, hybrid)) {
            HostExperts host = hostWinsEveryMiss(model);
            ExpertResidency residency = model.offloadedExperts().residency();
            assertThat(host.computesOnHost(1, 2, 1)).as("a miss the host wins").isTrue();
            // a prediction brings expert 3: on its way (40 ms at this rate), then resident
            residency.prefetch(1, 3);
            assertThat(host.computesOnHost(1, 3, 1)).as("on its way").isFalse();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!residency.isResident(1, 3) && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(residency.isResident(1, 3)).isTrue();
            assertThat(host.computesOnHost(1, 3, 1)).as("resident").isFalse();
            ResidencyCounters c = residency.stats().snapshot();
            assertThat(c.layerHostExperts()).containsExactly(0, 1);
            assertThat(c.layerCopiedExperts()).as("resident or coming: no choice to make").containsExactly(0, 0);
            assertThat(c.copies()).as("the prediction's copy only").isEqualTo(1);
        }
    }

    @Test
    void overAFreeLinkEveryMissIsCopied() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        // unpaced copies between two host arenas cost nothing until measured
        ExpertOffload hybrid = new ExpertOffload(ExpertMemory.parse("50%"), 0, "none", 1, true);
        try (CpuBackend backend = new CpuBackend(1);
             LoadedModel model = LoadedModel.open(file, backend, 8, 1, c -> 16, null, hybrid)) {
            HostExperts host = model.offloadedExperts().host();
            assertThat(host.computesOnHost(0, 5, 1)).isFalse();
            ResidencyCounters c = model.offloadedExperts().residency().stats().snapshot();
            assertThat(c.layerCopiedExperts()).containsExactly(1, 0);
            assertThat(c.hostExperts()).isZero();
        }
    }

    @Test
    void withoutHybridExecutionThereIsNoHostPath() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        try (CpuBackend backend = new CpuBackend(1);
             LoadedModel model = LoadedModel.open(file, backend, 8, 1, c -> 16, null,
                     new ExpertOffload(ExpertMemory.parse("50%"), SLOW_LINK, "none", 1))) {
            assertThat(model.offloadedExperts().host()).isNull();
        }
    }

    @Test
    void aHostPathSizedForSmallerStepsIsRefused() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        ExpertOffload hybrid = new ExpertOffload(ExpertMemory.parse("50%"), SLOW_LINK, "none", 1, true);
        try (CpuBackend backend = new CpuBackend(1);
             LoadedModel model = LoadedModel.open(file, backend, 8, 1, c -> 16, null, hybrid);
             Transformer larger = new Transformer(ModelWeights.load(model.config(), model.file(), backend, false), backend,
                     16, 1, 4, LoadedModel.KV_BLOCK_SIZE)) {
            assertThatThrownBy(() -> larger.offloadExperts(model.offloadedExperts()))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("steps of 8 tokens");
        }
    }
}
