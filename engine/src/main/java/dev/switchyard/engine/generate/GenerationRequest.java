package dev.switchyard.engine.generate;

import dev.switchyard.engine.lora.LoraMix;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.engine.sampling.TokenConstraint;
import java.util.function.Supplier;

/**
 * One sequence to generate: its prompt ids, how to sample, at most how many tokens to produce, and
 * its prefix-cache salt: only sequences with the same salt (or none) share cached prompt blocks, so
 * a tenant with a salt of its own cannot time another's prompts; and the format its output must
 * follow, when it must (a fresh {@link TokenConstraint} for the sequence; null for free text).
 *
 * <p>{@code promptLogprobs} at 0 or more asks for the prompt's own log-probabilities (each prompt
 * token after the first, as the model predicted it from the ones before, with that many of the most
 * probable alternatives): what evaluation harnesses score a text with. {@link #NO_PROMPT_LOGPROBS}
 * asks for none. Such a sequence computes its whole prompt (it takes nothing from the prefix cache),
 * and with {@code maxTokens} 0 it ends once the prompt is read.
 *
 * <p>{@code priority} orders sequences for the scheduler: lower is more urgent (vLLM's convention),
 * equal priorities go in arrival order; 0 for everyone is first come, first served.
 *
 * <p>{@code pooling} (not null) asks for the prompt's embedding instead of tokens ({@link #embedding}):
 * the prompt is computed whole, its final hidden states pooled, and the sequence ends once it is read.
 *
 * <p>{@code adapters} are the LoRA adapters the sequence applies, and how strongly
 * ({@link LoraMix#NONE}, or null, for the base model). They take part in the prefix cache's key
 * ({@link #prefixScope()}): a prompt's blocks computed under one mix serve only that mix.
 */
public record GenerationRequest(int[] prompt, SamplingParams sampling, int maxTokens, String cacheSalt,
                                Supplier<TokenConstraint> constraint, int promptLogprobs, int priority,
                                Pooling pooling, LoraMix adapters, int[] prediction) {

    public static final int NO_PROMPT_LOGPROBS = -1;

    /** Without a prediction. */
    public GenerationRequest(int[] prompt, SamplingParams sampling, int maxTokens, String cacheSalt,
                             Supplier<TokenConstraint> constraint, int promptLogprobs, int priority,
                             Pooling pooling, LoraMix adapters) {
        this(prompt, sampling, maxTokens, cacheSalt, constraint, promptLogprobs, priority, pooling, adapters, null);
    }

    /** As below, on the base model alone. */
    public GenerationRequest(int[] prompt, SamplingParams sampling, int maxTokens, String cacheSalt,
                             Supplier<TokenConstraint> constraint, int promptLogprobs, int priority, Pooling pooling) {
        this(prompt, sampling, maxTokens, cacheSalt, constraint, promptLogprobs, priority, pooling, LoraMix.NONE);
    }

    /** Tokens to generate, no embedding. */
    public GenerationRequest(int[] prompt, SamplingParams sampling, int maxTokens, String cacheSalt,
                             Supplier<TokenConstraint> constraint, int promptLogprobs, int priority) {
        this(prompt, sampling, maxTokens, cacheSalt, constraint, promptLogprobs, priority, null);
    }

    /** The embedding of {@code prompt}, pooled as {@code pooling} says; nothing generated. */
    public static GenerationRequest embedding(int[] prompt, Pooling pooling, int priority) {
        return embedding(prompt, pooling, priority, LoraMix.NONE);
    }

    /** As above, the prompt computed with the LoRA adapters {@code adapters} applies. */
    public static GenerationRequest embedding(int[] prompt, Pooling pooling, int priority, LoraMix adapters) {
        return new GenerationRequest(prompt, SamplingParams.builder().temperature(0).build(), 0, null, null,
                NO_PROMPT_LOGPROBS, priority, java.util.Objects.requireNonNull(pooling, "pooling"), adapters);
    }

    /** Whether this asks for the prompt's embedding rather than tokens. */
    public boolean embeds() {
        return pooling != null;
    }

    public GenerationRequest(int[] prompt, SamplingParams sampling, int maxTokens) {
        this(prompt, sampling, maxTokens, null, null, NO_PROMPT_LOGPROBS);
    }

    public GenerationRequest(int[] prompt, SamplingParams sampling, int maxTokens, String cacheSalt) {
        this(prompt, sampling, maxTokens, cacheSalt, null, NO_PROMPT_LOGPROBS);
    }

    public GenerationRequest(int[] prompt, SamplingParams sampling, int maxTokens, String cacheSalt,
                             Supplier<TokenConstraint> constraint) {
        this(prompt, sampling, maxTokens, cacheSalt, constraint, NO_PROMPT_LOGPROBS);
    }

    /** At the default priority, 0. */
    public GenerationRequest(int[] prompt, SamplingParams sampling, int maxTokens, String cacheSalt,
                             Supplier<TokenConstraint> constraint, int promptLogprobs) {
        this(prompt, sampling, maxTokens, cacheSalt, constraint, promptLogprobs, 0);
    }

    public GenerationRequest {
        if (prompt == null || prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty: it needs at least one token");
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max_tokens must be 0 or more, got " + maxTokens);
        }
        if (promptLogprobs < NO_PROMPT_LOGPROBS || promptLogprobs > SamplingParams.MAX_LOGPROBS) {
            throw new IllegalArgumentException("prompt logprobs must be in 0.." + SamplingParams.MAX_LOGPROBS
                    + " (or none), got " + promptLogprobs);
        }
        if (pooling != null && (maxTokens != 0 || promptLogprobs != NO_PROMPT_LOGPROBS)) {
            throw new IllegalArgumentException("an embedding request generates nothing and scores nothing");
        }
        if (prediction != null && pooling != null) {
            throw new IllegalArgumentException("an embedding request generates nothing to predict");
        }
        prompt = prompt.clone();
        adapters = adapters != null ? adapters : LoraMix.NONE;
        prediction = prediction == null || prediction.length == 0 ? null : prediction.clone();
    }

    /**
     * The same request with {@code tokens} as its predicted output (OpenAI's {@code prediction}):
     * what the caller expects most of the reply to be, such as a file it asks to have edited. The
     * scheduler proposes from it as speculative decoding proposes, so the reply is the same as
     * without it, only sooner where the prediction holds; null or empty for none.
     */
    public GenerationRequest withPrediction(int[] tokens) {
        return new GenerationRequest(prompt, sampling, maxTokens, cacheSalt, constraint, promptLogprobs, priority, pooling,
                adapters, tokens);
    }

    @Override
    public int[] prediction() {
        return prediction == null ? null : prediction.clone();
    }

    /** Whether this request carries a predicted output. */
    public boolean predicts() {
        return prediction != null;
    }

    /** The same request applying the LoRA adapters {@code mix} says. */
    public GenerationRequest withAdapters(LoraMix mix) {
        return new GenerationRequest(prompt, sampling, maxTokens, cacheSalt, constraint, promptLogprobs, priority, pooling,
                mix, prediction);
    }

    /**
     * What the prefix cache keys this sequence's blocks by besides their tokens: its salt, and the
     * adapters its keys and values were computed with. Equal scopes share blocks; null is the
     * scope of every request without salt or adapters. A mix is part of a record no salt (a string)
     * can equal, so no request can reach blocks computed under adapters it does not apply.
     */
    public Object prefixScope() {
        return adapters.isNone() ? cacheSalt : new AdaptedScope(cacheSalt, adapters);
    }

    private record AdaptedScope(String salt, LoraMix adapters) {
    }
}
