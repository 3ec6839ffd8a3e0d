package dev.switchyard.engine.forward;

import dev.switchyard.cache.residency.ExpertResidency;
import dev.switchyard.cache.residency.Resident;
import dev.switchyard.engine.kv.KvCache;
import dev.switchyard.engine.lora.LoraTarget;
import dev.switchyard.engine.model.Architecture;
import dev.switchyard.engine.model.DeltaNet;
import dev.switchyard.engine.model.ExpertRouting;
import dev.switchyard.engine.model.LatentAttention;
import dev.switchyard.engine.model.LayerPattern;
import dev.switchyard.engine.model.Mamba2;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.model.RopeScaling;
import dev.switchyard.engine.model.ScaleFactors;
import dev.switchyard.engine.model.StateMixer;
import dev.switchyard.engine.moe.CapacityGroups;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.moe.DispatchPlan;
import dev.switchyard.engine.moe.DispatchStats;
import dev.switchyard.engine.moe.ExpertLoadObserver;
import dev.switchyard.kernels.AttentionBatch;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.ExpertFfnForm;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvStorage;
import dev.switchyard.kernels.RecurrentStates;
import dev.switchyard.kernels.RopeSpec;
import dev.switchyard.kernels.TopKRouting;
import dev.switchyard.kernels.Weight;
import java.util.Arrays;
import java.util.List;

/**
 * The forward pass of every supported family, one step at a time: a {@link StepBatch} of tokens
 * from any number of sequences in, the logits of the tokens that asked for them out.
 *
 * <p>Families differ only at a few named points (attention biases, QK-norm, RoPE layout, routed vs
 * dense FFN per block, shared expert), all taken from the {@link ModelConfig}; the step reads top
 * to bottom as the model computes. Everything about experts (routing observers, load metrics, the
 * residency cache, prefetching) numbers the blocks that route as routed layers from 0
 * ({@link ModelConfig#routedLayers()}), so leading dense blocks take no part in it. Nothing is allocated per step: buffers are sized once for the largest step.
 * Not thread-safe: one step at a time per instance.
 */
public final class Transformer implements AutoCloseable {

    private final ModelConfig config;
    private final ModelWeights weights;
    private final Backend backend;
    /** Whether the backend routes on the device, every routed layer's rule included. */
    private final boolean deviceRouting;
    /** Whether this step's MoE layers routed on the device (then every layer did: the choice is per step). */
    private boolean routedOnDevice;
    /** The chosen experts of every routed layer of a step routed on the device, read back for the load observer. */
    private final int[] routedExperts;
    private final KvStorage kvStorage;
    /** The windowed layers' keys and values where they are kept apart (null: they share {@link #kvStorage}). */
    private final KvStorage windowStorage;
    /** The convolution blocks' rows (B * x per position, in the window pool's blocks; null: none). */
    private final KvStorage convStorage;
    /**
     * The delta-net blocks' per-sequence states (Qwen3.5; null: none), numbered as their convolution
     * rows: slots 0..maxSequences-1 the running sequences', the rest saved checkpoints.
     */
    private RecurrentStates states;
    private final RecurrentProgress progress;
    /** Slots of {@link #states} past the running sequences': saved checkpoints, then speculation's. */
    private int checkpointSlots;
    private int speculationSlots;
    /** Each layer's index within the storage that holds it. */
    private final int[] storageLayer;
    private final StepBuffers buf;
    private final RopeSpec rope;
    private final RopeSpec windowRope; // the windowed blocks' own base where they have one (MiMo-V2), else rope
    private final float[] valueScales; // MiMo-V2's attention output scale, a copy per row; null where 1
    private final int maxTokens;
    private final int maxSequences;

    // host-side scratch for routing
    private final float[] routerRow;
    private final float[] routerProbabilities;
    private final ExpertSelector selector;
    /** Whether some layer ranks experts with a selection bias. */
    private final boolean selectionBiased;
    /** Each routed layer's expert FFN as the device-routed experts take it (gpt-oss: biases, clamped SwiGLU). */
    private final ExpertFfnForm[] expertForms;
    /** Each routed layer's routing as the device-routed experts take it: the model's rule, the layer's own bias. */
    private final TopKRouting[] deviceRoutings;
    private final int[] chosenExperts;
    private final float[] chosenWeights;
    private final ExpertBuckets buckets;
    private final int[] expertRows;
    private final float[] expertWeights;
    private final boolean[] onHost; // hybrid execution: per expert, whether this layer computes it on the host

    // capacity-aware dispatch (null when dropless)
    private final DispatchConfig dispatch;
    private final DispatchPlan plan;
    private final CapacityGroups groups;
    private final float[] stepProbabilities;
    private final float[] stepSelection; // what ranks experts where that is not the probabilities (DeepSeek-V3)

    // per-layer expert load for metrics (null: nobody listens)
    private volatile ExpertLoadObserver loadObserver;
    private final int[] tokensPerExpert;
    // who watches routing (routing traces); null almost always
    private RoutingObserver routingObserver;
    // routed experts behind a residency cache; null (the default): used in place from the file
    private OffloadedExperts offloaded;
    private ExpertPrefetcher prefetcher;
    // LoRA adapters the step's rows may apply; null (the default): none loaded
    private LoraStep lora;
    /** The LoRA steps' scratch, by role and width, kept as adapters come and go. */
    private final java.util.Map<Long, FloatMatrix> loraScratch = new java.util.HashMap<>();
    /** The adapters by number (null: unloaded), read by other threads to check requests. */
    private volatile AdapterWeights[] adapterSlots = new AdapterWeights[0];

    // attention bookkeeping
    private final int[] slots;
    private final int[][] blockTables;
    private final AttentionBatch attention;
    // the same for the windowed layers where their keys and values are kept apart (else null)
    private final int[] windowSlots;
    private final int[][] windowTables;
    private final AttentionBatch windowAttention;
    /**
     * Granite's multipliers as the step applies them ({@link ScaleFactors}): rows 0..maxTokens-1 in
     * order, each residual branch's weight (null: added as it is), the extra factor on each token's
     * embedding (null: none), and the final norm's gain over the logit scale, which divides the
     * logits as they are made (the plain gain where there is none; hidden states keep it plain).
     */
    private final int[] inOrder;
    private final float[] residualWeights;
    private final float[] embeddingExtra;
    private final float[] logitNorm;
    /**
     * Llama 4 ({@link LayerPattern}): the weightless gain of its rotated blocks' query and key norms
     * (ones, a head wide; null where they have none), its unrotated blocks' query temperatures by
     * row (null where there are none), and ones by row, the weights its experts' outputs join with
     * once their routing weights have multiplied their inputs (null where they multiply outputs).
     */
    private final float[] unitGain;
    private final float[] temperatures;
    private final float[] unitWeights;
    /** Row 0 for every row: gathering the zero row with these clears a branch's sum (AFMoE). */
    private final int[] zeroRows;
    /** Where the current MoE block's experts add their outputs ({@link #moeSum}). */
    private FloatMatrix sum;
    /** Where this MoE block's routed experts gather their tokens' rows: the normed input, or its latent projection. */
    private FloatMatrix expertSource;

    public Transformer(ModelWeights weights, Backend backend, int maxTokens, int maxSequences, int kvBlocks, int kvBlockSize) {
        this(weights, backend, maxTokens, maxSequences, kvBlocks, kvBlockSize,
                DispatchConfig.defaults(weights.config().normalizeTopK()));
    }

    public Transformer(ModelWeights weights, Backend backend, int maxTokens, int maxSequences, int kvBlocks, int kvBlockSize,
                       DispatchConfig dispatch) {
        this(weights, backend, maxTokens, maxSequences, kvBlocks, kvBlockSize, dispatch, KvCacheType.F32);
    }

    /** As above, the KV cache storing its keys and values as {@code kvType} says. */
    public Transformer(ModelWeights weights, Backend backend, int maxTokens, int maxSequences, int kvBlocks, int kvBlockSize,
                       DispatchConfig dispatch, KvCacheType kvType) {
        this(weights, backend, maxTokens, maxSequences, kvBlocks, 0, kvBlockSize, dispatch, kvType);
    }

