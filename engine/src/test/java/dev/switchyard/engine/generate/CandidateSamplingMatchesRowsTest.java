package dev.switchyard.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.sampling.Sampler;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.cuda.CudaBackend;
import dev.switchyard.kernels.cuda.CudaProbe;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Whole generations sampled from each row's best tokens (left on the backend) give what sampling
 * the rows read back gives, on one backend: the same tokens, and log-probabilities equal up to the
 * order the backend sums a row's exponentials in. A zero logit bias changes no logit but makes the
 * sampler read its rows, so each request runs both ways. Greedy with alternatives, and top-k
 * sampling with top-p, min-p and temperature, seeded, four sequences side by side. On the CPU
 * backend always (there bit for bit); on CUDA where a GPU is present.
 */
class CandidateSamplingMatchesRowsTest {

    private static final List<SamplingParams> SAMPLERS = List.of(
            SamplingParams.builder().temperature(0).logprobs(5).ignoreEos(true).build(),
            SamplingParams.builder().temperature(0.9).topK(40).seed(3L).logprobs(0).ignoreEos(true).build(),
            SamplingParams.builder().temperature(1.4).topK(Sampler.MAX_CANDIDATES).topP(0.95).seed(5L).logprobs(2)
                    .ignoreEos(true).build(),
            SamplingParams.builder().temperature(0.6).topK(8).minP(0.1).seed(7L).ignoreEos(true).build());

    @Test
    void onTheCpuBackendBitForBit() throws Exception {
        try (Backend backend = new CpuBackend(2)) {
            assertSameGenerations(backend, 0);
        }
    }

    @Test
    void onCuda() throws Exception {
        CudaProbe.Result probe = CudaProbe.probe();
        assumeTrue(probe.available(), () -> "needs a GPU: " + probe.describe());
        try (Backend backend = CudaBackend.open(0)) {
            assertSameGenerations(backend, 1e-9);
        }
    }

    private static void assertSameGenerations(Backend backend, double logprobTolerance) throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        List<GenerationResult> fromCandidates = generate(file, backend, false);
        List<GenerationResult> fromRows = generate(file, backend, true);
        for (int i = 0; i < SAMPLERS.size(); i++) {
            GenerationResult c = fromCandidates.get(i);
            GenerationResult r = fromRows.get(i);
            assertThat(c.tokens()).as("sequence %d", i).containsExactly(r.tokens());
            for (int t = 0; t < c.tokens().length; t++) {
                assertThat(c.logprobs()[t]).as("sequence %d, token %d", i, t).isCloseTo(r.logprobs()[t],
                        within(logprobTolerance));
            }
        }
    }

    private static List<GenerationResult> generate(Path file, Backend backend, boolean readRows) throws Exception {
        try (LoadedModel model = LoadedModel.open(file, backend, 64, SAMPLERS.size(), 256)) {
            List<GenerationRequest> requests = new ArrayList<>();
            for (int i = 0; i < SAMPLERS.size(); i++) {
                SamplingParams p = readRows ? SAMPLERS.get(i).toBuilder().logitBias(Map.of(0, 0.0)).build() : SAMPLERS.get(i);
                assertThat(new Sampler(p, model.config().vocabSize()).candidatesNeeded() > 0).isEqualTo(!readRows);
                requests.add(new GenerationRequest(new int[] {3 + i, 14, 15, 92, 65 + i}, p, 20));
            }
            return model.generator().generate(requests, TokenListener.NONE);
        }
    }
}
