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
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A prompt's own log-probabilities are the model's: each equals what the same position reports when
 * its token is sampled instead (same logits, same normalizer), they do not depend on chunking,
 * batching, preemption or the prefix cache, each position is reported once and in order before
 * any sampled token, and a request for none of the output ends once its prompt is read.
 */
class PromptLogprobsTest {

    /** One reported log-probability: a prompt position's or a sampled token's. */
    record Entry(int position, int token, double logprob, int rank, int[] topIds, double[] topLogprobs) {

        static Entry of(int position, TokenLogprobs lp) {
            int[] ids = new int[lp.topCount()];
            double[] values = new double[lp.topCount()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = lp.topId(i);
                values[i] = lp.topLogprob(i);
            }
            return new Entry(position, lp.token(), lp.logprob(), lp.rank(), ids, values);
        }

        /** Equal in every value, bit for bit. */
        boolean same(Entry other) {
            return token == other.token && Double.compare(logprob, other.logprob) == 0 && rank == other.rank
                    && Arrays.equals(topIds, other.topIds) && Arrays.equals(topLogprobs, other.topLogprobs);
        }
    }

    /** Records a sequence's prompt entries, its tokens' entries and its end, checking their order. */
    static final class Scores implements SequenceSink {
        final int promptLength;
        final List<Entry> prompt = new ArrayList<>();
        final List<Entry> sampled = new ArrayList<>();
        FinishReason finish;
        RuntimeException failure;

        Scores(int promptLength) {
            this.promptLength = promptLength;
        }

        @Override
        public void onPromptToken(int position, TokenLogprobs logprobs) {
            assertThat(sampled).as("prompt entries come before any sampled token").isEmpty();
            assertThat(position).as("positions once each, in order").isEqualTo(prompt.size() + 1);
            prompt.add(Entry.of(position, logprobs));
        }

        @Override
        public boolean onToken(int token, TokenLogprobs logprobs) {
            sampled.add(Entry.of(promptLength + sampled.size(), logprobs));
            return true;
        }

        @Override
        public void onFinish(FinishReason reason) {
            finish = reason;
        }

        @Override
        public void onFailure(RuntimeException error) {
            failure = error;
        }
    }

    private static SamplingParams greedy(int logprobs) {
        return SamplingParams.builder().temperature(0).ignoreEos(true).logprobs(logprobs).build();
    }

    private static int[] tokens(SplittableRandom random, int length) {
        return random.ints(length, 0, 253).toArray(); // the tiny vocabulary's last ids are control tokens
    }

    /** Runs the requests together to the end; returns their sinks. */
    private static List<Scores> run(Path file, List<GenerationRequest> requests, int stepTokens, int kvPositions,
                                    boolean reusePrefixes, long[] preemptions) throws Exception {
        try (CpuBackend backend = new CpuBackend(2);
             LoadedModel model = LoadedModel.open(file, backend, stepTokens, Math.min(requests.size(), stepTokens),
                     c -> kvPositions, null, null, KvCacheType.F32)) {
            model.reusePrefixes(reusePrefixes);
            ContinuousBatcher batcher = new ContinuousBatcher(model.transformer(), model.kv(),
                    model.tokenizer()::isEog, SchedulerObserver.NONE, System::nanoTime);
            List<Scores> sinks = new ArrayList<>();
            for (GenerationRequest r : requests) {
                Scores sink = new Scores(r.prompt().length);
                sinks.add(sink);
                batcher.add(r, sink);
            }
            while (batcher.hasWork()) {
                batcher.step();
            }
            if (preemptions != null) {
                preemptions[0] = batcher.preemptions();
            }
            for (Scores s : sinks) {
                assertThat(s.failure).isNull();
            }
            return sinks;
        }
    }

    @ParameterizedTest
    @EnumSource(value = GeneratedArchitecture.class, names = {"MIXTRAL", "QWEN2MOE", "DEEPSEEK2", "GPT_OSS"})
    void aContinuationScoredAsPromptGetsTheLogprobsItWasSampledWith(GeneratedArchitecture arch) throws Exception {
        Path file = TinyModels.of(arch, GgmlType.Q8_0);
        int[] start = tokens(new SplittableRandom(3), 37);
        Scores generated = run(file, List.of(new GenerationRequest(start, greedy(5), 12)), 64, 0, false, null).get(0);
        assertThat(generated.prompt).as("none asked for, none reported").isEmpty();
        int[] whole = Arrays.copyOf(start, start.length + generated.sampled.size());
        for (int i = 0; i < generated.sampled.size(); i++) {
            whole[start.length + i] = generated.sampled.get(i).token();
        }
        // scored in chunks of 16 rows, so the continuation's positions sit in prompt chunks, not decode steps
        Scores scored = run(file, List.of(new GenerationRequest(whole, greedy(0), 0, null, null, 5)), 16, 0, false,
                null).get(0);
        assertThat(scored.finish).isEqualTo(FinishReason.LENGTH);
        assertThat(scored.sampled).isEmpty();
        assertThat(scored.prompt).hasSize(whole.length - 1);
        for (int i = 0; i < generated.sampled.size(); i++) {
            Entry sampled = generated.sampled.get(i);
            Entry asPrompt = scored.prompt.get(start.length + i - 1);
            assertThat(asPrompt.position()).isEqualTo(start.length + i);
            assertThat(asPrompt.same(sampled)).as("position %d: %s vs %s", asPrompt.position(), asPrompt, sampled).isTrue();
            assertThat(asPrompt.rank()).as("a greedy token is the most probable").isEqualTo(1);
        }
        for (Entry e : scored.prompt) {
            assertThat(e.token()).isEqualTo(whole[e.position()]);
            assertThat(e.topIds()).hasSize(5);
        }
    }