    /**
     * As above, with {@code windowKvBlocks} blocks for the layers that attend through a sliding
     * window, kept apart from the {@code kvBlocks} of the others (0: every layer in one pool), to run
     * against a {@link dev.switchyard.engine.kv.WindowedKvCache} of as many.
     */
    public Transformer(ModelWeights weights, Backend backend, int maxTokens, int maxSequences, int kvBlocks,
                       int windowKvBlocks, int kvBlockSize, DispatchConfig dispatch, KvCacheType kvType) {
        this.config = weights.config();
        this.weights = weights;
        this.backend = backend;
        this.maxTokens = maxTokens;
        this.maxSequences = maxSequences;
        this.buf = new StepBuffers(backend, config, maxTokens);
        if (windowKvBlocks < 0 || windowKvBlocks > 0 && !config.usesWindowPool()) {
            throw new IllegalArgumentException(windowKvBlocks + " windowed KV blocks for a model whose "
                    + config.windowedBlocks() + " of " + config.layers() + " blocks attend through a window");
        }
        if (windowKvBlocks == 0 && config.convolution().present()) {
            throw new IllegalArgumentException("the convolution blocks keep their rows in the windowed pool, "
                    + "which needs blocks (LoadedModel.windowKvBlocks)");
        }
        int windowed = windowKvBlocks > 0 && config.keepsWindowedKvApart() ? config.windowedBlocks() : 0;
        if (windowed == 0 && config.windowKvHeadCount() != config.kvHeadCount()) {
            // MiMo-V2: the windowed blocks' keys and values have a head count the full pool's rows do not
            throw new IllegalArgumentException("the windowed blocks' " + config.windowKvHeadCount() + " KV heads are "
                    + "their own, kept in the windowed pool, which needs blocks (LoadedModel.windowKvBlocks)");
        }
        int convolutions = config.convolution().count();
        this.storageLayer = new int[config.layers()];
        for (int l = 0, inWindow = 0, inFull = 0, inConv = 0; l < config.layers(); l++) {
            // Nemotron-H's blocks that run an FFN alone cache nothing
            storageLayer[l] = config.isConvolutionBlock(l) ? inConv++ : !config.attends(l) ? -1
                    : windowed > 0 && config.slidingWindow(l) > 0 ? inWindow++ : inFull++;
        }
        this.kvStorage = backend.allocateKv(config.attentionBlocks() - windowed, kvBlocks, kvBlockSize,
                config.kvHeadCount(), config.kvDimK(), config.cachedValueDim(), kvType);
        KvStorage apart = null;
        KvStorage rows = null;
        RecurrentStates recurrent = null;
        try {
            int windowKv = config.windowKvHeadCount();
            apart = windowed > 0 ? backend.allocateKv(windowed, windowKvBlocks, kvBlockSize, windowKv,
                    windowKv * config.headDimK(), windowKv * config.headDimV(), kvType) : null;
            // the convolution's inputs stay float32 whatever the cache's type, as llama.cpp keeps its state
            rows = convolutions > 0 ? backend.allocateKv(convolutions, windowKvBlocks, kvBlockSize, 1,
                    config.convolution().width(config.dim()), 0, KvCacheType.F32) : null;
            StateMixer mixer = config.convolution().mixer();
            recurrent = mixer != null ? backend.allocateStates(convolutions, maxSequences, mixer.stateHeads(),
                    mixer.stateRows(), mixer.stateColumns()) : null;
        } catch (RuntimeException | Error e) {
            if (rows != null) {
                rows.close();
            }
            if (apart != null) {
                apart.close();
            }
            kvStorage.close();
            throw e;
        }
        this.windowStorage = apart;
        this.convStorage = rows;
        this.states = recurrent;
        this.progress = recurrent != null ? new RecurrentProgress(maxSequences) : null;
        // Qwen3-VL's sections hold some pairs still for text: an infinite divisor, frequency 0
        this.rope = ropeSpec(config).withFactors(
                config.ropeSections().textFactors(weights.ropeFactors(), config.ropeDimensions() / 2));
        this.windowRope = config.windows().stated() ? rope.withBase(config.windows().ropeBase()) : rope;
        this.valueScales = config.valueScale() != 1.0 ? filled(maxTokens, (float) config.valueScale()) : null;
        int experts = Math.max(1, config.expertCount());
        int k = Math.max(1, config.expertUsedCount());
        this.routerRow = new float[experts];
        this.routerProbabilities = new float[experts];
        this.selector = new ExpertSelector(config.routing(), experts);
        this.selectionBiased = weights.hasSelectionBias();
        this.expertForms = new ExpertFfnForm[Math.max(0, config.routedLayers())];
        this.deviceRoutings = new TopKRouting[expertForms.length];
        for (int l = 0; l < expertForms.length; l++) {
            LayerWeights layer = weights.layer(config.blockOfRoutedLayer(l));
            expertForms[l] = config.architecture().squaresRelu() ? ExpertFfnForm.SQUARED_RELU
                    : ExpertFfn.form(layer.expertBiases());
            deviceRoutings[l] = deviceRouting(config, layer.selectionBias());
        }
        this.deviceRouting = backend.routesOnDevice() && Arrays.stream(deviceRoutings).allMatch(backend::routesOnDevice);
        this.chosenExperts = new int[maxTokens * k];
        this.chosenWeights = new float[maxTokens * k];
        this.buckets = new ExpertBuckets(experts, maxTokens * k);
        this.expertRows = new int[maxTokens];
        this.expertWeights = new float[maxTokens];
        this.onHost = new boolean[experts];
        this.tokensPerExpert = new int[experts];
        this.routedExperts = deviceRouting ? new int[Math.max(1, config.routedLayers()) * maxTokens * k] : null;
        this.slots = new int[maxTokens];
        this.blockTables = new int[maxSequences][];
        boolean pooled = windowStorage != null || convStorage != null;
        this.windowSlots = pooled ? new int[maxTokens] : null;
        this.windowTables = pooled ? new int[maxSequences][] : null;
        this.windowAttention = pooled ? new AttentionBatch(config.headCount(), config.windowKvHeadCount(),
                config.headDimK(), config.headDimV(), (float) config.attentionScale()) : null;
        // latent attention reads each position's value (the latent) from its key row, after the rotary part
        this.attention = new AttentionBatch(config.headCount(), config.kvHeadCount(), config.headDimK(),
                config.headDimV(), (float) config.attentionScale(),
                config.latentAttention() != null ? config.ropeDimensions() : -1);
        this.dispatch = dispatch.withNormalizeTopK(config.normalizeTopK());
        boolean capacityLimited = config.isMoe() && this.dispatch.capacityLimited();
        this.plan = capacityLimited ? new DispatchPlan(this.dispatch, experts, k, maxTokens) : null;
        this.groups = capacityLimited ? CapacityGroups.of(this.dispatch, maxTokens) : null;
        this.stepProbabilities = capacityLimited ? new float[maxTokens * experts] : null;
        this.stepSelection = capacityLimited && (selectionBiased || config.routing().groupLimited())
                ? new float[maxTokens * experts] : null;
        ScaleFactors scales = config.scales();
        this.inOrder = new int[maxTokens];
        for (int i = 0; i < maxTokens; i++) {
            inOrder[i] = i;
        }
        this.residualWeights = scales.scalesResiduals() ? filled(maxTokens, (float) scales.residual()) : null;
        // x + (s - 1) x in one fused multiply-add rounds once: exactly x * s
        this.embeddingExtra = scales.embedding() != 1.0 ? filled(maxTokens, (float) (scales.embedding() - 1.0)) : null;
        float[] gain = weights.outputNorm();
        if (scales.logit() != 1.0) {
            gain = gain.clone();
            for (int i = 0; i < gain.length; i++) {
                gain[i] = (float) (gain[i] / scales.logit());
            }
        }
        this.logitNorm = gain;
        LayerPattern pattern = config.pattern();
        this.unitGain = pattern.rotatedQkNorm() ? filled(config.headDimK(), 1f) : null;
        this.temperatures = pattern.hasTemperature() ? new float[maxTokens] : null;
        this.unitWeights = config.architecture().weighsExpertInputs() ? filled(maxTokens, 1f) : null;
        this.zeroRows = new int[config.architecture().normsBranchOutputs() || config.expertLatentWidth() > 0 ? maxTokens : 0];
    }

