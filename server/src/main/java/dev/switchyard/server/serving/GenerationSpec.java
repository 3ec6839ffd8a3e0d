package dev.switchyard.server.serving;

import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.Pooling;
import dev.switchyard.engine.lora.LoraMix;
import dev.switchyard.engine.sampling.SamplingParams;
import java.util.List;
import java.util.Objects;

/**
 * A validated generation request, whatever transport it came by: its prompts as token ids, and how
 * to continue each. It becomes {@code prompts.size() x n} sequences in one submission; choice
 * {@code p * n + j} is the {@code j}-th continuation of prompt {@code p}.
 *
 * @param prompts        one or more prompts, already tokenized and checked against the vocabulary
 * @param echoTexts      per prompt, text to put in front of each of its choices' output; null for none
 * @param n              continuations per prompt, at least 1
 * @param sampling       how to sample; with a seed, choice {@code i} uses {@code seed + i}, so choices
 *                       differ and each is reproducible
 * @param maxTokens      tokens per choice at most; null for as many as the context leaves
 * @param stop           strings that end a choice (not part of its output); never null
 * @param promptParam    the request field that holds the prompt, for errors ("prompt", "messages")
 * @param maxTokensParam the request field that set {@code maxTokens}, for errors
 * @param separateReasoning whether each choice's reasoning comes apart from its content, where the
 *                       model's chat format marks it (chat replies only: the prompts are rendered
 *                       conversations whose tails say where the reply begins)
 * @param cacheSalt      the prefix-cache salt: only requests with the same salt (null: none) share
 *                       cached prompt blocks
 * @param tools          the tools a chat prompt offers, whose calls come out of each reply apart from
 *                       its content; null when none are offered (or {@code tool_choice} is none)
 * @param format         what each reply's answer is held to ({@code response_format}, {@code guided_choice},
 *                       ...); null for free text
 * @param thinkingBudget tokens a reply that opens by thinking may think before it must close its
 *                       thinking (models that think in tags); null for no limit
 * @param promptLogprobs alternatives to report with each prompt token's own log-probability
 *                       ({@link GenerationListener#onPromptLogprobs}); -1 for none
 * @param includeStop    whether a matched stop string stays at the end of the output (vLLM's
 *                       {@code include_stop_str_in_output}); OpenAI leaves it out
 * @param priority       the scheduler's order: lower is more urgent, 0 the default (see
 *                       {@link GenerationRequest#priority()})
 * @param renderSpecial  whether control tokens' text is part of the output (vLLM's
 *                       {@code skip_special_tokens: false}); a token that ends the reply as a stop
 *                       token still leaves its text out unless {@code includeStop}
 * @param pooling        not null for embeddings: each prompt's pooled final hidden states instead of
 *                       tokens ({@link GenerationListener#onEmbedding}); n is then 1 and nothing is
 *                       generated
 * @param codeLimits     llama.cpp's code-completion limits ({@code n_indent}, {@code t_max_predict_ms});
 *                       a reply they end finishes with reason length
 * @param adapters       the LoRA adapters each sequence applies, and how strongly; never null
 * @param servedAs       the adapter name the request's {@code model} gave, which replies report as
 *                       their model (as vLLM's do); null: the served model's name
 * @param prediction     the reply the client expects, as tokens (OpenAI's {@code prediction}): proposed
 *                       as speculative tokens for every choice, which changes no reply, only how soon
 *                       it comes; null for none
 */
