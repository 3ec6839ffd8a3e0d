package dev.switchyard.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.GenerationResult;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.generate.Pooling;
import dev.switchyard.engine.generate.TokenListener;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.cuda.CudaBackend;
import dev.switchyard.kernels.cuda.CudaProbe;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * On the CUDA backend, embeddings (the final hidden states read back from the device) match the
 * CPU backend's within the backends' rounding, and a draft model on the device proposes what the
 * model itself would (its greedy proposals all kept, the tokens those of decoding without it). Runs
 * only where a GPU is present.
 */
class CudaEmbeddingAndDraftTest {

    @BeforeEach
    void needsGpu() {
        CudaProbe.Result probe = CudaProbe.probe();
        assumeTrue(probe.available(), () -> "needs a GPU: " + probe.describe());
    }

    private static final Path MODEL = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);

    private static List<int[]> prompts() {
        SplittableRandom random = new SplittableRandom(5);
        List<int[]> prompts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            prompts.add(random.ints(6 + random.nextInt(40), 0, 253).toArray());
        }
        return prompts;
    }

    private static List<float[]> embeddings(Supplier<Backend> backends, Pooling pooling) throws Exception {
        List<float[]> out = new ArrayList<>();
        try (Backend backend = backends.get();
             LoadedModel model = LoadedModel.open(MODEL, backend, 32, 4, c -> 0, null, null, KvCacheType.F32)) {
            ContinuousBatcher batcher = new ContinuousBatcher(model.transformer(), model.kv(), model.tokenizer()::isEog,
                    SchedulerObserver.NONE, System::nanoTime);
            List<EmbeddingTest.Sink> sinks = new ArrayList<>();
            for (int[] p : prompts()) {
                EmbeddingTest.Sink sink = new EmbeddingTest.Sink();
                sinks.add(sink);
                batcher.add(GenerationRequest.embedding(p, pooling, 0), sink);
            }
            while (batcher.hasWork()) {
                batcher.step();
            }
            for (EmbeddingTest.Sink s : sinks) {
                assertThat(s.failure).isNull();
                out.add(s.embedding);
            }
        }
        return out;
    }

    @Test
    void embeddingsOnTheDeviceMatchTheHostsWithinRounding() throws Exception {
        for (Pooling pooling : Pooling.values()) {
            List<float[]> cpu = embeddings(() -> new CpuBackend(2), pooling);
            List<float[]> cuda = embeddings(() -> CudaBackend.open(0), pooling);
            for (int i = 0; i < cpu.size(); i++) {
                double dot = 0;
                double a = 0;
                double b = 0;
                for (int d = 0; d < cpu.get(i).length; d++) {
                    dot += (double) cpu.get(i)[d] * cuda.get(i)[d];
                    a += (double) cpu.get(i)[d] * cpu.get(i)[d];
                    b += (double) cuda.get(i)[d] * cuda.get(i)[d];
                }
                assertThat(dot / Math.sqrt(a * b)).as("%s prompt %d", pooling, i).isGreaterThan(0.9999);
            }
        }
    }

    @Test
    void aDraftOnTheDeviceHasTheModelsOwnGreedyProposalsKept() throws Exception {
        SamplingParams greedy = SamplingParams.builder().temperature(0).ignoreEos(true).build();
        List<GenerationRequest> requests = new ArrayList<>();
        for (int[] p : prompts()) {
            requests.add(new GenerationRequest(p, greedy, 24));
        }
        try (Backend backend = CudaBackend.open(0);
             LoadedModel model = LoadedModel.open(MODEL, backend, 32, 4, c -> 0, null, null, KvCacheType.F32);
             LoadedModel draft = LoadedModel.open(MODEL, backend, 32, 4, c -> 0, null, null, KvCacheType.F32)) {
            List<GenerationResult> plain = model.generator().generate(requests, TokenListener.NONE);
            long[] counts = new long[2];
            SchedulerObserver observer = new SchedulerObserver() {
                @Override
                public void speculated(int drafted, int accepted) {
                    counts[0] += drafted;
                    counts[1] += accepted;
                }
            };
            List<GenerationResult> drafted = model.generator(Speculation.lookup(4, 1, 1), observer,
                    draft.asDraftOf(model, 0)).generate(requests, TokenListener.NONE);
            for (int i = 0; i < requests.size(); i++) {
                assertThat(drafted.get(i).tokens()).as("request %d", i).containsExactly(plain.get(i).tokens());
            }
            assertThat(counts[0]).isPositive();
            assertThat(counts[1]).isEqualTo(counts[0]);
        }
    }
}