    private static float[] filled(int n, float value) {
        float[] a = new float[n];
        Arrays.fill(a, value);
        return a;
    }

    /** Adds a residual branch's output {@code branch} to the stream, times the residual scale where the family has one. */
    private void addResidual(FloatMatrix branch, int t) {
        if (residualWeights == null) {
            backend.add(buf.x, branch, t);
        } else {
            backend.scatterAddRows(branch, inOrder, residualWeights, buf.x, t);
        }
    }

    /** Reports each MoE layer's expert loads from now on; null stops the reports. */
    public void setLoadObserver(ExpertLoadObserver observer) {
        this.loadObserver = observer;
    }

    /** How tokens were dispatched to experts, over every step so far (empty when dropless). */
    public DispatchStats dispatchStats() {
        return plan != null ? plan.stats() : new DispatchStats();
    }

    public DispatchConfig dispatchConfig() {
        return dispatch;
    }

    /** Reports every MoE layer's routing to {@code observer} (null: to nobody). */
    public void setRoutingObserver(RoutingObserver observer) {
        this.routingObserver = observer;
    }

    /**
     * Computes routed experts from {@code experts}' device slots from now on, prefetching as its
     * settings say (null: in place again, where the weights hold them). Call between steps.
     */
    public void offloadExperts(OffloadedExperts experts) {
        if (experts == null && !weights.routedExpertsInPlace()) {
            throw new IllegalStateException("this model's routed experts were loaded for offloading only");
        }
        if (experts != null && experts.host() != null && experts.host().maxTokens() < maxTokens) {
            throw new IllegalArgumentException("the host path was sized for steps of " + experts.host().maxTokens()
                    + " tokens, this transformer takes " + maxTokens);
        }
        this.offloaded = experts;
        this.prefetcher = experts != null && experts.settings().predicts()
                ? new ExpertPrefetcher(experts.residency(), experts.settings(), speculativeGate(), config.routedLayers(),
                        config.expertCount(), config.expertUsedCount(), maxTokens)
                : null;
    }

    /**
     * Lets this step's tokens apply {@code adapters} (numbered in this order; see
     * {@link StepBatch#add(int, int, int, boolean, boolean, int, dev.switchyard.engine.lora.LoraMix)}),
     * replacing any set before; an empty list: none. A null entry is a number whose adapter was
     * unloaded: no sequence may apply it. Call between steps.
     */
    public void useAdapters(List<AdapterWeights> adapters) {
        boolean any = adapters.stream().anyMatch(java.util.Objects::nonNull);
        this.lora = any ? new LoraStep(adapters, backend, maxTokens, loraScratch) : null;
        this.adapterSlots = adapters.toArray(AdapterWeights[]::new);
    }

    /** How many LoRA adapter numbers there are, unloaded ones included (any thread). */
    public int adapterCount() {
        return adapterSlots.length;
    }

    /** Whether LoRA adapter {@code id} is loaded (any thread). */
    public boolean adapterLoaded(int id) {
        AdapterWeights[] slots = adapterSlots;
        return id >= 0 && id < slots.length && slots[id] != null;
    }

    /** Whether every adapter {@code mix} applies is loaded (any thread). */
    public boolean adaptersLoaded(dev.switchyard.engine.lora.LoraMix mix) {
        for (int a = 0; a < mix.span(); a++) {
            if (mix.scale(a) != 0 && !adapterLoaded(a)) {
                return false;
            }
        }
        return true;
    }

    /** A gate that applies this model's routers to a hidden state, with scratch of its own. */
    public SpeculativeGate speculativeGate() {
        return new SpeculativeGate(weights, backend, maxTokens);
    }

    static RopeSpec ropeSpec(ModelConfig c) {
        boolean neox = c.architecture().ropeLayout() == Architecture.RopeLayout.NEOX;
        RopeScaling scaling = c.ropeScaling();
        return switch (scaling.type()) {
            case NONE -> new RopeSpec(neox, c.ropeDimensions(), c.ropeFreqBase(), 1.0);
            case LINEAR -> new RopeSpec(neox, c.ropeDimensions(), c.ropeFreqBase(), scaling.factor());
            // llama.cpp's defaults for what a file does not state: betas 32 and 1, the blend at
            // full weight, the original context the model's own when not given. The kernels scale
            // by attnFactor x (1 + 0.1 ln factor); latent attention sets its own magnitude
            // (ModelConfig.latentRopeMagnitude), so it passes what gives that.
            case YARN -> new RopeSpec(neox, c.ropeDimensions(), c.ropeFreqBase(), 1.0,
                    new RopeSpec.Yarn(scaling.factor(), scaling.originalContextLength() > 0
                            ? scaling.originalContextLength() : c.contextLength(), 32, 1, 1,
                            c.latentAttention() != null
                                    ? c.latentRopeMagnitude() / (1.0 + 0.1 * Math.log(scaling.factor()))
                                    : scaling.attnFactor()));
        };
    }

    public ModelConfig config() {
        return config;
    }

    /** How the KV cache stores keys and values. */
    public KvCacheType kvCacheType() {
        return kvStorage.type();
    }

    public int maxTokens() {
        return maxTokens;
    }

    public int maxSequences() {
        return maxSequences;
    }

    /**
     * Makes room for {@code count} saved states beside the running sequences' (see
     * {@link dev.switchyard.engine.kv.StateCheckpoints}), each a sequence's whole state; call before
     * any step. Every running sequence starts again from position 0.
     *
     * @throws IllegalStateException where the model carries no recurrent state
     */
    public void keepStateCheckpoints(int count) {
        checkpointSlots = count;
        reallocateStates();
    }

    /**
     * Makes room for one state per running sequence that {@link #saveBeforeProposals} keeps, so that
     * a step whose proposed tokens the sampler rejects can be taken back ({@link #rewind}): speculative
     * decoding on a model that carries a recurrent state. Call before any step.
     */
    public void keepSpeculationStates() {
        speculationSlots = maxSequences;
        reallocateStates();
    }

    /** Whether {@link #keepSpeculationStates} made room for speculative decoding's states. */
    public boolean keepsSpeculationStates() {
        return speculationSlots > 0;
    }

    private void reallocateStates() {
        if (states == null) {
            throw new IllegalStateException(config.architecture().ggufName() + " carries no recurrent state");
        }
        RecurrentStates wider = backend.allocateStates(states.layers(), maxSequences + checkpointSlots + speculationSlots,
                states.heads(), states.keyDim(), states.valueDim());
        states.close();
        states = wider;
        progress.forgetAll();
    }

    /** Slots of recurrent state in all (running sequences', checkpoints', speculation's); 0 for a model without. */
    public int recurrentStateSlots() {
        return states == null ? 0 : states.sequences();
    }

    /** Saved states beside the running sequences' ({@link #keepStateCheckpoints}). */
    public int stateCheckpoints() {
        return checkpointSlots;
    }

    /** Saves {@code sequence}'s recurrent state as checkpoint {@code checkpoint}. */
    public void saveState(int sequence, int checkpoint) {
        java.util.Objects.checkIndex(sequence, maxSequences);
        backend.copyState(states, sequence, maxSequences + java.util.Objects.checkIndex(checkpoint, checkpointSlots));
    }

    /**
     * Gives {@code sequence} checkpoint {@code checkpoint}'s recurrent state, which stands for its
     * first {@code positions}: its next step goes on from there.
     */
    public void restoreState(int checkpoint, int sequence, int positions) {
        java.util.Objects.checkIndex(sequence, maxSequences);
        backend.copyState(states, maxSequences + java.util.Objects.checkIndex(checkpoint, checkpointSlots), sequence);
        progress.resume(sequence, positions);
    }

