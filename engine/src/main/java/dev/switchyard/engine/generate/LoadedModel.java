package dev.switchyard.engine.generate;

import dev.switchyard.engine.forward.AdapterWeights;
import dev.switchyard.engine.forward.ExpertOffload;
import dev.switchyard.engine.forward.ModelWeights;
import dev.switchyard.engine.forward.OffloadedExperts;
import dev.switchyard.engine.forward.Transformer;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.kv.KvCache;
import dev.switchyard.engine.kv.PagedKvCache;
import dev.switchyard.engine.kv.StateCheckpoints;
import dev.switchyard.engine.kv.WindowedKvCache;
import dev.switchyard.engine.lora.LoraAdapter;
import dev.switchyard.engine.model.StateMixer;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.model.ModelConfigReader;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.schedule.DraftModel;
import dev.switchyard.engine.schedule.Scheduler;
import dev.switchyard.engine.schedule.SchedulerObserver;
import dev.switchyard.engine.schedule.Speculation;
import dev.switchyard.engine.tokenizer.Tokenizer;
import dev.switchyard.engine.tokenizer.Tokenizers;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.KvCacheType;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToIntFunction;

/**
 * A GGUF model ready to run on a backend: the mapped file, its configuration, tokenizer, weights,
 * a transformer sized for the given step and a paged KV cache. Closing it unmaps the file.
 */
public final class LoadedModel implements AutoCloseable {

    /** Positions per KV block. */
    public static final int KV_BLOCK_SIZE = 16;

    private final GgufFile file;
    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final Transformer transformer;
    private final KvCache kv;
    private final OffloadedExperts offloaded; // null: experts used in place
    private StateCheckpoints checkpoints;     // null: no recurrent states saved
    private final ModelWeights weights;
    private final Backend backend;
    private final List<LoraAdapter> adapters = new ArrayList<>();
    private final List<AdapterWeights> adapterWeights = new ArrayList<>();

    private LoadedModel(GgufFile file, ModelConfig config, Tokenizer tokenizer, Transformer transformer, KvCache kv,
                        OffloadedExperts offloaded, ModelWeights weights, Backend backend) {
        this.file = file;
        this.config = config;
        this.tokenizer = tokenizer;
        this.transformer = transformer;
        this.kv = kv;
        this.offloaded = offloaded;
        this.weights = weights;
        this.backend = backend;
    }

    /**
     * @param maxStepTokens tokens one step may carry (prompt chunk size)
     * @param maxSequences  sequences that may run at once
     * @param kvPositions   KV positions to provision in all (e.g. sequences x their longest length);
     *                      0 or less: every sequence may grow to the model's full context
     */
    public static LoadedModel open(Path path, Backend backend, int maxStepTokens, int maxSequences, int kvPositions)
            throws IOException {
        return open(path, backend, maxStepTokens, maxSequences, kvPositions, null);
    }

    /** As above, with capacity-aware dispatch ({@code null}: dropless). */
    public static LoadedModel open(Path path, Backend backend, int maxStepTokens, int maxSequences, int kvPositions,
                                   DispatchConfig dispatch) throws IOException {
        return open(path, backend, maxStepTokens, maxSequences, config -> kvPositions, dispatch);
    }

    /**
     * As above, with the KV positions to provision worked out from the model's configuration (e.g.
     * from a memory budget and {@link #kvBytesPerPosition}).
     */
    public static LoadedModel open(Path path, Backend backend, int maxStepTokens, int maxSequences,
                                   ToIntFunction<ModelConfig> kvPositionsFor, DispatchConfig dispatch) throws IOException {
        return open(path, backend, maxStepTokens, maxSequences, kvPositionsFor, dispatch, null);
    }

    /** As above, with routed experts offloaded to a device tier ({@code offload} null: used in place). */
    public static LoadedModel open(Path path, Backend backend, int maxStepTokens, int maxSequences,
                                   ToIntFunction<ModelConfig> kvPositionsFor, DispatchConfig dispatch,
                                   ExpertOffload offload) throws IOException {
        return open(path, backend, maxStepTokens, maxSequences, kvPositionsFor, dispatch, offload, KvCacheType.F32);
    }

