package dev.switchyard.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.forward.StepBatch;
import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.GenerationResult;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.generate.TokenListener;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Serving a model whose delta-net blocks carry a state per sequence (Qwen3.5): sequences preempted
 * for room are recomputed from position 0 to the same output; prefix caching stays off, since a
 * cached prefix would come without its state (unless states are saved for it); drafting with such a
 * model is refused, and a request's predicted output goes unused unless speculation made room to
 * take rejected proposals back; and a step that would resume a sequence anywhere but where its state
 * stands fails before it computes, leaving the model to serve the others.
 */
class RecurrentStateSchedulingTest {

    private static final Path MODEL = TinyModels.of(GeneratedArchitecture.QWEN35MOE, GgmlType.Q8_0);
    private static final Duration WAIT = Duration.ofSeconds(60);

    private static List<GenerationRequest> requests(int count, int generated, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<GenerationRequest> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int[] prompt = new int[1 + random.nextInt(50)];
            for (int j = 0; j < prompt.length; j++) {
                prompt[j] = random.nextInt(497);
            }
            SamplingParams params = i % 2 == 0
                    ? SamplingParams.builder().temperature(0).ignoreEos(true).logprobs(2).build()
                    : SamplingParams.builder().temperature(0.8).seed(700L + i).ignoreEos(true).logprobs(2).build();
            list.add(new GenerationRequest(prompt, params, generated));
        }
        return list;
    }

    private static GenerationResult alone(GenerationRequest request) throws Exception {
        try (CpuBackend backend = new CpuBackend(1);
             LoadedModel model = LoadedModel.open(MODEL, backend, 64, 1, 0)) {
            return model.generator().generate(List.of(request), TokenListener.NONE).getFirst();
        }
    }

    private static List<RecordingSink> submitAll(Scheduler scheduler, List<GenerationRequest> requests) throws Exception {
        List<RecordingSink> sinks = new ArrayList<>();
        for (GenerationRequest r : requests) {
            RecordingSink sink = new RecordingSink();
            scheduler.submit(List.of(new Scheduler.SequenceRequest(r, sink)), null);
            sinks.add(sink);
        }
        for (RecordingSink sink : sinks) {
            sink.await(WAIT);
        }
        return sinks;
    }

    @Test
    void preemptedSequencesStartTheirStateAgainAndAnswerAsAlone() throws Exception {
        List<GenerationRequest> requests = requests(8, 24, 3);
        // 96 positions for 8 sequences of up to 74 positions each: some must give way
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(MODEL, backend, 32, 8, 96);
             Scheduler scheduler = model.scheduler(64, SchedulerObserver.NONE)) {
            List<RecordingSink> sinks = submitAll(scheduler, requests);
            assertThat(scheduler.preemptions()).as("the pool is too small for all at once").isPositive();
            for (int i = 0; i < requests.size(); i++) {
                GenerationResult expected = alone(requests.get(i));
                assertThat(sinks.get(i).finish()).isEqualTo(FinishReason.LENGTH);
                assertThat(sinks.get(i).tokens()).as("request %d tokens", i).containsExactly(expected.tokens());
                assertThat(sinks.get(i).logprobs()).as("request %d logprobs", i).containsExactly(expected.logprobs());
            }
        }
    }

    @Test
    void prefixCachingStaysOffAndASharedPrefixIsComputedAgain() throws Exception {
        int[] shared = requests(1, 1, 9).getFirst().prompt();
        int[] system = new int[40];
        for (int i = 0; i < system.length; i++) {
            system[i] = shared[i % shared.length] + i % 3;
        }
        SamplingParams greedy = SamplingParams.builder().temperature(0).ignoreEos(true).logprobs(2).build();
        GenerationRequest first = new GenerationRequest(system, greedy, 12);
        int[] longer = java.util.Arrays.copyOf(system, 52);
        for (int i = 40; i < 52; i++) {
            longer[i] = 7 * i % 497;
        }
        GenerationRequest second = new GenerationRequest(longer, greedy, 12);
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(MODEL, backend, 64, 4, 0)) {
            assertThat(model.reusePrefixes(true)).isFalse();
            assertThat(model.kv().cachesPrefixes()).isFalse();
            try (Scheduler scheduler = model.scheduler(8, SchedulerObserver.NONE)) {
                List<RecordingSink> sinks = new ArrayList<>();
                for (GenerationRequest r : List.of(first, second)) {
                    sinks.addAll(submitAll(scheduler, List.of(r)));
                }
                assertThat(sinks.get(1).reused()).isLessThanOrEqualTo(0);
                assertThat(sinks.get(1).tokens()).containsExactly(alone(second).tokens());
            }
        }
    }

    /**
     * A chat's next turn: the first prompt (40 tokens), its reply (12) and more. The first turn saved
     * its state where its prompt's last whole block ends (32) and, as it generated, where its reply
     * filled the next block (48); the second turn goes on from 48, past the reply's start.
     */
    @Test
    void withStateCheckpointsAFollowUpGoesOnFromTheFirstTurnsSavedStateAndAnswersAsWithout() throws Exception {
        SamplingParams greedy = SamplingParams.builder().temperature(0).ignoreEos(true).logprobs(2).build();
        int[] system = new int[40];
        for (int i = 0; i < system.length; i++) {
            system[i] = (13 * i + 5) % 497;
        }
        GenerationRequest first = new GenerationRequest(system, greedy, 12);
        int[] reply = alone(first).tokens();
        // the next turn: the first prompt, its reply, and more
        int[] next = java.util.Arrays.copyOf(system, 40 + reply.length + 9);
        System.arraycopy(reply, 0, next, 40, reply.length);
        for (int i = 40 + reply.length; i < next.length; i++) {
            next[i] = (7 * i) % 497;
        }
        GenerationRequest second = new GenerationRequest(next, greedy, 12);
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(MODEL, backend, 24, 4, 0)) {
            model.keepStateCheckpoints(3);
            assertThat(model.reusePrefixes(true)).isTrue();
            try (Scheduler scheduler = model.scheduler(8, SchedulerObserver.NONE)) {
                List<RecordingSink> turns = new ArrayList<>();
                turns.addAll(submitAll(scheduler, List.of(first)));
                turns.addAll(submitAll(scheduler, List.of(second)));
                assertThat(turns.get(0).reused()).isZero();
                // the state the first turn saved as it generated: its prompt and the reply's first 8 tokens
                assertThat(turns.get(1).reused()).isEqualTo(48);
                assertThat(model.stateCheckpoints().restored()).isEqualTo(1);
                // the first turn's at 32 and 48, the second's as it generated, at 64
                assertThat(model.stateCheckpoints().saved()).as("saved").isEqualTo(3);
                assertThat(turns.get(0).tokens()).containsExactly(reply);
                GenerationResult expected = alone(second);
                assertThat(turns.get(1).tokens()).containsExactly(expected.tokens());
                assertThat(turns.get(1).logprobs()).containsExactly(expected.logprobs());
                // the second prompt's own state, saved after 80 of its positions, serves it again whole
                List<RecordingSink> again = submitAll(scheduler, List.of(second));
                assertThat(again.getFirst().reused()).isEqualTo((next.length - 1) / 16 * 16);
                assertThat(again.getFirst().tokens()).containsExactly(expected.tokens());
                assertThat(again.getFirst().logprobs()).containsExactly(expected.logprobs());
            }
        }
    }

    /**
     * Three prompts that share a system prompt of 40 tokens and then differ: the first saves its
     * state where its last whole block ends, which the second cannot use; the second finds the
     * first's two blocks of the system prompt without a state, computes them, and saves its state
     * where they end; the third goes on from there, to the output it gets alone.
     */
    @Test
    void withStateCheckpointsASharedSystemPromptIsSavedWhereTheSharingEndsAndServesTheNextPrompt() throws Exception {
        SamplingParams greedy = SamplingParams.builder().temperature(0).ignoreEos(true).logprobs(2).build();
        List<GenerationRequest> prompts = new ArrayList<>();
        for (int q = 0; q < 3; q++) {
            int[] prompt = new int[49];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = i < 40 ? (11 * i + 3) % 497 : (17 * i + 31 * q + 1) % 497;
            }
            prompts.add(new GenerationRequest(prompt, greedy, 8));
        }
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(MODEL, backend, 24, 4, 0)) {
            model.keepStateCheckpoints(4);
            assertThat(model.reusePrefixes(true)).isTrue();
            try (Scheduler scheduler = model.scheduler(64, SchedulerObserver.NONE)) {
                List<RecordingSink> sinks = new ArrayList<>();
                for (GenerationRequest r : prompts) {
                    sinks.addAll(submitAll(scheduler, List.of(r)));
                }
                assertThat(sinks.get(0).reused()).isZero();
                assertThat(sinks.get(1).reused()).as("the shared blocks, but no state where they end").isZero();
                assertThat(sinks.get(2).reused()).as("the system prompt's whole blocks").isEqualTo(32);
                assertThat(model.stateCheckpoints().restored()).isEqualTo(1);
                for (int i = 0; i < prompts.size(); i++) {
                    GenerationResult expected = alone(prompts.get(i));
                    assertThat(sinks.get(i).tokens()).as("request %d tokens", i).containsExactly(expected.tokens());
                    assertThat(sinks.get(i).logprobs()).as("request %d logprobs", i).containsExactly(expected.logprobs());
                }
            }
        }
    }

    @Test
    void withStateCheckpointsPreemptedSequencesGoOnFromTheirPromptsStateToTheSameOutput() throws Exception {
        List<GenerationRequest> requests = requests(8, 24, 3);
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(MODEL, backend, 32, 8, 96)) {
            model.keepStateCheckpoints(8);
            model.reusePrefixes(true);
            try (Scheduler scheduler = model.scheduler(64, SchedulerObserver.NONE)) {
                List<RecordingSink> sinks = submitAll(scheduler, requests);
                assertThat(scheduler.preemptions()).isPositive();
                assertThat(model.stateCheckpoints().saved()).isPositive();
                for (int i = 0; i < requests.size(); i++) {
                    GenerationResult expected = alone(requests.get(i));
                    assertThat(sinks.get(i).tokens()).as("request %d tokens", i).containsExactly(expected.tokens());
                    assertThat(sinks.get(i).logprobs()).as("request %d logprobs", i).containsExactly(expected.logprobs());
                }
            }
        }
    }

    @Test
    void draftingIsRefusedAndPredictionsAreUsedOnlyWithRoomToTakeRejectionsBack() throws Exception {
        GenerationRequest plain = requests(1, 16, 5).getFirst();
        GenerationResult expected = alone(plain);
        // the predicted output: the reply itself, its second half changed, so some is kept and some rejected
        int[] predicted = expected.tokens().clone();
        for (int i = predicted.length / 2; i < predicted.length; i++) {
            predicted[i] = (predicted[i] + 1) % 497;
        }
        GenerationRequest withPrediction = plain.withPrediction(predicted);
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(MODEL, backend, 32, 2, 0)) {
            assertThatThrownBy(() -> new DraftModel(model.transformer(), model.kv(), 600, 0.5))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot draft");
            GenerationResult unused = model.generator().generate(List.of(withPrediction), TokenListener.NONE).getFirst();
            assertThat(unused.tokens()).containsExactly(expected.tokens());
            assertThat(unused.acceptedPredictionTokens()).as("no room to take a rejection back").isZero();
        }
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(MODEL, backend, 32, 2, 0)) {
            GenerationResult used = model.generator(Speculation.lookup(3, 1, 2), SchedulerObserver.NONE)
                    .generate(List.of(withPrediction), TokenListener.NONE).getFirst();
            assertThat(model.transformer().keepsSpeculationStates()).isTrue();
            assertThat(used.tokens()).containsExactly(expected.tokens());
            assertThat(used.logprobs()).containsExactly(expected.logprobs());
            assertThat(used.acceptedPredictionTokens()).isPositive();
            assertThat(used.rejectedPredictionTokens()).isPositive();
        }
    }

    @Test
    void aStepResumingASequenceElsewhereThanItsStateFailsBeforeComputing() throws Exception {
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(MODEL, backend, 32, 2, 0)) {
            int vocab = model.config().vocabSize();
            float[][] logits = new float[32][vocab];
            StepBatch batch = new StepBatch(32);
            model.kv().reserve(0, 16);
            for (int p = 0; p < 4; p++) {
                batch.add(0, 10 + p, p, p == 3);
            }
            model.transformer().step(batch, model.kv(), logits);
            float[] fourth = logits[0].clone();
            batch.clear();
            batch.add(0, 99, 6, true); // positions 4 and 5 skipped
            assertThatThrownBy(() -> model.transformer().step(batch, model.kv(), logits))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("resumes at position 6")
                    .hasMessageContaining("positions 0..3");
            // where its state stands, it goes on; from 0 it starts again, as it first did
            batch.clear();
            batch.add(0, 99, 4, true);
            model.transformer().step(batch, model.kv(), logits);
            batch.clear();
            for (int p = 0; p < 4; p++) {
                batch.add(0, 10 + p, p, p == 3);
            }
            model.transformer().step(batch, model.kv(), logits);
            assertThat(logits[0]).containsExactly(fourth);
        }
    }
}