    /** Keeps {@code sequence}'s recurrent state as it stands before a step with proposed tokens (see {@link #rewind}). */
    public void saveBeforeProposals(int sequence) {
        backend.copyState(states, sequence, speculationSlot(sequence));
    }

    /**
     * Takes {@code sequence}'s recurrent state back to what {@link #saveBeforeProposals} kept, which
     * stands for its first {@code positions}: the step's kept tokens are then computed again from there.
     */
    public void rewind(int sequence, int positions) {
        backend.copyState(states, speculationSlot(sequence), sequence);
        progress.resume(sequence, positions);
    }

    private int speculationSlot(int sequence) {
        if (speculationSlots == 0) {
            throw new IllegalStateException("no room was made for speculation's states (keepSpeculationStates)");
        }
        return maxSequences + checkpointSlots + java.util.Objects.checkIndex(sequence, maxSequences);
    }

    /**
     * Runs one step. Every token's position must already be reserved in {@code kv}. Writes the
     * logits of the i-th token that asked for them to {@code logits[i]} (length vocab).
     */
    public void step(StepBatch batch, KvCache kv, float[][] logits) {
        int t = batch.tokens;
        if (t == 0) {
            return;
        }
        KvStorage pool = windowStorage != null ? windowStorage : convStorage;
        if (kv.blockSize() != kvStorage.blockSize() || kv.capacityBlocks() > kvStorage.blocks()
                || (kv.windowCapacityBlocks() > 0) != (pool != null)
                || pool != null && kv.windowCapacityBlocks() > pool.blocks()) {
            throw new IllegalArgumentException("KV cache does not match this transformer's storage");
        }
        for (int i = 0; i < t; i++) {
            int seq = batch.sequenceOf[i];
            slots[i] = kv.slot(seq, batch.positionOf[i]);
            blockTables[seq] = kv.blockTable(seq);
        }
        attention.set(t, batch.sequenceOf, batch.positionOf, blockTables);
        if (pool != null) {
            for (int i = 0; i < t; i++) {
                int seq = batch.sequenceOf[i];
                windowSlots[i] = kv.windowSlot(seq, batch.positionOf[i]);
                windowTables[seq] = kv.windowBlockTable(seq);
            }
            windowAttention.set(t, batch.sequenceOf, batch.positionOf, windowTables);
        }

        if (groups != null) {
            // capacity groups depend on the step's tokens alone: build once, use in every layer
            groups.build(t, batch.sequenceOf, batch.positionOf, batch.generated);
        }
        routedOnDevice = false;
        if (lora != null) {
            lora.prepare(batch);
        }
        // token embeddings
        backend.embed(weights.tokenEmbedding(), batch.tokenIds, buf.x, t);
        if (embeddingExtra != null) {
            backend.embed(weights.tokenEmbedding(), batch.tokenIds, buf.projected, t);
            backend.scatterAddRows(buf.projected, inOrder, embeddingExtra, buf.x, t);
        }
        if (progress != null) {
            progress.begin(batch);
        }
        for (int l = 0; l < config.layers(); l++) {
            LayerWeights w = weights.layer(l);
            if (w.deltaNet() != null && w.deltaNet().qkv() == null) {
                deltaAttentionBlock(l, w, w.deltaNet(), batch, t);
            } else if (w.deltaNet() != null) {
                deltaNetBlock(l, w.attnNorm(), w.deltaNet(), batch, t);
            } else if (w.mamba2() != null) {
                mamba2Block(l, w.attnNorm(), w.mamba2(), batch, t);
            } else if (w.convolution() != null) {
                convolutionBlock(l, w.attnNorm(), w.convolution(), t);
            } else if (config.attends(l)) {
                attentionBlock(l, w, batch, attention, t);
            }
            if (config.isRoutedBlock(l)) {
                moeBlock(l, config.routedLayerOf(l), w, batch, t);
            } else if (config.feedsForward(l)) {
                denseFfnBlock(l, w, t);
            }
        }
        // final norm alone for the rows whose hidden states are read (embeddings)
        int h = batch.hiddenCount;
        if (h > 0) {
            backend.gatherRows(buf.x, batch.hiddenRows, buf.logitInput, h);
            backend.rmsNorm(buf.logitInput, weights.outputNorm(), (float) config.rmsEps(), buf.logitInput, h);
            batch.ensureHidden(h, config.dim());
            buf.logitInput.readRows(0, h, batch.hiddenValues);
        }
        // final norm and output head, only for the rows that want logits
        int n = batch.logitCount;
        if (n > 0) {
            backend.gatherRows(buf.x, batch.logitRows, buf.logitInput, n);
            backend.rmsNorm(buf.logitInput, logitNorm, (float) config.rmsEps(), buf.logitInput, n);
            backend.matmul(weights.output(), 0, buf.logitInput, buf.logits, n);
            if (lora != null) {
                lora.applyHead(buf.logitInput, buf.logits, n);
            }
            readLogits(batch, n, logits);
        }
        if (progress != null) {
            progress.complete(batch);
        }
        ExpertLoadObserver observer = loadObserver;
        if (routedOnDevice && observer != null) {
            reportDeviceRouting(observer, t);
        }
    }

    /**
     * The step's logits to the caller: for rows whose sampler is settled by the row's best tokens,
     * those tokens and the row's log-sum (the row stays where it is); the rows themselves for the
     * others, and for any such row the backend could not settle (its sampler reports what is wrong
     * with it).
     */
    private void readLogits(StepBatch batch, int n, float[][] logits) {
        int count = 0;
        for (int i = 0; i < n; i++) {
            count = Math.max(count, batch.candidatesWanted[i]);
        }
        if (count > 0) {
            batch.ensureCandidates(count);
            backend.topRows(buf.logits, n, count, batch.candidatesWanted, batch.candidateIds, batch.candidateValues,
                    batch.candidateLogZ);
        }
        // each run of rows to read comes back in one copy
        for (int i = 0; i < n; ) {
            if (batch.settledByCandidates(i)) {
                i++;
                continue;
            }
            int start = i;
            while (i < n && !batch.settledByCandidates(i)) {
                i++;
            }
            buf.logits.readRows(start, i - start, logits);
        }
    }

