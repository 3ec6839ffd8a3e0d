package dev.switchyard.server.serving;

import dev.switchyard.engine.generate.Pooling;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.schedule.Speculation;
import dev.switchyard.kernels.KvCacheType;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How the served model runs: the engine's sizes, the scheduler's bounds, and how its chat replies
 * come back.
 *
 * @param threads        compute threads of the CPU backend
 * @param maxSequences   sequences in one batch at most
 * @param maxBatchTokens rows one step may carry (decode tokens plus prompt chunks); at least
 *                       {@code maxSequences} and, with capacity-limited dispatch, the capacity window
 * @param kvMemoryBytes  memory for the KV cache; it sizes the block pool as
 *                       {@code bytes / (16 x bytes per position)}; 0 or less: every sequence may grow to
 *                       the model's full context
 * @param maxQueue       requests that may wait for admission before new ones get 429
 * @param requestTimeout how long a request may take in all, queueing included; zero for no limit
 * @param dispatch       capacity-aware MoE dispatch
 * @param reasoning      chat replies' reasoning apart from the answer or not, unless a request says
 * @param prefixCache    whether sequences reuse the KV blocks of prompts the cache still holds
 *                       (dropless dispatch only; see {@code ContinuousBatcher})
 * @param kvCacheType    how the KV cache stores keys and values (and so the bytes per position)
 * @param speculation    speculative decoding by prompt lookup, or {@link Speculation#NONE}
 * @param priorities     whether requests may set a {@code priority} (vLLM's {@code --scheduling-policy
 *                       priority}); otherwise every request is first come, first served
 * @param draft          the draft model whose tokens speculation proposes instead of prompt lookup's;
 *                       null for none
 * @param pooling        how embeddings pool a prompt's hidden states; null for the model file's
 *                       {@code pooling_type}, else the last token's
 * @param adapters       LoRA adapters requests may apply, in the order they are numbered
 * @param stateCheckpoints recurrent states kept for prefix reuse where the model carries one (Qwen3.5:
 *                       see {@link dev.switchyard.engine.generate.LoadedModel#keepStateCheckpoints}); 0 turns prefix caching off for it
 */
public record EngineConfig(int threads, int maxSequences, int maxBatchTokens, long kvMemoryBytes, int maxQueue,
                           Duration requestTimeout, DispatchConfig dispatch, ReasoningFormat reasoning,
                           boolean prefixCache, KvCacheType kvCacheType, Speculation speculation, boolean priorities,
                           SpeculativeDraft draft, Pooling pooling, List<AdapterSpec> adapters, int stateCheckpoints) {

    /** Recurrent states kept for prefix reuse where a model carries one, unless {@code --state-checkpoints} says. */
    public static final int DEFAULT_STATE_CHECKPOINTS = 8;

    /** The default number of state checkpoints. */
    public EngineConfig(int threads, int maxSequences, int maxBatchTokens, long kvMemoryBytes, int maxQueue,
                        Duration requestTimeout, DispatchConfig dispatch, ReasoningFormat reasoning,
                        boolean prefixCache, KvCacheType kvCacheType, Speculation speculation, boolean priorities,
                        SpeculativeDraft draft, Pooling pooling, List<AdapterSpec> adapters) {
        this(threads, maxSequences, maxBatchTokens, kvMemoryBytes, maxQueue, requestTimeout, dispatch, reasoning,
                prefixCache, kvCacheType, speculation, priorities, draft, pooling, adapters, DEFAULT_STATE_CHECKPOINTS);
    }

    /** No LoRA adapters. */
    public EngineConfig(int threads, int maxSequences, int maxBatchTokens, long kvMemoryBytes, int maxQueue,
                        Duration requestTimeout, DispatchConfig dispatch, ReasoningFormat reasoning,
                        boolean prefixCache, KvCacheType kvCacheType, Speculation speculation, boolean priorities,
                        SpeculativeDraft draft, Pooling pooling) {
        this(threads, maxSequences, maxBatchTokens, kvMemoryBytes, maxQueue, requestTimeout, dispatch, reasoning,
                prefixCache, kvCacheType, speculation, priorities, draft, pooling, List.of());
    }

    /** Embeddings pooled as the model file says. */
    public EngineConfig(int threads, int maxSequences, int maxBatchTokens, long kvMemoryBytes, int maxQueue,
                        Duration requestTimeout, DispatchConfig dispatch, ReasoningFormat reasoning,
                        boolean prefixCache, KvCacheType kvCacheType, Speculation speculation, boolean priorities,
                        SpeculativeDraft draft) {
        this(threads, maxSequences, maxBatchTokens, kvMemoryBytes, maxQueue, requestTimeout, dispatch, reasoning,
                prefixCache, kvCacheType, speculation, priorities, draft, null);
    }

    /** No draft model: speculation, where on, proposes by prompt lookup. */
    public EngineConfig(int threads, int maxSequences, int maxBatchTokens, long kvMemoryBytes, int maxQueue,
                        Duration requestTimeout, DispatchConfig dispatch, ReasoningFormat reasoning,
                        boolean prefixCache, KvCacheType kvCacheType, Speculation speculation, boolean priorities) {
        this(threads, maxSequences, maxBatchTokens, kvMemoryBytes, maxQueue, requestTimeout, dispatch, reasoning,
                prefixCache, kvCacheType, speculation, priorities, null, null);
    }

    /** First come, first served, the default. */
    public EngineConfig(int threads, int maxSequences, int maxBatchTokens, long kvMemoryBytes, int maxQueue,
                        Duration requestTimeout, DispatchConfig dispatch, ReasoningFormat reasoning, boolean prefixCache,
                        KvCacheType kvCacheType, Speculation speculation) {
        this(threads, maxSequences, maxBatchTokens, kvMemoryBytes, maxQueue, requestTimeout, dispatch, reasoning,
                prefixCache, kvCacheType, speculation, false);
    }

    /** Reasoning apart ({@link ReasoningFormat#AUTO}) and prefixes reused, the defaults. */
    public EngineConfig(int threads, int maxSequences, int maxBatchTokens, long kvMemoryBytes, int maxQueue,
                        Duration requestTimeout, DispatchConfig dispatch) {
        this(threads, maxSequences, maxBatchTokens, kvMemoryBytes, maxQueue, requestTimeout, dispatch, ReasoningFormat.AUTO);
    }

    /** Prefixes reused, the default. */
    public EngineConfig(int threads, int maxSequences, int maxBatchTokens, long kvMemoryBytes, int maxQueue,
                        Duration requestTimeout, DispatchConfig dispatch, ReasoningFormat reasoning) {
        this(threads, maxSequences, maxBatchTokens, kvMemoryBytes, maxQueue, requestTimeout, dispatch, reasoning, true);
    }

    /** An F16 KV cache, the default. */
    public EngineConfig(int threads, int maxSequences, int maxBatchTokens, long kvMemoryBytes, int maxQueue,
                        Duration requestTimeout, DispatchConfig dispatch, ReasoningFormat reasoning, boolean prefixCache) {
        this(threads, maxSequences, maxBatchTokens, kvMemoryBytes, maxQueue, requestTimeout, dispatch, reasoning,
                prefixCache, KvCacheType.F16);
    }

    /** No speculative decoding, the default. */
    public EngineConfig(int threads, int maxSequences, int maxBatchTokens, long kvMemoryBytes, int maxQueue,
                        Duration requestTimeout, DispatchConfig dispatch, ReasoningFormat reasoning, boolean prefixCache,
                        KvCacheType kvCacheType) {
        this(threads, maxSequences, maxBatchTokens, kvMemoryBytes, maxQueue, requestTimeout, dispatch, reasoning,
                prefixCache, kvCacheType, Speculation.NONE);
    }

    public EngineConfig {
        Objects.requireNonNull(reasoning, "reasoning");
        Objects.requireNonNull(speculation, "speculation");
        Objects.requireNonNull(kvCacheType, "kvCacheType");
        adapters = List.copyOf(adapters);
        require(threads >= 1, "--threads must be at least 1, got " + threads);
        require(maxSequences >= 1, "--max-seqs must be at least 1, got " + maxSequences);
        require(stateCheckpoints >= 0, "--state-checkpoints must not be negative, got " + stateCheckpoints);
        require(maxBatchTokens >= maxSequences, "--max-batch-tokens (" + maxBatchTokens
                + ") must be at least --max-seqs (" + maxSequences + "): a step holds one decode token of every sequence");
        require(!dispatch.capacityLimited() || maxBatchTokens >= dispatch.window(), "--max-batch-tokens ("
                + maxBatchTokens + ") must be at least --capacity-window (" + dispatch.window() + ")");
        require(maxQueue >= 1, "--max-queue must be at least 1, got " + maxQueue);
        require(!requestTimeout.isNegative(), "--request-timeout must not be negative");
        require(draft == null || speculation.enabled(), "--draft-model proposes tokens for speculative decoding: "
                + "--speculative-tokens must be at least 1");
    }

    /** This configuration with {@code draft} as the draft model (null: none). */
    public EngineConfig withDraft(SpeculativeDraft draft) {
        return new EngineConfig(threads, maxSequences, maxBatchTokens, kvMemoryBytes, maxQueue, requestTimeout, dispatch,
                reasoning, prefixCache, kvCacheType, speculation, priorities, draft, pooling, adapters, stateCheckpoints);
    }

    /** This configuration with embeddings pooled as {@code pooling} says (null: as the model file says). */
    public EngineConfig withPooling(Pooling pooling) {
        return new EngineConfig(threads, maxSequences, maxBatchTokens, kvMemoryBytes, maxQueue, requestTimeout, dispatch,
                reasoning, prefixCache, kvCacheType, speculation, priorities, draft, pooling, adapters, stateCheckpoints);
    }

    /** This configuration serving the LoRA adapters {@code adapters}, numbered in this order. */
    public EngineConfig withAdapters(List<AdapterSpec> adapters) {
        return new EngineConfig(threads, maxSequences, maxBatchTokens, kvMemoryBytes, maxQueue, requestTimeout, dispatch,
                reasoning, prefixCache, kvCacheType, speculation, priorities, draft, pooling, adapters, stateCheckpoints);
    }

    /** This configuration keeping {@code count} recurrent states for prefix reuse ({@link #stateCheckpoints}). */
    public EngineConfig withStateCheckpoints(int count) {
        return new EngineConfig(threads, maxSequences, maxBatchTokens, kvMemoryBytes, maxQueue, requestTimeout, dispatch,
                reasoning, prefixCache, kvCacheType, speculation, priorities, draft, pooling, adapters, count);
    }

    /** The default rows per step: enough for a long prompt chunk, every sequence and a capacity window. */
    public static int defaultBatchTokens(int maxSequences, DispatchConfig dispatch) {
        return Math.max(Math.max(512, maxSequences), dispatch.window());
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }
}