public record GenerationSpec(List<int[]> prompts, List<String> echoTexts, int n, SamplingParams sampling,
                             Integer maxTokens, List<String> stop, String promptParam, String maxTokensParam,
                             boolean separateReasoning, String cacheSalt, ToolUse tools, OutputShape format,
                             Integer thinkingBudget, int promptLogprobs, boolean includeStop, int priority,
                             boolean renderSpecial, Pooling pooling, CodeCompletionLimits codeLimits,
                             LoraMix adapters, String servedAs, int[] prediction) {

    /** Without a predicted output. */
    public GenerationSpec(List<int[]> prompts, List<String> echoTexts, int n, SamplingParams sampling,
                          Integer maxTokens, List<String> stop, String promptParam, String maxTokensParam,
                          boolean separateReasoning, String cacheSalt, ToolUse tools, OutputShape format,
                          Integer thinkingBudget, int promptLogprobs, boolean includeStop, int priority,
                          boolean renderSpecial, Pooling pooling, CodeCompletionLimits codeLimits,
                          LoraMix adapters, String servedAs) {
        this(prompts, echoTexts, n, sampling, maxTokens, stop, promptParam, maxTokensParam, separateReasoning, cacheSalt,
                tools, format, thinkingBudget, promptLogprobs, includeStop, priority, renderSpecial, pooling, codeLimits,
                adapters, servedAs, null);
    }

    /** Replies report the served model's name. */
    public GenerationSpec(List<int[]> prompts, List<String> echoTexts, int n, SamplingParams sampling,
                          Integer maxTokens, List<String> stop, String promptParam, String maxTokensParam,
                          boolean separateReasoning, String cacheSalt, ToolUse tools, OutputShape format,
                          Integer thinkingBudget, int promptLogprobs, boolean includeStop, int priority,
                          boolean renderSpecial, Pooling pooling, CodeCompletionLimits codeLimits, LoraMix adapters) {
        this(prompts, echoTexts, n, sampling, maxTokens, stop, promptParam, maxTokensParam, separateReasoning, cacheSalt,
                tools, format, thinkingBudget, promptLogprobs, includeStop, priority, renderSpecial, pooling, codeLimits,
                adapters, null);
    }

    /** On the base model alone. */
    public GenerationSpec(List<int[]> prompts, List<String> echoTexts, int n, SamplingParams sampling,
                          Integer maxTokens, List<String> stop, String promptParam, String maxTokensParam,
                          boolean separateReasoning, String cacheSalt, ToolUse tools, OutputShape format,
                          Integer thinkingBudget, int promptLogprobs, boolean includeStop, int priority,
                          boolean renderSpecial, Pooling pooling, CodeCompletionLimits codeLimits) {
        this(prompts, echoTexts, n, sampling, maxTokens, stop, promptParam, maxTokensParam, separateReasoning, cacheSalt,
                tools, format, thinkingBudget, promptLogprobs, includeStop, priority, renderSpecial, pooling, codeLimits,
                LoraMix.NONE);
    }

    /** No code-completion limits. */
    public GenerationSpec(List<int[]> prompts, List<String> echoTexts, int n, SamplingParams sampling,
                          Integer maxTokens, List<String> stop, String promptParam, String maxTokensParam,
                          boolean separateReasoning, String cacheSalt, ToolUse tools, OutputShape format,
                          Integer thinkingBudget, int promptLogprobs, boolean includeStop, int priority,
                          boolean renderSpecial, Pooling pooling) {
        this(prompts, echoTexts, n, sampling, maxTokens, stop, promptParam, maxTokensParam, separateReasoning, cacheSalt,
                tools, format, thinkingBudget, promptLogprobs, includeStop, priority, renderSpecial, pooling,
                CodeCompletionLimits.NONE);
    }

    /** Tokens, not embeddings. */
    public GenerationSpec(List<int[]> prompts, List<String> echoTexts, int n, SamplingParams sampling,
                          Integer maxTokens, List<String> stop, String promptParam, String maxTokensParam,
                          boolean separateReasoning, String cacheSalt, ToolUse tools, OutputShape format,
                          Integer thinkingBudget, int promptLogprobs, boolean includeStop, int priority,
                          boolean renderSpecial) {
        this(prompts, echoTexts, n, sampling, maxTokens, stop, promptParam, maxTokensParam, separateReasoning, cacheSalt,
                tools, format, thinkingBudget, promptLogprobs, includeStop, priority, renderSpecial, null);
    }

    /** The embeddings of {@code prompts} (read from the request's {@code param}), pooled as {@code pooling} says. */
    public static GenerationSpec embeddings(List<int[]> prompts, String param, Pooling pooling, int priority) {
        return new GenerationSpec(prompts, null, 1, SamplingParams.builder().temperature(0).build(), 0, List.of(),
                param, "max_tokens", false, null, null, null, null, GenerationRequest.NO_PROMPT_LOGPROBS, false,
                priority, false, Objects.requireNonNull(pooling, "pooling"));
    }

    /** Control tokens silent, as every API's default is. */
    public GenerationSpec(List<int[]> prompts, List<String> echoTexts, int n, SamplingParams sampling,
                          Integer maxTokens, List<String> stop, String promptParam, String maxTokensParam,
                          boolean separateReasoning, String cacheSalt, ToolUse tools, OutputShape format,
                          Integer thinkingBudget, int promptLogprobs, boolean includeStop, int priority) {
        this(prompts, echoTexts, n, sampling, maxTokens, stop, promptParam, maxTokensParam, separateReasoning, cacheSalt,
                tools, format, thinkingBudget, promptLogprobs, includeStop, priority, false);
    }

    /** At the default priority. */
    public GenerationSpec(List<int[]> prompts, List<String> echoTexts, int n, SamplingParams sampling,
                          Integer maxTokens, List<String> stop, String promptParam, String maxTokensParam,
                          boolean separateReasoning, String cacheSalt, ToolUse tools, OutputShape format,
                          Integer thinkingBudget, int promptLogprobs, boolean includeStop) {
        this(prompts, echoTexts, n, sampling, maxTokens, stop, promptParam, maxTokensParam, separateReasoning, cacheSalt,
                tools, format, thinkingBudget, promptLogprobs, includeStop, 0);
    }

    /** Stop strings left out of the output, as OpenAI does. */
    public GenerationSpec(List<int[]> prompts, List<String> echoTexts, int n, SamplingParams sampling,
                          Integer maxTokens, List<String> stop, String promptParam, String maxTokensParam,
                          boolean separateReasoning, String cacheSalt, ToolUse tools, OutputShape format,
                          Integer thinkingBudget, int promptLogprobs) {
        this(prompts, echoTexts, n, sampling, maxTokens, stop, promptParam, maxTokensParam, separateReasoning, cacheSalt,
                tools, format, thinkingBudget, promptLogprobs, false);
    }

    /** Without the prompt's log-probabilities. */
    public GenerationSpec(List<int[]> prompts, List<String> echoTexts, int n, SamplingParams sampling,
                          Integer maxTokens, List<String> stop, String promptParam, String maxTokensParam,
                          boolean separateReasoning, String cacheSalt, ToolUse tools, OutputShape format,
                          Integer thinkingBudget) {
        this(prompts, echoTexts, n, sampling, maxTokens, stop, promptParam, maxTokensParam, separateReasoning, cacheSalt,
                tools, format, thinkingBudget, GenerationRequest.NO_PROMPT_LOGPROBS);
    }

    /** Thinking as long as the model likes. */
    public GenerationSpec(List<int[]> prompts, List<String> echoTexts, int n, SamplingParams sampling,
                          Integer maxTokens, List<String> stop, String promptParam, String maxTokensParam,
                          boolean separateReasoning, String cacheSalt, ToolUse tools, OutputShape format) {
        this(prompts, echoTexts, n, sampling, maxTokens, stop, promptParam, maxTokensParam, separateReasoning, cacheSalt,
                tools, format, null);
    }

    /** Output as generated, all content: completions. */
    public GenerationSpec(List<int[]> prompts, List<String> echoTexts, int n, SamplingParams sampling,
                          Integer maxTokens, List<String> stop, String promptParam, String maxTokensParam) {
        this(prompts, echoTexts, n, sampling, maxTokens, stop, promptParam, maxTokensParam, false, null, null, null);
    }

    public GenerationSpec {
        if (prompts.isEmpty() || n < 1) {
            throw new IllegalArgumentException("a generation needs a prompt and n >= 1");
        }
        prompts = List.copyOf(prompts);
        echoTexts = echoTexts == null ? null : List.copyOf(echoTexts);
        Objects.requireNonNull(sampling, "sampling");
        stop = stop == null ? List.of() : List.copyOf(stop);
        codeLimits = codeLimits == null ? CodeCompletionLimits.NONE : codeLimits;
        adapters = adapters == null ? LoraMix.NONE : adapters;
        if (thinkingBudget != null && thinkingBudget < 0) {
            throw new IllegalArgumentException("a thinking budget is at least 0 tokens");
        }
        if (pooling != null && (n != 1 || !Integer.valueOf(0).equals(maxTokens))) {
            throw new IllegalArgumentException("embeddings take one choice and generate nothing");
        }
        if (promptLogprobs < GenerationRequest.NO_PROMPT_LOGPROBS || promptLogprobs > SamplingParams.MAX_LOGPROBS) {
            throw new IllegalArgumentException("prompt logprobs are -1 (none) or 0.." + SamplingParams.MAX_LOGPROBS);
        }
        if (prediction != null && pooling != null) {
            throw new IllegalArgumentException("embeddings generate nothing to predict");
        }
        prediction = prediction == null || prediction.length == 0 ? null
                : java.util.Arrays.copyOf(prediction, Math.min(prediction.length, MAX_PREDICTION_TOKENS));
    }

    /** The most tokens of a prediction used (the rest is left out): more than any reply runs to. */
    public static final int MAX_PREDICTION_TOKENS = 1 << 17;

    /** The longest cache_salt either transport takes: a salt names a tenant, it is not a payload. */
    public static final int MAX_CACHE_SALT = 256;

    /**
     * Whether the prompts are conversations the chat template rendered, whose ends say where a reply
     * begins: those of chat requests ({@code messages}, either API) and of responses ({@code input}).
     */
    public boolean renderedConversations() {
        return "messages".equals(promptParam) || "input".equals(promptParam);
    }

    public int choices() {
        return prompts.size() * n;
    }

    /** The sampling parameters of choice {@code index}: the request's, with seed + index where seeded. */
    public SamplingParams samplingFor(int index) {
        Long seed = sampling.seed();
        return seed == null || index == 0 ? sampling : sampling.toBuilder().seed(seed + index).build();
    }

    /** This spec with control tokens' text in the output or not. */
    public GenerationSpec withRenderSpecial(boolean render) {
        return render == renderSpecial ? this : new GenerationSpec(prompts, echoTexts, n, sampling, maxTokens, stop,
                promptParam, maxTokensParam, separateReasoning, cacheSalt, tools, format, thinkingBudget, promptLogprobs,
                includeStop, priority, render, pooling, codeLimits, adapters, servedAs, prediction);
    }

    /** This spec with llama.cpp's code-completion limits. */
    public GenerationSpec withCodeLimits(CodeCompletionLimits limits) {
        return new GenerationSpec(prompts, echoTexts, n, sampling, maxTokens, stop, promptParam, maxTokensParam,
                separateReasoning, cacheSalt, tools, format, thinkingBudget, promptLogprobs, includeStop, priority,
                renderSpecial, pooling, limits, adapters, servedAs, prediction);
    }

    /** The same generation applying the LoRA adapters {@code mix} says. */
    public GenerationSpec withAdapters(LoraMix mix) {
        return withAdapters(mix, servedAs);
    }

    /** As above, replies reporting {@code name} (an adapter's the request named; null: the served model's) as their model. */
    public GenerationSpec withAdapters(LoraMix mix, String name) {
        return new GenerationSpec(prompts, echoTexts, n, sampling, maxTokens, stop, promptParam, maxTokensParam,
                separateReasoning, cacheSalt, tools, format, thinkingBudget, promptLogprobs, includeStop, priority,
                renderSpecial, pooling, codeLimits, mix, name, prediction);
    }

    /**
     * This spec with its prefix-cache salt kept to {@code tenant} (a key's name; null: as it is): its
     * blocks are shared only with requests of the same tenant and salt. The name goes between NUL
     * characters, which no key's name holds, so no tenant's salt, however a client words its own, can
     * equal another's.
     */
    public GenerationSpec forTenant(String tenant) {
        if (tenant == null) {
            return this;
        }
        String scoped = "\u0000" + tenant + "\u0000" + (cacheSalt == null ? "" : cacheSalt);
        return new GenerationSpec(prompts, echoTexts, n, sampling, maxTokens, stop, promptParam, maxTokensParam,
                separateReasoning, scoped, tools, format, thinkingBudget, promptLogprobs, includeStop, priority,
                renderSpecial, pooling, codeLimits, adapters, servedAs, prediction);
    }

    /** This spec scheduled at {@code level} (lower is more urgent). */
    public GenerationSpec withPriority(int level) {
        return level == priority ? this : new GenerationSpec(prompts, echoTexts, n, sampling, maxTokens, stop, promptParam,
                maxTokensParam, separateReasoning, cacheSalt, tools, format, thinkingBudget, promptLogprobs, includeStop,
                level, renderSpecial, pooling, codeLimits, adapters, servedAs, prediction);
    }

    /** This spec with {@code tokens} as the reply the client expects (null or empty: none). */
    public GenerationSpec withPrediction(int[] tokens) {
        return new GenerationSpec(prompts, echoTexts, n, sampling, maxTokens, stop, promptParam, maxTokensParam,
                separateReasoning, cacheSalt, tools, format, thinkingBudget, promptLogprobs, includeStop, priority,
                renderSpecial, pooling, codeLimits, adapters, servedAs, tokens);
    }
}