    private void attentionBlock(int layer, LayerWeights w, StepBatch batch, AttentionBatch attention, int t) {
        float eps = (float) config.rmsEps();
        // attention rmsnorm
        backend.rmsNorm(buf.x, w.attnNorm(), eps, buf.h, t);
        if (w.latent() != null) {
            latentAttentionBlock(layer, w, batch, attention, t);
            return;
        }
        // MiMo-V2's windowed blocks have KV heads of their own
        int window = config.slidingWindow(layer);
        FloatMatrix keys = window > 0 ? buf.windowK : buf.k;
        FloatMatrix values = window > 0 ? buf.windowV : buf.v;
        int kvHeads = config.kvHeadCount(layer);
        // qkv projections (+ biases in the Qwen2 family); Qwen3.5's queries come with their output gate,
        // per head the query's values and then the gate's
        if (buf.gatedQueries != null) {
            int d = config.headDimK();
            project(w.wq(), LoraTarget.ATTN_Q, layer, buf.h, buf.gatedQueries, t);
            backend.copyColumns(buf.gatedQueries, 0, 2 * d, buf.q, 0, d, d, config.headCount(), t);
            backend.copyColumns(buf.gatedQueries, d, 2 * d, buf.queryGate, 0, d, d, config.headCount(), t);
        } else {
            project(w.wq(), LoraTarget.ATTN_Q, layer, buf.h, buf.q, t);
        }
        project(w.wk(), LoraTarget.ATTN_K, layer, buf.h, keys, t);
        project(w.wv(), LoraTarget.ATTN_V, layer, buf.h, values, t);
        // each where the block has it (GLM-4.5's files may leave any of them out)
        addBiasIfAny(buf.q, w.qBias(), t);
        addBiasIfAny(keys, w.kBias(), t);
        addBiasIfAny(values, w.vBias(), t);
        // QK-norm: per head (Qwen3, GLM-4.5) or over the whole projection (OLMoE); GLM-4.5-Air's files
        // have none; Hunyuan norms after the rotation
        boolean normAfterRope = config.architecture().normsQkAfterRope();
        if (!normAfterRope) {
            normIfAny(buf.q, w.qNorm(), t);
            normIfAny(keys, w.kNorm(), t);
        }
        // RoPE; Llama 4's unrotated blocks instead scale queries by their position's temperature,
        // and its rotated ones norm queries and keys per head, without a weight
        LayerPattern pattern = config.pattern();
        if (pattern.rotates(layer)) {
            RopeSpec turn = window > 0 ? windowRope : rope;
            backend.rope(buf.q, batch.positionOf, config.headCount(), config.headDimK(), turn, t);
            backend.rope(keys, batch.positionOf, kvHeads, config.headDimK(), turn, t);
            if (unitGain != null) {
                backend.rmsNormHeads(buf.q, unitGain, eps, config.headDimK(), t);
                backend.rmsNormHeads(keys, unitGain, eps, config.headDimK(), t);
            }
        } else if (temperatures != null) {
            for (int i = 0; i < t; i++) {
                temperatures[i] = pattern.temperature(batch.positionOf[i]);
            }
            backend.scaleRows(buf.q, temperatures, t);
        }
        if (normAfterRope) {
            normIfAny(buf.q, w.qNorm(), t);
            normIfAny(keys, w.kNorm(), t);
        }
        // cache this step's keys and values, then attend over everything cached so far (over the
        // block's window where it has one, with its sinks: gpt-oss)
        boolean apart = window > 0 && windowStorage != null;
        KvStorage storage = apart ? windowStorage : kvStorage;
        AttentionBatch reads = apart ? windowAttention : attention;
        backend.storeKv(storage, storageLayer[layer], keys, values, apart ? windowSlots : slots, t);
        reads.layer(window, w.sinks());
        int chunk = pattern.chunkOf(layer);
        if (chunk > 0) {
            reads.chunked(chunk); // Llama 4's rotated blocks: within chunks of positions
        }
        backend.attention(buf.q, storage, storageLayer[layer], reads, buf.attention);
        if (w.attentionGate() != null) {
            // AFMoE: the output behind a sigmoid gate of the normed input (into q, which attention is done with)
            backend.matmul(w.attentionGate(), 0, buf.h, buf.q, t);
            backend.sigmoidMul(buf.q, buf.attention, t);
        } else if (buf.queryGate != null) {
            backend.sigmoidMul(buf.queryGate, buf.attention, t);
        }
        // output projection (+ bias: gpt-oss), its norm (AFMoE) and residual
        project(w.wo(), LoraTarget.ATTN_OUTPUT, layer, buf.attention, buf.projected, t);
        addBiasIfAny(buf.projected, w.outputBias(), t);
        branchNormIfAny(buf.projected, w.attentionPostNorm(), t);
        if (valueScales != null) {
            // MiMo-V2 scales its values by attention.value_scale, and so, the projection being linear, the output
            backend.scaleRows(buf.projected, valueScales, t);
        }
        addResidual(buf.projected, t);
    }

    /**
     * LFM2's convolution block: B, C and x from the normed input (one product, then its three column
     * ranges apart), B * x cached at each token's position in the windowed pool, then each token's
     * causal convolution over its last positions' rows there (its own among them), times C,
     * projected back into the residual stream.
     */
    private void convolutionBlock(int layer, float[] norm, ConvolutionWeights c, int t) {
        int d = config.dim();
        backend.rmsNorm(buf.x, norm, (float) config.rmsEps(), buf.h, t);
        project(c.input(), LoraTarget.CONV_IN, layer, buf.h, buf.convProjected, t);
        backend.copyColumns(buf.convProjected, 0, 0, buf.convInputGate, 0, 0, d, 1, t);
        backend.copyColumns(buf.convProjected, d, 0, buf.convOutputGate, 0, 0, d, 1, t);
        backend.copyColumns(buf.convProjected, 2 * d, 0, buf.convInput, 0, 0, d, 1, t);
        backend.mul(buf.convInputGate, buf.convInput, t);
        backend.storeKv(convStorage, storageLayer[layer], buf.convInputGate, null, windowSlots, t);
        backend.shortConv(convStorage, storageLayer[layer], windowAttention, c.taps(), c.length(), buf.convInput);
        backend.mul(buf.convInput, buf.convOutputGate, t);
        project(c.output(), LoraTarget.CONV_OUT, layer, buf.convInput, buf.projected, t);
        addResidual(buf.projected, t);
    }

    /**
     * Qwen3.5's and Qwen3-Next's delta-net block: queries, keys and values from the normed input,
     * cached per position in the windowed pool as LFM2's convolution rows are and convolved over the
     * last positions there, activated by SiLU (x times its sigmoid), then the delta rule on each
     * sequence's state; its output RMS-normed per head, times SiLU of the output gate, projected back.
     */
    private void deltaNetBlock(int layer, float[] norm, DeltaNetWeights n, StepBatch batch, int t) {
        DeltaNet net = config.convolution().deltaNet();
        float eps = (float) config.rmsEps();
        backend.rmsNorm(buf.x, norm, eps, buf.h, t);
        project(n.qkv(), LoraTarget.DELTA_QKV, layer, buf.h, buf.deltaInput, t);
        project(n.gate(), LoraTarget.DELTA_GATE, layer, buf.h, buf.deltaGate, t);
        if (n.betaAlpha() != null) {
            // Qwen3-Next: per key head, its group's betas and then their alphas
            int group = net.valueHeads() / net.keyHeads();
            project(n.betaAlpha(), LoraTarget.DELTA_BETA_ALPHA, layer, buf.h, buf.deltaBetaAlpha, t);
            backend.copyColumns(buf.deltaBetaAlpha, 0, 2 * group, buf.deltaBeta, 0, group, group, net.keyHeads(), t);
            backend.copyColumns(buf.deltaBetaAlpha, group, 2 * group, buf.deltaAlpha, 0, group, group, net.keyHeads(), t);
        } else {
            project(n.beta(), LoraTarget.DELTA_BETA, layer, buf.h, buf.deltaBeta, t);
            project(n.alpha(), LoraTarget.DELTA_ALPHA, layer, buf.h, buf.deltaAlpha, t);
        }
        convolvedDeltaRule(layer, n, net, batch, eps, t);
        backend.siluMul(buf.deltaGate, buf.deltaOut, t);
        project(n.output(), LoraTarget.DELTA_OUT, layer, buf.deltaGate, buf.projected, t);
        addResidual(buf.projected, t);
    }

    /**
     * Kimi-Linear's delta-attention block: queries, keys and values each projected from the normed
     * input (as attention's are named) and set side by side, so that one convolution in the windowed
     * pool convolves each by its own kernel; activated by SiLU; each key channel's decay and the
     * output gate each through a low-rank pair; then the delta rule with a decay per key channel on
     * each sequence's state; its output RMS-normed per head, times the sigmoid (not SiLU) of the
     * gate, projected back.
     */
    private void deltaAttentionBlock(int layer, LayerWeights w, DeltaNetWeights n, StepBatch batch, int t) {
        DeltaNet net = config.convolution().deltaNet();
        int inner = net.valueWidth();
        float eps = (float) config.rmsEps();
        backend.rmsNorm(buf.x, w.attnNorm(), eps, buf.h, t);
        // deltaOut and deltaGate hold each projection on its way into place
        project(w.wq(), LoraTarget.ATTN_Q, layer, buf.h, buf.deltaOut, t);
        backend.copyColumns(buf.deltaOut, 0, 0, buf.deltaInput, 0, 0, inner, 1, t);
        project(w.wk(), LoraTarget.ATTN_K, layer, buf.h, buf.deltaOut, t);
        backend.copyColumns(buf.deltaOut, 0, 0, buf.deltaInput, inner, 0, inner, 1, t);
        project(w.wv(), LoraTarget.ATTN_V, layer, buf.h, buf.deltaOut, t);
        backend.copyColumns(buf.deltaOut, 0, 0, buf.deltaInput, 2 * inner, 0, inner, 1, t);
        backend.matmul(n.alphaDown(), 0, buf.h, buf.deltaLowRank, t);
        backend.matmul(n.alpha(), 0, buf.deltaLowRank, buf.deltaAlpha, t);
        backend.matmul(n.gateDown(), 0, buf.h, buf.deltaLowRank, t);
        backend.matmul(n.gate(), 0, buf.deltaLowRank, buf.deltaGate, t);
        project(n.beta(), LoraTarget.DELTA_BETA, layer, buf.h, buf.deltaBeta, t);
        convolvedDeltaRule(layer, n, net, batch, eps, t);
        backend.sigmoidMul(buf.deltaGate, buf.deltaOut, t);
        project(w.wo(), LoraTarget.ATTN_OUTPUT, layer, buf.deltaOut, buf.projected, t);
        addResidual(buf.projected, t);
    }