    /**
     * As above, the KV cache storing keys and values as {@code kvType} says (the shorter forms keep
     * them as float32, exactly as computed).
     */
    public static LoadedModel open(Path path, Backend backend, int maxStepTokens, int maxSequences,
                                   ToIntFunction<ModelConfig> kvPositionsFor, DispatchConfig dispatch,
                                   ExpertOffload offload, KvCacheType kvType) throws IOException {
        GgufFile file = GgufFile.open(path);
        OffloadedExperts offloaded = null;
        try {
            ModelConfig config = ModelConfigReader.read(file.metadata());
            // the reader takes the vocabulary size from tokenizer.ggml.tokens, which the tokenizer requires
            Tokenizer tokenizer = Tokenizers.fromMetadata(file.metadata());
            // offloaded experts stay on the host until the residency cache copies them in
            ModelWeights weights = ModelWeights.load(config, file, backend, offload == null);
            int kvPositions = kvPositionsFor.applyAsInt(config);
            if (kvPositions <= 0) {
                kvPositions = Math.multiplyExact(maxSequences, config.contextLength());
            }
            int blocks = Math.max(maxSequences, (kvPositions + KV_BLOCK_SIZE - 1) / KV_BLOCK_SIZE + maxSequences);
            DispatchConfig moe = dispatch != null ? dispatch : DispatchConfig.defaults(config.normalizeTopK());
            int windowBlocks = windowKvBlocks(config, maxSequences, maxStepTokens);
            Transformer transformer = new Transformer(weights, backend, maxStepTokens, maxSequences, blocks, windowBlocks,
                    KV_BLOCK_SIZE, moe, kvType);
            KvCache kv = windowBlocks > 0
                    ? new WindowedKvCache(blocks, windowBlocks, KV_BLOCK_SIZE, maxSequences, config.windowPoolReach())
                    : new PagedKvCache(blocks, KV_BLOCK_SIZE, maxSequences);
            if (offload != null) {
                offloaded = OffloadedExperts.open(config, file, backend, offload, maxStepTokens);
                transformer.offloadExperts(offloaded);
            }
            return new LoadedModel(file, config, tokenizer, transformer, kv, offloaded, weights, backend);
        } catch (RuntimeException e) {
            if (offloaded != null) {
                offloaded.close();
            }
            file.close();
            throw e;
        }
    }

    /**
     * Bytes of keys and values one position of one sequence takes in a cache of {@code type}, in the
     * pool that grows with each sequence: every attention layer's, but for the windowed layers where
     * they are kept apart ({@link #windowKvBytes}).
     */
    public static long kvBytesPerPosition(ModelConfig config, KvCacheType type) {
        return config.fullKvBlocks() * layerKvBytesPerPosition(config, type);
    }

    /**
     * Bytes one position takes in the windowed pool (0 where there is none): the windowed layers'
     * keys and values where they are kept apart, and each convolution block's float row.
     */
    public static long windowedKvBytesPerPosition(ModelConfig config, KvCacheType type) {
        long windowed = config.keepsWindowedKvApart() ? config.windowedBlocks() * windowLayerKvBytesPerPosition(config, type) : 0;
        return windowed + (long) config.convolution().count()
                * KvCacheType.F32.rowBytes(config.convolution().width(config.dim()), 1);
    }

    private static long layerKvBytesPerPosition(ModelConfig config, KvCacheType type) {
        return type.rowBytes(config.kvDimK(), config.kvHeadCount())
                + type.rowBytes(config.cachedValueDim(), config.kvHeadCount());
    }

    /** A windowed layer's share, of its own KV heads where it has them (MiMo-V2). */
    private static long windowLayerKvBytesPerPosition(ModelConfig config, KvCacheType type) {
        int heads = config.windowKvHeadCount();
        return type.rowBytes(heads * config.headDimK(), heads) + type.rowBytes(heads * config.headDimV(), heads);
    }

    /**
     * Blocks of the windowed pool (the windowed layers' keys and values where they are kept apart,
     * and LFM2's convolution rows), enough for every sequence's window and a step's new positions
     * ({@link WindowedKvCache#blocksFor}); 0 where the model has no such pool.
     */
    public static int windowKvBlocks(ModelConfig config, int maxSequences, int maxStepTokens) {
        return config.usesWindowPool()
                ? WindowedKvCache.blocksFor(config.windowPoolReach(), KV_BLOCK_SIZE, maxSequences, maxStepTokens)
                : 0;
    }

