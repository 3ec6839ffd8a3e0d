package dev.switchyard.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.forward.RoutingObserver;
import dev.switchyard.engine.forward.StepBatch;
import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.generate.TokenListener;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.moe.CapacityScope;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.moe.OverflowMode;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * With capacity-aware dispatch, a sequence that is preempted and recomputed gets exactly the expert
 * plan it had the first time, and the plan it gets when it runs alone: every (layer, position) routes
 * to the same experts, in every recomputation.
 */
class PreemptionKeepsRoutingTest {

    private static final Path MODEL = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
    /** Request r's prompt starts with this id plus r, so a row at position 0 says whose it is. */
    private static final int FIRST_TOKEN = 400;

    /** Expert choices by (request, layer, position); recomputations add further entries to the list. */
    private static final class Recorder implements RoutingObserver {
        final Map<String, List<String>> plans = new HashMap<>();
        final int[] requestInSlot;

        Recorder(int slots) {
            requestInSlot = new int[slots];
        }

        @Override
        public synchronized void onRouting(int layer, StepBatch batch, int[] experts, int k, FloatMatrix residual) {
            for (int i = 0; i < batch.tokens(); i++) {
                if (batch.positionOf(i) == 0) {
                    requestInSlot[batch.sequenceOf(i)] = batch.tokenAt(i) - FIRST_TOKEN;
                }
            }
            for (int i = 0; i < batch.tokens(); i++) {
                String key = requestInSlot[batch.sequenceOf(i)] + "/" + layer + "/" + batch.positionOf(i);
                plans.computeIfAbsent(key, x -> new ArrayList<>())
                        .add(Arrays.toString(Arrays.copyOfRange(experts, i * k, i * k + k)));
            }
        }
    }

    private static List<GenerationRequest> requests() {
        SplittableRandom random = new SplittableRandom(3);
        List<GenerationRequest> list = new ArrayList<>();
        for (int r = 0; r < 8; r++) {
            int[] prompt = new int[20 + random.nextInt(40)];
            prompt[0] = FIRST_TOKEN + r;
            for (int j = 1; j < prompt.length; j++) {
                prompt[j] = random.nextInt(FIRST_TOKEN);
            }
            list.add(new GenerationRequest(prompt, SamplingParams.builder().temperature(0).ignoreEos(true).build(), 20));
        }
        return list;
    }

    @ParameterizedTest
    @EnumSource(value = OverflowMode.class, names = {"DROP", "REROUTE"})
    void recomputedSequencesRouteExactlyAsTheyDidAndAsAlone(OverflowMode mode) throws Exception {
        DispatchConfig dispatch = new DispatchConfig(mode, 0.5, CapacityScope.SEQUENCE, 16, true);
        List<GenerationRequest> requests = requests();
        Recorder batched = new Recorder(8);
        long preemptions;
        // 96 positions (+1 block per slot) for 8 sequences of up to 79 positions: preemption is certain
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(MODEL, backend, 32, 8, 96, dispatch);
             Scheduler scheduler = model.scheduler(64, SchedulerObserver.NONE)) {
            model.transformer().setRoutingObserver(batched);
            List<RecordingSink> sinks = new ArrayList<>();
            for (GenerationRequest r : requests) {
                RecordingSink sink = new RecordingSink();
                sinks.add(sink);
                scheduler.submit(List.of(new Scheduler.SequenceRequest(r, sink)), null);
            }
            for (RecordingSink sink : sinks) {
                sink.await(Duration.ofSeconds(60));
            }
            preemptions = scheduler.preemptions();
        }
        assertThat(preemptions).as("preemptions").isPositive();
        assertThat(batched.plans.values()).as("some position was computed more than once")
                .anySatisfy(list -> assertThat(list.size()).isGreaterThan(1));
        for (int r = 0; r < requests.size(); r++) {
            Recorder alone = new Recorder(1);
            try (CpuBackend backend = new CpuBackend(1);
                 LoadedModel model = LoadedModel.open(MODEL, backend, 64, 1, 0, dispatch)) {
                model.transformer().setRoutingObserver(alone);
                model.generator().generate(List.of(requests.get(r)), TokenListener.NONE);
            }
            for (Map.Entry<String, List<String>> e : alone.plans.entrySet()) {
                List<String> seen = batched.plans.get(e.getKey());
                assertThat(seen).as("request %d, layer/position %s was computed", r, e.getKey()).isNotNull();
                assertThat(seen).as("request %d, layer/position %s", r, e.getKey())
                        .containsOnly(e.getValue().getFirst());
            }
        }
    }
}