    /**
     * What both delta-rule blocks do once their projections are in place: queries, keys and values
     * ({@code buf.deltaInput}) cached per position in the windowed pool, convolved over the last
     * positions there and activated by SiLU; the delta rule on each sequence's state into
     * {@code buf.deltaOut}, RMS-normed per head.
     */
    private void convolvedDeltaRule(int layer, DeltaNetWeights n, DeltaNet net, StepBatch batch, float eps, int t) {
        backend.storeKv(convStorage, storageLayer[layer], buf.deltaInput, null, windowSlots, t);
        backend.shortConv(convStorage, storageLayer[layer], windowAttention, n.taps(), n.length(), buf.deltaConvolved);
        backend.copyColumns(buf.deltaConvolved, 0, 0, buf.deltaInput, 0, 0, net.convolvedWidth(), 1, t);
        backend.sigmoidMul(buf.deltaConvolved, buf.deltaInput, t);
        backend.gatedDeltaNet(states, storageLayer[layer], batch.sequenceOf, batch.positionOf, buf.deltaInput,
                buf.deltaBeta, buf.deltaAlpha, n.dtBias(), n.decay(), net.keyHeads(), net.tiledHeads(), eps, buf.deltaOut, t);
        backend.rmsNormHeads(buf.deltaOut, n.norm(), eps, net.stateSize(), t);
    }

    /**
     * Granite 4.0-H's Mamba2 block: the gate z, the channels x with the groups' inputs B and outputs
     * C, and each head's step from the normed input; x, B and C cached per position in the windowed
     * pool as the delta net's inputs are, convolved over the last positions there, biased and
     * activated by SiLU; then the selective scan on each sequence's state, with each head's skip;
     * its output times SiLU of the gate, RMS-normed per group, projected back.
     */
    private void mamba2Block(int layer, float[] norm, Mamba2Weights n, StepBatch batch, int t) {
        Mamba2 scan = config.convolution().mamba2();
        float eps = (float) config.rmsEps();
        backend.rmsNorm(buf.x, norm, eps, buf.h, t);
        backend.matmul(n.gate(), 0, buf.h, buf.deltaGate, t);
        backend.matmul(n.convolved(), 0, buf.h, buf.deltaInput, t);
        backend.matmul(n.step(), 0, buf.h, buf.deltaAlpha, t);
        backend.storeKv(convStorage, storageLayer[layer], buf.deltaInput, null, windowSlots, t);
        backend.shortConv(convStorage, storageLayer[layer], windowAttention, n.taps(), n.length(), buf.deltaConvolved);
        addBiasIfAny(buf.deltaConvolved, n.convBias(), t);
        backend.copyColumns(buf.deltaConvolved, 0, 0, buf.deltaInput, 0, 0, scan.convolvedWidth(), 1, t);
        backend.sigmoidMul(buf.deltaConvolved, buf.deltaInput, t);
        backend.selectiveScan(states, storageLayer[layer], batch.sequenceOf, batch.positionOf, buf.deltaInput,
                buf.deltaAlpha, n.dtBias(), n.decay(), n.skip(), scan.groups(), buf.deltaOut, t);
        backend.siluMul(buf.deltaGate, buf.deltaOut, t);
        backend.rmsNormHeads(buf.deltaGate, n.norm(), eps, scan.innerWidth() / scan.groups(), t);
        project(n.output(), LoraTarget.DELTA_OUT, layer, buf.deltaGate, buf.projected, t);
        addResidual(buf.projected, t);
    }

    /** Whether this step's rows apply LoRA adapters of routed experts. */
    private boolean expertsAdapted() {
        return lora != null && lora.adaptsExperts();
    }

    /** The LoRA step, pointed at routed expert {@code e} of block {@code block} and its rows; null where no row adapts experts. */
    private LoraStep expertLora(int block, int e, int n) {
        if (!expertsAdapted()) {
            return null;
        }
        lora.expert(block, e, expertRows, n);
        return lora;
    }

    /** {@code out = W x}, plus the share of each LoRA adapter on {@code target} that the step's rows apply. */
    private void project(Weight w, LoraTarget target, int layer, FloatMatrix in, FloatMatrix out, int t) {
        backend.matmul(w, 0, in, out, t);
        if (lora != null) {
            lora.apply(target, layer, in, out);
        }
    }

    private void addBiasIfAny(FloatMatrix x, float[] bias, int t) {
        if (bias != null) {
            backend.addBias(x, bias, t);
        }
    }

    private void normIfAny(FloatMatrix x, float[] gamma, int t) {
        if (gamma == null) {
            return;
        }
        float eps = (float) config.rmsEps();
        switch (config.architecture().qkNorm()) {
            case PER_HEAD -> backend.rmsNormHeads(x, gamma, eps, config.headDimK(), t);
            case WHOLE_VECTOR -> backend.rmsNorm(x, gamma, eps, x, t);
            case NONE -> { }
        }
    }

    /**
     * Multi-head latent attention (DeepSeek-V2) in its absorbed form, as one key/value head over
     * the cached latent: each head's non-rotary query is carried into latent space by its key
     * decompression ({@code attn_k_b}), so scores are taken against the latent itself and no head's
     * keys or values are ever expanded; each head's output, a mix of latents, is decompressed by
     * {@code attn_v_b} afterwards, each for all heads in one op ({@link Backend#matmulHeads}). Query
     * and key rows are laid out rotary part first, so the one rope op rotates them in place. Reads
     * {@code buf.h} (the normed input).
     */
    private void latentAttentionBlock(int layer, LayerWeights w, StepBatch batch, AttentionBatch attention, int t) {
        LatentAttentionWeights a = w.latent();
        LatentAttentionBuffers lb = buf.latent;
        LatentAttention shape = config.latentAttention();
        float eps = (float) config.rmsEps();
        int heads = config.headCount();
        int rotary = config.ropeDimensions();
        int nope = shape.nopeLength(rotary);
        int kvRank = shape.kvLoraRank();
        int cached = config.headDimK(); // rotary + kvRank: a head's row in the assembled queries and the key
        // queries: straight or through the normed low-rank path; per head, non-rotary then rotary
        if (a.queryDown() != null) {
            project(a.queryDown(), LoraTarget.ATTN_Q_A, layer, buf.h, lb.queryLatent, t);
            backend.rmsNorm(lb.queryLatent, a.queryNorm(), eps, lb.queryLatent, t);
            project(a.queryUp(), LoraTarget.ATTN_Q_B, layer, lb.queryLatent, lb.queries, t);
        } else {
            project(w.wq(), LoraTarget.ATTN_Q, layer, buf.h, lb.queries, t);
        }
        // the latent (normed: these are the values) and the shared rotary key: key row = [rotary | latent]
        project(a.latentDown(), LoraTarget.ATTN_KV_A, layer, buf.h, lb.keyLatent, t);
        backend.copyColumns(lb.keyLatent, 0, 0, buf.v, 0, 0, kvRank, 1, t);
        backend.rmsNorm(buf.v, a.latentNorm(), eps, buf.v, t);
        backend.copyColumns(lb.keyLatent, kvRank, 0, buf.k, 0, 0, rotary, 1, t);
        backend.copyColumns(buf.v, 0, 0, buf.k, rotary, 0, kvRank, 1, t);
        // query rows: each head's rotary part as it is, its non-rotary part absorbed into latent space
        backend.copyColumns(lb.queries, nope, shape.keyLength(), buf.q, 0, cached, rotary, heads, t);
        backend.matmulHeads(a.keyUp(), lb.queries, 0, shape.keyLength(), buf.q, rotary, cached, heads, t);
        if (config.pattern().rotates(layer)) { // Kimi-Linear's never rotate: its rotary parts count as they are
            backend.rope(buf.q, batch.positionOf, heads, cached, rope, t);
            backend.rope(buf.k, batch.positionOf, 1, cached, rope, t);
        }
        // cache [rotary key | latent] alone (the values are its latent part); attend as one key/value head
        backend.storeKv(kvStorage, storageLayer[layer], buf.k, null, slots, t);
        attention.layer(0, null);
        backend.attention(buf.q, kvStorage, storageLayer[layer], attention, buf.attention);
        // each head's mix of latents, decompressed to its value width
        backend.matmulHeads(a.valueUp(), buf.attention, 0, kvRank, lb.output, 0, shape.valueLength(), heads, t);
        project(w.wo(), LoraTarget.ATTN_OUTPUT, layer, lb.output, buf.projected, t);
        addResidual(buf.projected, t);
    }