    /** Bytes the windowed pool takes, whatever the sequences' lengths; 0 where there is none. */
    public static long windowKvBytes(ModelConfig config, KvCacheType type, int maxSequences, int maxStepTokens) {
        return (long) windowKvBlocks(config, maxSequences, maxStepTokens) * KV_BLOCK_SIZE
                * windowedKvBytesPerPosition(config, type);
    }

    public GgufFile file() {
        return file;
    }

    public ModelConfig config() {
        return config;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public Transformer transformer() {
        return transformer;
    }

    /**
     * Turns prefix caching on or off: sequences then take the KV blocks the cache still holds for
     * their first tokens instead of computing them again ({@link PagedKvCache}). Off by default, so
     * that benchmarks measure what they compute; call before any sequence runs. It stays off for a
     * model whose blocks carry a recurrent state ({@link ModelConfig#carriesRecurrentState}): a cached
     * prefix's keys and values would come without the state its sequence had there.
     *
     * @return whether prefixes are reused now
     */
    public boolean reusePrefixes(boolean on) {
        boolean reuse = on && (!config.carriesRecurrentState() || transformer.stateCheckpoints() > 0);
        kv.setPrefixCaching(reuse);
        return reuse;
    }

    /**
     * Keeps {@code count} saved recurrent states for prefix reuse ({@link StateCheckpoints}), where the
     * model carries a state (else nothing): prefix caching then works for it too, a prompt's state saved
     * where its last whole block ends and taken back by a later sequence that starts the same way.
     * Call before any sequence runs and before {@link #reusePrefixes}.
     */
    public void keepStateCheckpoints(int count) {
        if (count <= 0 || !config.carriesRecurrentState()) {
            return;
        }
        transformer.keepStateCheckpoints(count);
        checkpoints = new StateCheckpoints(count, new StateCheckpoints.Copier() {
            @Override
            public void save(int sequence, int checkpoint) {
                transformer.saveState(sequence, checkpoint);
            }

            @Override
            public void restore(int checkpoint, int sequence, int positions) {
                transformer.restoreState(checkpoint, sequence, positions);
            }
        });
        ((WindowedKvCache) kv).keepStates(checkpoints);
    }

    /** The saved recurrent states ({@link #keepStateCheckpoints}), or null where none are kept. */
    public StateCheckpoints stateCheckpoints() {
        return checkpoints;
    }

    /**
     * Bytes of recurrent state one sequence slot (or one saved checkpoint) takes: every recurrent
     * block's float32 state (Qwen3.5's delta net, Granite 4.0-H's Mamba2), whatever the sequence's
     * length; 0 for a model without one.
     */
    public static long recurrentStateBytes(ModelConfig config) {
        StateMixer mixer = config.convolution().mixer();
        return mixer == null ? 0 : config.convolution().count() * mixer.stateFloats() * Float.BYTES;
    }

    public KvCache kv() {
        return kv;
    }

    /**
     * Loads LoRA adapters that sequences may then apply ({@link GenerationRequest#adapters()}),
     * numbered after those loaded (and unloaded) before, in this order. Call before any sequence
     * runs, or between steps on the scheduler's thread ({@link Scheduler#betweenSteps}). All or
     * nothing: where one adapter cannot be applied to this model, none of these is loaded.
     *
     * @throws dev.switchyard.engine.lora.LoraAdapterException if one is not a LoRA adapter for this model
     * @throws IOException                                     if one cannot be read
     */
    public List<LoraAdapter> loadAdapters(List<Path> paths) throws IOException {
        List<LoraAdapter> opened = new ArrayList<>();
        List<AdapterWeights> loaded = new ArrayList<>();
        try {
            for (Path path : paths) {
                LoraAdapter adapter = LoraAdapter.open(path, file);
                opened.add(adapter);
                loaded.add(AdapterWeights.load(adapter, weights, backend));
            }
        } catch (IOException | RuntimeException e) {
            opened.forEach(LoraAdapter::close);
            throw e;
        }
        List<AdapterWeights> all = new ArrayList<>(adapterWeights);
        all.addAll(loaded);
        transformer.useAdapters(all);
        adapters.addAll(opened);
        adapterWeights.addAll(loaded);
        return List.copyOf(opened);
    }

    /** The LoRA adapters, by number; null where one was unloaded. */
    public List<LoraAdapter> adapters() {
        return java.util.Collections.unmodifiableList(new ArrayList<>(adapters));
    }

    /**
     * Unloads LoRA adapter {@code id}: its number is never given again, and no sequence may apply it
     * from now on. Between steps on the scheduler's thread, where no sequence applies it
     * ({@link dev.switchyard.engine.schedule.Scheduler#sequencesApplying}).
     *
     * @throws IllegalArgumentException if no adapter of that number is loaded
     */
    public void unloadAdapter(int id) {
        if (id < 0 || id >= adapters.size() || adapters.get(id) == null) {
            throw new IllegalArgumentException("no LoRA adapter " + id + " is loaded");
        }
        adapterWeights.set(id, null);
        transformer.useAdapters(adapterWeights);
        // the backend's weights may be views on its mapping: closed once no step can read them
        adapters.set(id, null).close();
    }

    /** The offloaded experts and their residency figures, or null when experts are used in place. */
    public OffloadedExperts offloadedExperts() {
        return offloaded;
    }

    /** A generator over this model's transformer and cache (one at a time, and not beside a scheduler). */
    public BatchGenerator generator() {
        return new BatchGenerator(transformer, kv, tokenizer::isEog);
    }

    /** A generator that decodes speculatively, reporting what it proposed and kept to {@code observer}. */
    public BatchGenerator generator(Speculation speculation, SchedulerObserver observer) {
        return generator(speculation, observer, null);
    }

    /** As above, with proposals from {@code draft} (null: prompt lookup). */
    public BatchGenerator generator(Speculation speculation, SchedulerObserver observer, DraftModel draft) {
        return new BatchGenerator(transformer, kv, tokenizer::isEog, speculation, observer, draft);
    }

    /**
     * This model as the draft of {@code target}'s speculative decoding: its transformer and cache,
     * proposing tokens the draft gives at least {@code minProbability}.
     *
     * @throws IllegalArgumentException if the vocabularies differ (a token's text, or a draft id the
     *                                  target lacks), or this model follows fewer sequences
     */
    public DraftModel asDraftOf(LoadedModel target, double minProbability) {
        Tokenizer theirs = target.tokenizer();
        if (tokenizer.vocabSize() > theirs.vocabSize()) {
            throw new IllegalArgumentException("the draft model's vocabulary has " + tokenizer.vocabSize()
                    + " tokens, more than the model's " + theirs.vocabSize() + ": a draft must share its vocabulary");
        }
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            if (!java.util.Arrays.equals(tokenizer.pieceBytes(id, true), theirs.pieceBytes(id, true))) {
                throw new IllegalArgumentException("the draft model's vocabulary differs from the model's: token " + id
                        + " is '" + tokenizer.tokenText(id) + "' in the draft and '" + theirs.tokenText(id)
                        + "' in the model; a draft must share its vocabulary");
            }
        }
        if (transformer.maxSequences() < target.transformer().maxSequences()) {
            throw new IllegalArgumentException("the draft model follows " + transformer.maxSequences()
                    + " sequences, fewer than the model's " + target.transformer().maxSequences());
        }
        return new DraftModel(transformer, kv, Math.min(theirs.vocabSize(), target.config().vocabSize()),
                minProbability);
    }

    /**
     * A serving scheduler over this model's transformer and cache, with its own thread. Close it
     * before the model.
     */
    public Scheduler scheduler(int maxQueue, SchedulerObserver observer) {
        return scheduler(maxQueue, observer, Speculation.NONE);
    }

    /** As above, decoding speculatively ({@link Speculation}). */
    public Scheduler scheduler(int maxQueue, SchedulerObserver observer, Speculation speculation) {
        return scheduler(maxQueue, observer, speculation, null);
    }

    /** As above, with proposals from {@code draft} (null: prompt lookup); close the scheduler before the draft. */
    public Scheduler scheduler(int maxQueue, SchedulerObserver observer, Speculation speculation, DraftModel draft) {
        return new Scheduler(transformer, kv, tokenizer::isEog, maxQueue, observer, speculation, draft);
    }

    @Override
    public void close() {
        transformer.close();
        if (offloaded != null) {
            offloaded.close();
        }
        adapters.stream().filter(java.util.Objects::nonNull).forEach(LoraAdapter::close);
        file.close();
    }
}
