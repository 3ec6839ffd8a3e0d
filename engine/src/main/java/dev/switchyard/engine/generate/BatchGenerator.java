package dev.switchyard.engine.generate;

import dev.switchyard.engine.forward.Transformer;
import dev.switchyard.engine.kv.KvCache;
import dev.switchyard.engine.sampling.TokenLogprobs;
import dev.switchyard.engine.schedule.ContinuousBatcher;
import dev.switchyard.engine.schedule.SchedulerObserver;
import dev.switchyard.engine.schedule.SequenceSink;
import dev.switchyard.engine.schedule.DraftModel;
import dev.switchyard.engine.schedule.Speculation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * Runs a fixed set of sequences to completion together, on the calling thread, with the serving
 * scheduler's batching (chunked prefill, preemption when the cache runs short). Each sequence's
 * tokens depend only on its own prompt and sampling parameters, never on which others share its steps.
 */
public final class BatchGenerator {

    private final ContinuousBatcher batcher;

    public BatchGenerator(Transformer transformer, KvCache kv, IntPredicate endOfGeneration) {
        this(transformer, kv, endOfGeneration, Speculation.NONE, SchedulerObserver.NONE);
    }

    /** With speculative decoding ({@link ContinuousBatcher#setSpeculation}), its figures reported to {@code observer}. */
    public BatchGenerator(Transformer transformer, KvCache kv, IntPredicate endOfGeneration, Speculation speculation,
                          SchedulerObserver observer) {
        this(transformer, kv, endOfGeneration, speculation, observer, null);
    }

    /** As above, the proposals coming from {@code draft} (null: prompt lookup). */
    public BatchGenerator(Transformer transformer, KvCache kv, IntPredicate endOfGeneration, Speculation speculation,
                          SchedulerObserver observer, DraftModel draft) {
        this.batcher = new ContinuousBatcher(transformer, kv, endOfGeneration, observer, System::nanoTime);
        batcher.setSpeculation(speculation);
        batcher.setDraft(draft);
    }

    /** Collects one sequence's tokens for its result. */
    private static final class Collector implements SequenceSink {
        final int request;
        final int[] tokens;
        final double[] logprobs;
        final TokenListener listener;
        int count;
        FinishReason finish;
        RuntimeException failure;
        int predictionAccepted;
        int predictionRejected;

        Collector(int request, int maxTokens, TokenListener listener) {
            this.request = request;
            this.tokens = new int[maxTokens];
            this.logprobs = new double[maxTokens];
            this.listener = listener;
        }

        @Override
        public boolean onToken(int token, TokenLogprobs lp) {
            tokens[count] = token;
            logprobs[count] = lp.logprob();
            count++;
            listener.onToken(request, token, lp);
            return true;
        }

        @Override
        public void onPromptToken(int position, TokenLogprobs lp) {
            listener.onPromptToken(request, position, lp);
        }

        @Override
        public void onPromptRow(int position, float[] logits, TokenLogprobs lp) {
            listener.onPromptRow(request, position, logits, lp);
        }

        @Override
        public void onPrediction(int accepted, int rejected) {
            predictionAccepted = accepted;
            predictionRejected = rejected;
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

    /**
     * @throws IllegalArgumentException if a request does not fit the model or names ids outside its
     *                                  vocabulary (then nothing runs)
     */
    public List<GenerationResult> generate(List<GenerationRequest> requests, TokenListener listener) {
        for (GenerationRequest r : requests) {
            batcher.check(r);
        }
        List<Collector> collectors = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            collectors.add(new Collector(i, requests.get(i).maxTokens(), listener));
        }
        for (int i = 0; i < requests.size(); i++) {
            batcher.add(requests.get(i), collectors.get(i));
        }
        while (batcher.hasWork()) {
            batcher.step();
        }
        List<GenerationResult> results = new ArrayList<>(requests.size());
        for (int i = 0; i < requests.size(); i++) {
            Collector c = collectors.get(i);
            if (c.failure != null) {
                throw c.failure;
            }
            results.add(new GenerationResult(Arrays.copyOf(c.tokens, c.count), Arrays.copyOf(c.logprobs, c.count),
                    c.finish, requests.get(i).prompt().length, c.predictionAccepted, c.predictionRejected));
        }
        return results;
    }
}