    private void denseFfnBlock(int layer, LayerWeights w, int t) {
        // ffn rmsnorm, SwiGLU (Nemotron-H: squared ReLU without a gate), residual
        backend.rmsNorm(buf.x, w.ffnNorm(), (float) config.rmsEps(), buf.h, t);
        feedForward(layer, w.ffnGate(), LoraTarget.FFN_GATE, w.ffnUp(), LoraTarget.FFN_UP, w.ffnDown(),
                LoraTarget.FFN_DOWN, buf.denseGate, buf.denseUp, buf.projected, t);
        branchNormIfAny(buf.projected, w.ffnPostNorm(), t);
        addResidual(buf.projected, t);
    }

    /**
     * Adds {@code part} of a MoE block's output to where the block sums it: its branch (AFMoE), or
     * the residual stream, which Granite's residual scale multiplies it into.
     */
    private void joinBranch(FloatMatrix part, int t) {
        if (sum != buf.x) {
            backend.add(sum, part, t);
        } else {
            addResidual(part, t);
        }
    }

    /**
     * {@code out = down act} of the normed input {@code buf.h}: {@code act = silu(gate h) * up h}
     * (SwiGLU), or {@code relu(up h)^2} where there is no gate (Nemotron-H); {@code hidden} and
     * {@code upOut} are scratch as wide as the FFN.
     */
    private void feedForward(int layer, Weight gate, LoraTarget gateTarget, Weight up, LoraTarget upTarget, Weight down,
                             LoraTarget downTarget, FloatMatrix hidden, FloatMatrix upOut, FloatMatrix out, int t) {
        project(up, upTarget, layer, buf.h, upOut, t);
        if (gate == null) {
            backend.reluSquared(upOut, t);
            project(down, downTarget, layer, upOut, out, t);
        } else {
            project(gate, gateTarget, layer, buf.h, hidden, t);
            backend.siluMul(hidden, upOut, t);
            project(down, downTarget, layer, hidden, out, t);
        }
    }

    /**
     * Where a MoE block's routed and shared experts sum their outputs: the residual stream itself,
     * or (AFMoE) a cleared branch, normed before it joins the stream.
     */
    private FloatMatrix moeSum(int t) {
        if (buf.ffnBranch == null) {
            return buf.x;
        }
        backend.gatherRows(buf.zeroRow, zeroRows, buf.ffnBranch, t);
        return buf.ffnBranch;
    }

    /** RMS-norms a branch's output {@code x} in place with {@code gamma} over each whole row, where there is a gamma. */
    private void branchNormIfAny(FloatMatrix x, float[] gamma, int t) {
        if (gamma != null) {
            backend.rmsNorm(x, gamma, (float) config.rmsEps(), x, t);
        }
    }

    /**
     * Router -> top-k -> bucket by expert -> each expert once over its tokens -> weighted scatter-add;
     * or, for a small step where the backend can, routed and combined on the device. {@code layer}
     * is the routed layer's number, {@code block} the block's (which LoRA adapters name).
     */
    private void moeBlock(int block, int layer, LayerWeights w, StepBatch batch, int t) {
        // ffn rmsnorm
        backend.rmsNorm(buf.x, w.ffnNorm(), (float) config.rmsEps(), buf.h, t);
        project(w.router(), LoraTarget.ROUTER, block, buf.h, buf.router, t);
        addBiasIfAny(buf.router, w.routerBias(), t);
        FloatMatrix branch = moeSum(t);
        sum = branch;
        expertSource = buf.h;
        if (w.latentDown() != null) {
            // Nemotron 3 Super: the routed experts take the normed input projected to their latent width
            // and sum their outputs there, the sum projected back after them; the router reads the input itself
            backend.matmul(w.latentDown(), 0, buf.h, buf.latentIn, t);
            backend.gatherRows(buf.latentZero, zeroRows, buf.latentSum, t);
            expertSource = buf.latentIn;
            sum = buf.latentSum;
        }
        if (routesOnDevice(t)) {
            // no host round trip: nothing waits for the device mid-step, so the step's kernels
            // repeat from step to step and replay as graphs
            backend.routedExperts(buf.router, expertSource, w.expertGate(), w.expertUp(), w.expertDown(),
                    expertForms[layer], deviceRoutings[layer], sum, t, layer);
            routedOnDevice = true;
        } else {
            hostRoutedExperts(block, layer, w, batch, t);
        }
        if (w.latentDown() != null) {
            sum = branch;
            backend.matmul(w.latentUp(), 0, buf.latentSum, buf.projected, t);
            joinBranch(buf.projected, t);
        }
        // shared expert: behind a sigmoid gate (Qwen2-MoE) or added as it is (DeepSeek-MoE); SwiGLU, or
        // squared ReLU without a gate (Nemotron-H)
        if (w.sharedUp() != null) {
            feedForward(block, w.sharedGate(), LoraTarget.SHARED_GATE, w.sharedUp(), LoraTarget.SHARED_UP, w.sharedDown(),
                    LoraTarget.SHARED_DOWN, buf.sharedHidden, buf.sharedUp, buf.projected, t);
            if (w.sharedGateInput() != null) {
                project(w.sharedGateInput(), LoraTarget.SHARED_GATE_INPUT, block, buf.h, buf.sharedGate, t);
                backend.sigmoidGatedAdd(buf.sharedGate, buf.projected, sum, t);
            } else {
                joinBranch(buf.projected, t);
            }
        }
        if (sum != buf.x) {
            // AFMoE: the branch normed, then joined to the stream
            branchNormIfAny(sum, w.ffnPostNorm(), t);
            addResidual(sum, t);
        }
    }

    /**
     * Whether this step's routed experts run routed on the device: where the backend can, for
     * dropless dispatch (capacity plans are the host's), experts in place and not adapted by a LoRA
     * adapter the step's rows apply, no trace watching each layer's routing as it happens (load metrics read it once the step is done), and steps small
     * enough that running each (token, expert) pair on its own reads little more than bucketing
     * would (at most half the experts' worth of pairs: decode of a batch or two). gpt-oss's biased,
     * clamped experts go as their layer's {@link ExpertFfnForm}, DeepSeek-V3's routing (sigmoid
     * scores, a selection bias, expert groups, scaled weights) and Llama 4's (weights on the experts'
     * inputs) as their {@link TopKRouting}, Nemotron-H's experts without a gate as
     * {@link ExpertFfnForm#SQUARED_RELU} (Nemotron 3 Super's in their latent width).
     */
    private boolean routesOnDevice(int t) {
        return deviceRouting && plan == null && offloaded == null && routingObserver == null && !expertsAdapted()
                && 2L * t * config.expertUsedCount() <= config.expertCount();
    }

