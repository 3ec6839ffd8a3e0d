package dev.switchyard.engine.schedule;

import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.sampling.Sampler;
import java.util.function.IntUnaryOperator;

/**
 * One sequence's progress through the batcher. Its known tokens are the prompt followed by what it
 * generated; {@code fed} of them have their keys and values in the cache. A running sequence that
 * has fed all but its last known token is decoding; fewer means prefill, or recompute after it lost
 * its blocks to preemption. Only the scheduler's thread touches it, except {@link #requestAbort()}.
 */
final class ActiveSequence implements IntUnaryOperator {

    final GenerationRequest request;
    final Sampler sampler;
    final SequenceSink sink;
    final long submittedNanos;
    /** The request this sequence belongs to, or null when the caller tracks requests itself. */
    final Submission owner;
    final int[] generated;
    int count;
    int fed;
    /** Positions of its prompt the cache found shared with an earlier prompt when it was last admitted ({@code KvCache.sharedPrefix}). */
    int sharedPrefix;
    /** Positions its state was last saved after while it generated (0: none since it was last admitted). */
    int generationCheckpoint;
    int slot = -1;
    boolean admitted;
    long lastTokenNanos;
    /** The batcher's step number when this sequence last added rows. */
    long lastStep;
    FinishReason finish;
    RuntimeException failure;
    /** This step's proposed tokens (speculative decoding), fed after the decode token; empty until used. */
    int[] draft = new int[0];
    /** Whether the proposed tokens' rows still count: each was what the sampler chose before it. */
    boolean onDraft;
    /** Tokens proposed in this step, and kept of them; the most the next proposal may hold (0: the setting's). */
    int proposed;
    int kept;
    int draftLimit;
    /** Draft-model proposals in a row of which none was kept, and the steps to pass before proposing again. */
    int draftMisses;
    int draftRest;
    /** The request's predicted output (OpenAI's {@code prediction}), or null; see {@link PredictionLookup}. */
    final int[] prediction;
    /** Where in {@link #prediction} the reply goes on, while it follows it ({@code predictionAligned}). */
    int predictionCursor;
    boolean predictionAligned = true;
    /** Generated tokens already followed through the prediction. */
    int predictionSeen;
    /** Tokens proposed from the prediction that the sampler kept, and that it did not. */
    int predictionAccepted;
    int predictionRejected;
    /**
     * The first prompt position whose log-probability is still to be reported; the prompt's length
     * when none is asked for or all were. Kept across preemption, so none is reported twice.
     */
    int promptScored;
    /** Its place among sequences of equal priority: the batcher's count of sequences added before it. */
    long arrival = -1;
    /** The batcher's step number when this sequence last added a decode row. */
    long decodeStep = -1;
    private volatile boolean abortRequested;

    ActiveSequence(GenerationRequest request, Sampler sampler, SequenceSink sink, long submittedNanos, Submission owner) {
        this.request = request;
        this.sampler = sampler;
        this.sink = sink;
        this.submittedNanos = submittedNanos;
        this.owner = owner;
        this.generated = new int[request.maxTokens()];
        this.prediction = request.prediction();
        this.promptScored = request.promptLogprobs() < 0 ? request.prompt().length : 1;
    }

    /** Whether this sequence goes before {@code other}: more urgent (lower priority value), or as urgent and earlier. */
    boolean before(ActiveSequence other) {
        int a = request.priority();
        int b = other.request.priority();
        return a != b ? a < b : arrival < other.arrival;
    }

    /** Whether prompt position {@code position}'s logits are wanted to report the next position's log-probability. */
    boolean scoresPromptAt(int position) {
        return position + 1 >= promptScored && position + 1 < request.prompt().length;
    }

    /** An embedding's pooled hidden states so far (summed for a mean), or null for a sequence that generates. */
    double[] pooled;

    /** Whether this sequence computes its prompt's embedding rather than tokens. */
    boolean embeds() {
        return request.pooling() != null;
    }

    /** Whether the prompt still has log-probabilities to report. */
    boolean scoringPrompt() {
        return promptScored < request.prompt().length;
    }

    int promptLength() {
        return request.prompt().length;
    }

    /** Prompt tokens plus generated ones. */
    int known() {
        return request.prompt().length + count;
    }

    int tokenAt(int position) {
        int[] prompt = request.prompt();
        return position < prompt.length ? prompt[position] : generated[position - prompt.length];
    }

    /** {@link #tokenAt}: the sequence's tokens, as the prefix cache reads them. */
    @Override
    public int applyAsInt(int position) {
        return tokenAt(position);
    }

    /** Whether the next step feeds this sequence's last sampled token (rather than a prompt chunk). */
    boolean isDecoding() {
        return count > 0 && fed == known() - 1;
    }

    /** Asks the scheduler to end this sequence with {@link FinishReason#ABORT} at its next step; any thread. */
    void requestAbort() {
        abortRequested = true;
    }

    boolean abortRequested() {
        return abortRequested || owner != null && owner.isCancelled();
    }
}