    @Test
    void chunkingBatchingPreemptionAndThePrefixCacheChangeNoPromptLogprob() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        SplittableRandom random = new SplittableRandom(11);
        int[] shared = tokens(random, 40);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            int[] prompt = i % 3 == 0 ? shared : tokens(random, 1 + random.nextInt(70));
            // some score the prompt and generate, some only score, some only generate
            int promptLogprobs = i % 4 == 3 ? GenerationRequest.NO_PROMPT_LOGPROBS : i % 3;
            int maxTokens = i % 2 == 0 ? 0 : 20 + 4 * i;
            requests.add(new GenerationRequest(prompt, greedy(2), maxTokens, null, null, promptLogprobs));
        }
        List<List<Scores>> alone = new ArrayList<>();
        for (GenerationRequest r : requests) {
            alone.add(run(file, List.of(r), 64, 0, false, null));
        }
        long[] preempted = new long[1];
        // steps of 8 rows and a cache of 9 blocks of 16 positions for 8 sequences: chunks everywhere, and preemption
        List<Scores> cramped = run(file, requests, 8, 16, false, preempted);
        assertThat(preempted[0]).as("the small cache preempts").isPositive();
        // the first request's shared prompt is cached by the time the later ones come
        List<Scores> cached = run(file, requests, 32, 0, true, null);
        for (int i = 0; i < requests.size(); i++) {
            GenerationRequest r = requests.get(i);
            Scores reference = alone.get(i).get(0);
            int expected = r.promptLogprobs() < 0 ? 0 : r.prompt().length - 1;
            assertThat(reference.prompt).as("request %d", i).hasSize(expected);
            assertThat(reference.sampled).hasSize(r.maxTokens());
            assertThat(reference.finish).isEqualTo(FinishReason.LENGTH);
            for (List<Scores> other : List.of(cramped, cached)) {
                Scores s = other.get(i);
                assertThat(s.finish).isEqualTo(reference.finish);
                assertSame(s.prompt, reference.prompt, "request " + i + " prompt");
                assertSame(s.sampled, reference.sampled, "request " + i + " tokens");
            }
        }
    }

    private static void assertSame(List<Entry> actual, List<Entry> expected, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        for (int i = 0; i < actual.size(); i++) {
            assertThat(actual.get(i).same(expected.get(i))).as("%s entry %d: %s vs %s", what, i, actual.get(i),
                    expected.get(i)).isTrue();
        }
    }

    @Test
    void theRankCountsTheTokensTheModelFindsMoreProbable() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.QWEN3MOE, GgmlType.Q8_0);
        int[] prompt = tokens(new SplittableRandom(5), 60);
        Scores scored = run(file, List.of(new GenerationRequest(prompt, greedy(0), 0, null, null, 20)), 64, 0, false,
                null).get(0);
        assertThat(scored.prompt).hasSize(59);
        boolean someNotFirst = false;
        for (Entry e : scored.prompt) {
            long above = Arrays.stream(e.topLogprobs()).filter(v -> v > e.logprob()).count();
            if (e.rank() <= 20) {
                assertThat(e.rank()).as("%s", e).isEqualTo(above + 1);
                assertThat(e.topIds()[e.rank() - 1]).isIn(idsAt(e, e.logprob()));
            } else {
                assertThat(above).as("%s", e).isEqualTo(20);
            }
            someNotFirst |= e.rank() > 1;
        }
        assertThat(someNotFirst).as("random prompt tokens are seldom the model's first choice").isTrue();
    }

    /** The top ids whose log-probability is exactly {@code logprob} (tied tokens share a rank). */
    private static Object[] idsAt(Entry e, double logprob) {
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < e.topIds().length; i++) {
            if (Double.compare(e.topLogprobs()[i], logprob) == 0) {
                ids.add(e.topIds()[i]);
            }
        }
        return ids.toArray();
    }

    @Test
    void aOneTokenPromptWithNothingToGenerateEndsAtOnce() throws Exception {
        Path file = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        Scores s = run(file, List.of(new GenerationRequest(new int[] {5}, greedy(0), 0, null, null, 3)), 16, 0, false,
                null).get(0);
        assertThat(s.finish).isEqualTo(FinishReason.LENGTH);
        assertThat(s.prompt).isEmpty();
        assertThat(s.sampled).isEmpty();
    }
}
