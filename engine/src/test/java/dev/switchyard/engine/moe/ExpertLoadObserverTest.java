package dev.switchyard.engine.moe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.generate.TokenListener;
import dev.switchyard.kernels.cpu.CpuBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The per-layer load reports add up: every layer sees every row, its experts ran exactly the
 * assignments that were not dropped, and its drops and reroutes sum to the dispatch totals.
 */
class ExpertLoadObserverTest {

    @ParameterizedTest
    @EnumSource(value = OverflowMode.class, names = {"NONE", "DROP", "REROUTE"})
    void perLayerLoadsAccountForEveryAssignment(OverflowMode mode) throws Exception {
        SplittableRandom random = new SplittableRandom(5);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            requests.add(new GenerationRequest(DispatchRuns.randomPrompt(random, 20 + 10 * i), DispatchRuns.greedy(), 3));
        }
        DispatchConfig dispatch = DispatchRuns.config(mode, 0.5, CapacityScope.SEQUENCE);
        try (CpuBackend backend = new CpuBackend(1);
             LoadedModel model = LoadedModel.open(DispatchRuns.model(), backend, 64, 4, 512, dispatch)) {
            int layers = model.config().layers();
            int k = model.config().expertUsedCount();
            long[] rows = new long[layers];
            long[] ran = new long[layers];
            long[] dropped = new long[layers];
            long[] rerouted = new long[layers];
            model.transformer().setLoadObserver((layer, tokens, kk, perExpert, d, r) -> {
                assertThat(kk).isEqualTo(k);
                assertThat(perExpert).hasSize(model.config().expertCount());
                rows[layer] += tokens;
                for (int count : perExpert) {
                    ran[layer] += count;
                }
                dropped[layer] += d;
                rerouted[layer] += r;
            });
            model.generator().generate(requests, TokenListener.NONE);
            DispatchStats totals = model.transformer().dispatchStats();
            long totalDropped = 0;
            long totalRerouted = 0;
            for (int l = 0; l < layers; l++) {
                assertThat(rows[l]).as("layer %d rows", l).isEqualTo(rows[0]).isPositive();
                assertThat(ran[l]).as("layer %d assignments run", l).isEqualTo(rows[l] * k - dropped[l]);
                totalDropped += dropped[l];
                totalRerouted += rerouted[l];
            }
            assertThat(totalDropped).isEqualTo(totals.dropped());
            assertThat(totalRerouted).isEqualTo(totals.rerouted());
            if (mode == OverflowMode.DROP) {
                assertThat(totalDropped).isPositive();
            } else if (mode == OverflowMode.REROUTE) {
                assertThat(totalRerouted).isPositive();
            }
        }
    }
}
