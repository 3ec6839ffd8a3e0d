package dev.switchyard.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.engine.sampling.TokenLogprobs;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Priorities order the queue and who gives way: a more urgent sequence is admitted first and makes a
 * less urgent running one give way when it lacks a slot, equal priorities are first come, first
 * served, and no sequence's tokens change for any of it.
 */
class PriorityTest {

    private static final Path MODEL = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);

    /** Records the order in which sequences finish, and each one's tokens. */
    private static final class Ordered implements SequenceSink {
        final String name;
        final List<String> finished;
        final List<Integer> tokens = new ArrayList<>();

        Ordered(String name, List<String> finished) {
            this.name = name;
            this.finished = finished;
        }

        @Override
        public boolean onToken(int token, TokenLogprobs logprobs) {
            tokens.add(token);
            return true;
        }

        @Override
        public void onFinish(FinishReason reason) {
            finished.add(name);
        }

        @Override
        public void onFailure(RuntimeException error) {
            throw new AssertionError(name + " failed", error);
        }
    }

    private static GenerationRequest request(int seed, int priority) {
        int[] prompt = {seed, seed + 1, seed + 2, seed + 3, seed + 4};
        return new GenerationRequest(prompt, SamplingParams.builder().temperature(0).ignoreEos(true).build(), 12, null,
                null, GenerationRequest.NO_PROMPT_LOGPROBS, priority);
    }

    /** Runs with {@code slots} sequence slots; {@code script} adds sequences and steps the batcher. */
    private static void run(int slots, Consumer<ContinuousBatcher> script) throws Exception {
        try (CpuBackend backend = new CpuBackend(1);
             LoadedModel model = LoadedModel.open(MODEL, backend, 16, slots, c -> 0, null, null, KvCacheType.F32)) {
            ContinuousBatcher batcher = new ContinuousBatcher(model.transformer(), model.kv(), model.tokenizer()::isEog,
                    SchedulerObserver.NONE, System::nanoTime);
            script.accept(batcher);
            while (batcher.hasWork()) {
                batcher.step();
            }
        }
    }

    private static List<Integer> alone(GenerationRequest r) throws Exception {
        List<String> order = new ArrayList<>();
        Ordered sink = new Ordered("alone", order);
        run(1, b -> b.add(r, sink));
        return sink.tokens;
    }

    @Test
    void anUrgentArrivalTakesTheSlotOfALessUrgentRunningSequence() throws Exception {
        List<String> order = new ArrayList<>();
        Ordered background = new Ordered("background", order);
        Ordered urgent = new Ordered("urgent", order);
        long[] preemptions = new long[1];
        run(1, b -> {
            b.add(request(10, 5), background);
            b.step();
            b.step();
            assertThat(background.tokens).as("running before the urgent one comes").isNotEmpty();
            b.add(request(50, 0), urgent);
            while (b.hasWork()) {
                b.step();
            }
            preemptions[0] = b.preemptions();
        });
        assertThat(order).containsExactly("urgent", "background");
        assertThat(preemptions[0]).isEqualTo(1);
        assertThat(background.tokens).as("giving way changes no token").isEqualTo(alone(request(10, 5)));
        assertThat(urgent.tokens).isEqualTo(alone(request(50, 0)));
    }

    @Test
    void equalPrioritiesAreFirstComeFirstServed() throws Exception {
        List<String> order = new ArrayList<>();
        long[] preemptions = new long[1];
        run(1, b -> {
            b.add(request(10, 3), new Ordered("first", order));
            b.step();
            b.add(request(50, 3), new Ordered("second", order));
            b.add(request(90, 3), new Ordered("third", order));
            while (b.hasWork()) {
                b.step();
            }
            preemptions[0] = b.preemptions();
        });
        assertThat(order).containsExactly("first", "second", "third");
        assertThat(preemptions[0]).isZero();
    }

    @Test
    void theQueueIsServedMostUrgentFirstAndALessUrgentArrivalWaits() throws Exception {
        List<String> order = new ArrayList<>();
        long[] preemptions = new long[1];
        run(1, b -> {
            b.add(request(10, 1), new Ordered("running", order));
            b.step();
            b.add(request(20, 3), new Ordered("p3", order)); // less urgent than the running one: it waits
            b.add(request(30, -2), new Ordered("p-2", order));
            b.add(request(40, 2), new Ordered("p2", order));
            b.add(request(60, -2), new Ordered("p-2 later", order));
            while (b.hasWork()) {
                b.step();
            }
            preemptions[0] = b.preemptions();
        });
        // the -2s make the running 1 give way once; it then resumes before the 2 and the 3
        assertThat(order).containsExactly("p-2", "p-2 later", "running", "p2", "p3");
        assertThat(preemptions[0]).isEqualTo(1);
    }
}