    /**
     * The model's routing for the device, with one routed layer's selection bias (null for none): the
     * same scores, choices and weights as {@link ExpertSelector} and the weight scale give on the host.
     */
    private static TopKRouting deviceRouting(ModelConfig config, float[] selectionBias) {
        ExpertRouting r = config.routing();
        return new TopKRouting(Math.max(1, config.expertUsedCount()), r.gating() == ExpertRouting.Gating.SIGMOID,
                selectionBias, r.groupCount(), r.groupsUsed(), config.normalizeTopK(), (float) r.weightScale(),
                config.architecture().weighsExpertInputs());
    }

    /**
     * Tells the load observer how a step routed on the device spread its tokens: the chosen experts
     * of every layer read back at once, after the step (a single wait, the device idle by then).
     */
    private void reportDeviceRouting(ExpertLoadObserver observer, int t) {
        int k = config.expertUsedCount();
        int layers = config.routedLayers();
        int perLayer = t * k;
        backend.readRoutedExperts(layers, t, k, routedExperts);
        for (int l = 0; l < layers; l++) {
            Arrays.fill(tokensPerExpert, 0);
            for (int i = 0; i < perLayer; i++) {
                tokensPerExpert[routedExperts[l * perLayer + i]]++;
            }
            observer.layerDispatched(l, t, k, tokensPerExpert, 0, 0);
        }
    }

    /** Routing on the host: router logits -> softmax -> top-k per token, or a capacity-aware plan per group. */
    private void hostRoutedExperts(int block, int layer, LayerWeights w, StepBatch batch, int t) {
        int k = config.expertUsedCount();
        int experts = config.expertCount();
        for (int i = 0; i < t; i++) {
            buf.router.readRow(i, routerRow);
            selector.scores(routerRow, routerProbabilities);
            if (plan == null) {
                selector.select(routerProbabilities, w.selectionBias(), k, config.normalizeTopK(), chosenExperts,
                        chosenWeights, i * k);
            } else {
                System.arraycopy(routerProbabilities, 0, stepProbabilities, i * experts, experts);
                if (stepSelection != null) {
                    selector.selectionKeys(routerProbabilities, w.selectionBias(), stepSelection, i * experts);
                }
            }
        }
        long droppedBefore = plan != null ? plan.stats().dropped() : 0;
        long reroutedBefore = plan != null ? plan.stats().rerouted() : 0;
        if (plan != null) {
            for (int g = 0; g < groups.count(); g++) {
                plan.plan(stepProbabilities, stepSelection, groups.rows(), groups.start(g), batch.positionOf, batch.sequenceOf,
                        groups.size(g), chosenExperts, chosenWeights);
            }
        }
        if (config.routing().weightScale() != 1.0) {
            // the DeepSeek-V2 family scales the routed experts' weights once they are chosen (and renormalized)
            float scale = (float) config.routing().weightScale();
            for (int i = 0; i < t * k; i++) {
                chosenWeights[i] *= scale;
            }
        }
        if (routingObserver != null) {
            routingObserver.onRouting(layer, batch, chosenExperts, k, buf.x);
        }
        // dispatch: group the step's (token, expert) pairs by expert
        buckets.build(t, k, chosenExperts, chosenWeights);
        ExpertLoadObserver observer = loadObserver;
        if (observer != null) {
            for (int e = 0; e < experts; e++) {
                tokensPerExpert[e] = buckets.count(e);
            }
            observer.layerDispatched(layer, t, k, tokensPerExpert,
                    plan != null ? (int) (plan.stats().dropped() - droppedBefore) : 0,
                    plan != null ? (int) (plan.stats().rerouted() - reroutedBefore) : 0);
        }
        if (offloaded != null) {
            residentExperts(block, layer, w, batch, t);
        } else {
            inPlaceExperts(block, w, experts);
        }
    }

    /** Grouped experts from the mapped file: gather, the expert's FFN, weighted combine into the residual. */
    private void inPlaceExperts(int block, LayerWeights w, int experts) {
        for (int e = 0; e < experts; e++) {
            int n = buckets.count(e);
            if (n == 0) {
                continue;
            }
            System.arraycopy(buckets.rows, buckets.offsets[e], expertRows, 0, n);
            System.arraycopy(buckets.weights, buckets.offsets[e], expertWeights, 0, n);
            backend.gatherRows(expertSource, expertRows, buf.expertIn, n);
            weighInputs(n);
            ExpertFfn.run(backend, w.expertGate(), w.expertUp(), w.expertDown(), e, w.expertBiases(), e, buf.expertIn,
                    buf.gate, buf.up, buf.expertOut, n, expertLora(block, e, n));
            backend.scatterAddRows(buf.expertOut, expertRows, outputWeights(), sum, n);
        }
    }

    /**
     * The same computation from device slots. The layer's misses start copying first, then the
     * predictions for later layers; then each expert, in the same order as in place (so the sums
     * into the residual are bitwise the same), is held only for its own matmuls: a thread never
     * waits for a copy while holding a slot, which is what keeps a small pool from deadlocking.
     * With hybrid execution, a miss the cost model finds cheaper on the host starts no copy and is
     * computed there instead, into the same output rows, and scatter-added in its turn.
     */
    private void residentExperts(int block, int layer, LayerWeights w, StepBatch batch, int t) {
        ExpertResidency residency = offloaded.residency();
        SlotWeights slots = offloaded.weights();
        HostExperts host = offloaded.host();
        int experts = config.expertCount();
        for (int e = 0; e < experts; e++) {
            int n = buckets.count(e);
            // the host path has no adapters: a step whose rows adapt experts computes them all here
            onHost[e] = n > 0 && host != null && !expertsAdapted() && host.computesOnHost(layer, e, n);
            if (n > 0 && !onHost[e]) {
                residency.loadAhead(layer, e);
            }
        }
        if (prefetcher != null) {
            prefetcher.afterRouting(layer, batch, chosenExperts, buf.x, t);
        }
        for (int e = 0; e < experts; e++) {
            int n = buckets.count(e);
            if (n == 0) {
                continue;
            }
            System.arraycopy(buckets.rows, buckets.offsets[e], expertRows, 0, n);
            System.arraycopy(buckets.weights, buckets.offsets[e], expertWeights, 0, n);
            if (onHost[e]) {
                host.compute(layer, e, w.expertBiases(), expertSource, expertRows, unitWeights != null ? expertWeights : null, n,
                        buf.expertOut);
            } else {
                deviceExpert(residency, slots, block, layer, e, n, w.expertBiases());
            }
            backend.scatterAddRows(buf.expertOut, expertRows, outputWeights(), sum, n);
        }
    }

    /** Llama 4: the gathered rows of an expert's tokens times their routing weights, before its FFN. */
    private void weighInputs(int n) {
        if (unitWeights != null) {
            backend.scaleRows(buf.expertIn, expertWeights, n);
        }
    }

    /** The weights an expert's outputs join the residual stream with: its routing weights, or ones where they weighed its inputs. */
    private float[] outputWeights() {
        return unitWeights != null ? unitWeights : expertWeights;
    }

    /** One expert's tokens through its device slot: gather, the expert's FFN into expertOut. */
    private void deviceExpert(ExpertResidency residency, SlotWeights slots, int block, int layer, int e, int n,
                              ExpertBiases biases) {
        backend.gatherRows(expertSource, expertRows, buf.expertIn, n);
        weighInputs(n);
        Resident r = residency.acquire(layer, e);
        try {
            int s = r.slot();
            ExpertFfn.run(backend, slots.gate(s, layer), slots.up(s, layer), slots.down(s, layer), 0, biases, e,
                    buf.expertIn, buf.gate, buf.up, buf.expertOut, n,
                    expertLora(block, e, n));
        } finally {
            residency.release(r);
        }
    }

    @Override
    public void close() {
        kvStorage.close();
        if (windowStorage != null) {
            windowStorage.close();
        }
        if (convStorage != null) {
            convStorage.close();
        }
        if (states != null) {
            states.close();
        }
    }
}
