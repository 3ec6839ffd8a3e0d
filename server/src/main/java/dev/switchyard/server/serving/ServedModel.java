package dev.switchyard.server.serving;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.switchyard.cache.residency.ResidencyStats;
import dev.switchyard.engine.chat.ChatTemplates;
import dev.switchyard.engine.forward.ExpertOffload;
import dev.switchyard.engine.forward.OffloadedExperts;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.kv.StateCheckpoints;
import dev.switchyard.engine.generate.Pooling;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.reasoning.ReasoningSyntax;
import dev.switchyard.engine.sampling.TokenConstraint;
import dev.switchyard.engine.schedule.ContextLengthExceededException;
import dev.switchyard.engine.schedule.Scheduler;
import dev.switchyard.engine.schedule.Submission;
import dev.switchyard.engine.structured.OutputConstraint;
import dev.switchyard.engine.structured.TokenTexts;
import dev.switchyard.engine.tokenizer.StreamingDetokenizer;
import dev.switchyard.engine.tokenizer.Tokenizer;
import dev.switchyard.engine.tools.ForcedCallFrame;
import dev.switchyard.engine.tools.ToolCallSyntax;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.cpu.CpuBackend;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntPredicate;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * The model being served, with its scheduler and metrics: what every transport hands requests to.
 * {@link #generate} turns a validated {@link GenerationSpec} into one scheduler submission and routes
 * its tokens, as text, to a {@link GenerationListener}.
 */
public final class ServedModel implements AutoCloseable {

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(ServedModel.class.getName());

    private final String name;
    private final long createdEpochSeconds;
    private final Backend backend;
    private final LoadedModel model;
    /** The draft model of speculative decoding (--draft-model); null for none. */
    private final LoadedModel draft;
    /** How embeddings pool a prompt's hidden states. */
    private final Pooling pooling;
    /** The LoRA adapters requests may apply. */
    private final ServedAdapters adapters;
    /** Held while an adapter is loaded or unloaded: one change at a time. */
    private final Object adapterUpdates = new Object();
    /** How long loading or unloading an adapter waits for the scheduler's thread. */
    private static final long ADAPTER_UPDATE_WAIT_SECONDS = 120;
    private final Scheduler scheduler;
    private final ServingMetrics metrics;
    private final Prompts prompts;
    private final Duration requestTimeout;
    private final EngineConfig engine;
    /** {@link #tokensContaining} by list of strings. */
    private final Cache<List<String>, Set<Integer>> containing = Caffeine.newBuilder().maximumSize(16).build();
    private final String weightType;
    /** How the model's chat replies mark their reasoning; null when they do not. */
    private final ReasoningSyntax reasoning;
    /** How the model's chat replies write tool calls; null when in no form this server reads. */
    private final ToolCallSyntax toolCalls;
    /** Each token's bytes, for structured output; built by the first request that asks for it. */
    private volatile TokenTexts tokenTexts;

    private ServedModel(String name, Backend backend, LoadedModel model, LoadedModel draft, Scheduler scheduler,
                        ServingMetrics metrics, EngineConfig engine, ServedAdapters adapters) {
        this.name = name;
        this.adapters = adapters;
        this.draft = draft;
        this.pooling = engine.pooling() != null ? engine.pooling() : Pooling.ofModel(model.file().metadata());
        this.createdEpochSeconds = Instant.now().getEpochSecond();
        this.backend = backend;
        this.model = model;
        this.scheduler = scheduler;
        this.metrics = metrics;
        this.requestTimeout = engine.requestTimeout();
        this.engine = engine;
        this.weightType = dominantWeightType(model);
        this.prompts = new Prompts(model.tokenizer(), ChatTemplates.fromMetadata(model.file().metadata()));
        this.reasoning = ReasoningSyntax.detect(prompts.template(), model.tokenizer());
        this.toolCalls = ToolCallSyntax.detect(prompts.template(), model.tokenizer());
    }

    /** Maps the file, loads the weights on the CPU backend and starts the scheduler. */
    public static ServedModel open(Path path, String name, EngineConfig config) throws IOException {
        return open(path, name, config, new CpuBackend(config.threads()));
    }

    /**
     * Maps the file, loads the weights on {@code backend} and starts the scheduler. The served model
     * owns the backend from now on, and closes it also when opening fails.
     */
    public static ServedModel open(Path path, String name, EngineConfig config, Backend backend) throws IOException {
        return open(path, name, config, backend, null);
    }

    /**
     * As above, with the routed experts offloaded to a device tier of their own ({@code offload}
     * null: used in place), whose cache figures then join the metrics.
     */
    public static ServedModel open(Path path, String name, EngineConfig config, Backend backend, ExpertOffload offload)
            throws IOException {
        LoadedModel model = null;
        LoadedModel draft = null;
        try {
            // the draft's cache holds as many positions as the model's: the budget pays for both
            ModelConfig draftConfig = config.draft() == null ? null : configOf(config.draft().file());
            model = LoadedModel.open(path, backend, config.maxBatchTokens(), config.maxSequences(),
                    c -> kvPositions(c, draftConfig, config), config.dispatch(), offload, config.kvCacheType());
            model.keepStateCheckpoints(config.stateCheckpoints());
            if (!model.reusePrefixes(config.prefixCache()) && config.prefixCache()) {
                String arch = model.config().architecture().ggufName();
                LOG.info(() -> "prefix caching is off for " + name + ": its " + arch + " blocks carry a state per "
                        + "sequence that cached keys and values do not hold, and --state-checkpoints 0 keeps none");
            }
            ServedAdapters adapters = new ServedAdapters(name, config.adapters(),
                    model.loadAdapters(AdapterSpec.files(config.adapters())));
            AtomicReference<Scheduler> ref = new AtomicReference<>();
            ServingMetrics metrics = new ServingMetrics(name, ref::get);
            config.adapters().forEach(a -> metrics.loraAdapter(a.name()));
            metrics.kvCache(model.transformer().kvCacheType().label(), LoadedModel.KV_BLOCK_SIZE,
                    (long) model.kv().capacityBlocks() * LoadedModel.KV_BLOCK_SIZE,
                    (long) model.kv().windowCapacityBlocks() * LoadedModel.KV_BLOCK_SIZE);
            if (model.config().isMoe()) {
                model.transformer().setLoadObserver(metrics.expertLoad(model.config().routedLayers()));
            }
            StateCheckpoints checkpoints = model.stateCheckpoints();
            if (checkpoints != null) {
                metrics.stateCheckpoints(checkpoints.capacity(), checkpoints::saved, checkpoints::restored);
            }
            OffloadedExperts offloaded = model.offloadedExperts();
            if (offloaded != null) {
                ResidencyStats stats = offloaded.residency().stats();
                metrics.expertCache(stats::snapshot, offloaded.residency().slots(), offloaded.settings().predicts(),
                        offloaded.settings().hybrid());
            }
            if (config.draft() != null) {
                // the draft follows every sequence the model's cache can hold, in a cache of its own of as many
                // blocks (the positions asked for, plus the block per sequence that opening adds)
                int positions = Math.max(1, model.kv().capacityBlocks() - config.maxSequences())
                        * LoadedModel.KV_BLOCK_SIZE;
                draft = LoadedModel.open(config.draft().file(), backend, config.maxBatchTokens(), config.maxSequences(),
                        c -> positions, null, null, config.kvCacheType());
            }
            Scheduler scheduler = model.scheduler(config.maxQueue(), metrics, config.speculation(),
                    draft == null ? null : draft.asDraftOf(model, config.draft().minProbability()));
            ref.set(scheduler);
            return new ServedModel(name, backend, model, draft, scheduler, metrics, config, adapters);
        } catch (IOException | RuntimeException e) {
            if (draft != null) {
                draft.close();
            }
            if (model != null) {
                model.close();
            }
            backend.close();
            throw e;
        }
    }

    /** How embeddings pool a prompt's hidden states. */
    public Pooling pooling() {
        return pooling;
    }

    /** The width of an embedding: the model's hidden size. */
    public int embeddingSize() {
        return model.config().dim();
    }

    private static ModelConfig configOf(Path file) throws IOException {
        try (var gguf = dev.switchyard.engine.gguf.GgufFile.open(file)) {
            return dev.switchyard.engine.model.ModelConfigReader.read(gguf.metadata());
        }
    }

    /** KV positions the memory budget buys, in whole blocks; never more than every sequence's full context. */
    static int kvPositions(ModelConfig config, EngineConfig engine) {
        return kvPositions(config, null, engine);
    }

    /**
     * The same where a draft model ({@code draft}'s configuration; null for none) keeps a cache of as
     * many positions beside the model's: a position then costs the two caches' bytes together.
     */
    static int kvPositions(ModelConfig config, ModelConfig draft, EngineConfig engine) {
        if (engine.kvMemoryBytes() <= 0) {
            return 0;
        }
        long blockBytes = LoadedModel.KV_BLOCK_SIZE * (LoadedModel.kvBytesPerPosition(config, engine.kvCacheType())
                + (draft == null ? 0 : LoadedModel.kvBytesPerPosition(draft, engine.kvCacheType())));
        // the windowed layers' own pools (gpt-oss) come first: their sizes are fixed by the sequences and the step;
        // so are the recurrent states of a model that carries them: each slot's, each checkpoint's, and each
        // slot's kept before its proposals where speculation is on (Qwen3.5)
        long windowBytes = LoadedModel.windowKvBytes(config, engine.kvCacheType(), engine.maxSequences(),
                engine.maxBatchTokens()) + (draft == null ? 0 : LoadedModel.windowKvBytes(draft, engine.kvCacheType(),
                engine.maxSequences(), engine.maxBatchTokens()))
                + LoadedModel.recurrentStateBytes(config) * (engine.maxSequences() + engine.stateCheckpoints()
                + (engine.speculation().enabled() ? engine.maxSequences() : 0));
        long blocks = Math.max(0, engine.kvMemoryBytes() - windowBytes) / blockBytes;
        // LoadedModel adds one block per sequence slot to the positions asked for (a partly filled last
        // block each); asking for the rest keeps the whole pool within the budget.
        long spare = engine.maxSequences();
        if (blocks <= spare) {
            throw new IllegalArgumentException("--kv-memory of " + engine.kvMemoryBytes() + " bytes holds " + blocks
                    + " KV blocks (" + blockBytes + " bytes each for this model"
                    + (windowBytes > 0 ? ", after " + windowBytes + " bytes for the windowed layers' blocks and the "
                    + "recurrent states" : "")
                    + "), but --max-seqs " + engine.maxSequences() + " needs more than " + spare
                    + ": raise --kv-memory or lower --max-seqs" + (windowBytes > 0 ? ", --max-batch-tokens or "
                    + "--state-checkpoints" : ""));
        }
        long full = (long) engine.maxSequences() * config.contextLength();
        return (int) Math.min((blocks - spare) * LoadedModel.KV_BLOCK_SIZE, full);
    }

    /** The tensor type holding most of the file's bytes, e.g. Q8_0. */
    private static String dominantWeightType(LoadedModel model) {
        java.util.Map<String, Long> bytes = new java.util.HashMap<>();
        for (var tensor : model.file().tensors()) {
            bytes.merge(tensor.type().name(), tensor.byteSize(), Long::sum);
        }
        return bytes.entrySet().stream().max(java.util.Map.Entry.comparingByValue())
                .map(java.util.Map.Entry::getKey).orElse("");
    }

    /** The tensor type holding most of the file's bytes, e.g. Q8_0. */
    public String weightType() {
        return weightType;
    }

    /** The compute backend's name. */
    public String backendName() {
        return backend.name();
    }

    public int maxSequences() {
        return engine.maxSequences();
    }

    public int maxBatchTokens() {
        return engine.maxBatchTokens();
    }

    /** Sequences in the batch now. */
    public int running() {
        return scheduler.running();
    }

    /** Sequences waiting for admission. */
    public int waiting() {
        return scheduler.waiting();
    }

    /** The LoRA adapters requests may apply (none unless the server was started with some, or loaded them since). */
    public ServedAdapters adapters() {
        return adapters;
    }

    /**
     * Loads the LoRA adapter at {@code path} while serving, as {@code name}, applied by default at
     * scale 0 (requests name it, or list it, to apply it). It is loaded between two steps on the
     * scheduler's thread; running requests go on meanwhile.
     *
     * @throws IllegalArgumentException if the name is taken, or the file is not an adapter of this model
     * @throws IOException              if the file cannot be read
     */
    public ServedAdapters.Served loadAdapter(String name, Path path) throws IOException {
        synchronized (adapterUpdates) {
            adapters.checkNewName(name);
            int id = await(scheduler.betweenSteps(() -> {
                model.loadAdapters(List.of(path));
                return model.adapters().size() - 1;
            }));
            ServedAdapters.Served served = adapters.add(name, model.adapters().get(id), id, 0f);
            metrics.loraAdapter(name);
            return served;
        }
    }

    /**
     * Unloads LoRA adapter {@code name} while serving: requests can no longer apply it, and its
     * number is not given again.
     *
     * @throws java.util.NoSuchElementException if no adapter of that name is loaded
     * @throws AdapterInUseException             if sequences still apply it (then it stays loaded)
     */
    public void unloadAdapter(String name) throws IOException {
        synchronized (adapterUpdates) {
            ServedAdapters.Served served = adapters.named(name).orElseThrow(() ->
                    new java.util.NoSuchElementException("no LoRA adapter named " + name + " is loaded"));
            float scale = adapters.defaultScale(served.id());
            // new requests stop naming it first; those already admitted are counted between steps
            adapters.remove(served);
            try {
                await(scheduler.betweenSteps(() -> {
                    int using = scheduler.sequencesApplying(served.id());
                    if (using > 0) {
                        throw new AdapterInUseException(name, using);
                    }
                    model.unloadAdapter(served.id());
                    return null;
                }));
            } catch (RuntimeException | IOException e) {
                adapters.restore(served, scale);
                throw e;
            }
        }
    }

    /** The result of work done between steps, its failure rethrown as it was. */
    private static <T> T await(java.util.concurrent.CompletableFuture<T> work) throws IOException {
        try {
            return work.get(ADAPTER_UPDATE_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(cause);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the scheduler did not reach a step boundary in "
                    + ADAPTER_UPDATE_WAIT_SECONDS + " s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the scheduler", e);
        }
    }

    /** The model's name in the API (the {@code model} field). */
    public String name() {
        return name;
    }

    /** The model a reply to {@code spec} reports: the adapter the request named, else this model. */
    public String nameFor(GenerationSpec spec) {
        return spec.servedAs() != null ? spec.servedAs() : name;
    }

    public long createdEpochSeconds() {
        return createdEpochSeconds;
    }

    public ModelConfig config() {
        return model.config();
    }

    public Tokenizer tokenizer() {
        return model.tokenizer();
    }

    public Prompts prompts() {
        return prompts;
    }

    /**
     * How the model's chat format marks a reply's reasoning, found from its template and vocabulary;
     * null when it does not (every reply is then all content).
     */
    public ReasoningSyntax reasoningSyntax() {
        return reasoning;
    }

    /**
     * How the model's chat format writes tool calls, found by its template writing one back; null
     * when in no form this server reads (requests with tools are then refused).
     */
    public ToolCallSyntax toolCallSyntax() {
        return toolCalls;
    }

    /** Whether chat replies' reasoning comes apart when a request does not say: the server's setting. */
    public ReasoningFormat reasoningFormat() {
        return engine.reasoning();
    }

    public ServingMetrics metrics() {
        return metrics;
    }

    /** The offloaded experts and their residency cache, or null when experts are used in place. */
    public OffloadedExperts offloadedExperts() {
        return model.offloadedExperts();
    }

    /** Positions one sequence may use, prompt and completion together. */
    /**
     * The ids of the tokens whose text holds any of {@code strings} (DRY's sequence breakers),
     * found once per list of strings and kept (a few lists at most are in use).
     */
    public Set<Integer> tokensContaining(List<String> strings) {
        return containing.get(List.copyOf(strings), key -> LlamaSamplers.tokensContaining(model.tokenizer(), key));
    }

    /**
     * A request's {@code priority} (field {@code param}), checked against the server's policy: any
     * value with {@code --scheduling-policy priority}, only 0 without (as vLLM answers).
     *
     * @throws InvalidRequestException for a priority the policy does not take
     */
    public int priority(int priority, String param) {
        if (priority != 0 && !engine.priorities()) {
            throw new InvalidRequestException(param, param + " " + priority + " needs a server started with "
                    + "--scheduling-policy priority; this one serves first come, first served");
        }
        return priority;
    }

    /** Whether requests may set a {@code priority} ({@code --scheduling-policy priority}). */
    public boolean schedulesByPriority() {
        return engine.priorities();
    }

    public int maxSequenceLength() {
        return scheduler.maxSequencePositions();
    }

    /** The text of one token as the API shows it in logprobs (bytes of a split character become U+FFFD). */
    public String tokenText(int id) {
        return new String(model.tokenizer().pieceBytes(id), StandardCharsets.UTF_8);
    }

    /** A token's text; with {@code controls}, a control token's own text rather than nothing. */
    public String tokenText(int id, boolean controls) {
        return new String(model.tokenizer().pieceBytes(id, controls), StandardCharsets.UTF_8);
    }

    public byte[] tokenBytes(int id) {
        return model.tokenizer().pieceBytes(id);
    }

    /**
     * Starts a request. Its tokens go to {@code listener} from the scheduler's thread, possibly before
     * this method returns.
     *
     * @throws InvalidRequestException      if it cannot fit the context (code {@code context_length_exceeded})
     *                                      or the engine refuses a parameter
     * @throws dev.switchyard.engine.schedule.QueueFullException           when the queue is full
     * @throws dev.switchyard.engine.schedule.SchedulerUnavailableException while draining
     */
    public Generation generate(GenerationSpec spec, GenerationListener listener) {
        int limit = scheduler.maxSequencePositions();
        int longest = 0;
        int promptTokens = 0;
        for (int[] p : spec.prompts()) {
            longest = Math.max(longest, p.length);
            promptTokens += p.length;
        }
        // a prompt may fill the context only when nothing is to follow it (echo or scoring alone)
        if (longest > limit || longest == limit && !Integer.valueOf(0).equals(spec.maxTokens())) {
            throw contextExceeded(spec, spec.promptParam(), limit, longest, spec.maxTokens() == null ? 1 : spec.maxTokens());
        }
        int maxTokens = spec.maxTokens() != null ? spec.maxTokens() : limit - longest;
        if ((long) longest + maxTokens > limit) {
            throw contextExceeded(spec, spec.maxTokensParam(), limit, longest, maxTokens);
        }
        Generation generation = new Generation(listener, spec.choices(), promptTokens, spec.prediction() != null);
        List<Scheduler.SequenceRequest> sequences = new ArrayList<>(spec.choices());
        ToolUse tools = spec.tools();
        if (tools != null && toolCalls == null) {
            throw new InvalidRequestException("tools", "this model's chat template writes tool calls in no form this "
                    + "server reads, so it cannot return them as tool_calls");
        }
        // Harmony's calls are messages of their own: its splitter runs to find them even where the
        // request keeps the reasoning in the content.
        boolean splitForCalls = tools != null && toolCalls.kind() == ToolCallSyntax.Kind.HARMONY && reasoning != null;
        ReasoningSyntax split = spec.separateReasoning() || splitForCalls ? reasoning : null;
        int[] rendered = renderedMarkers(split, tools != null);
        for (int p = 0; p < spec.prompts().size(); p++) {
            String echo = spec.echoTexts() == null ? null : spec.echoTexts().get(p);
            // the rendered prompt's end says where a chat reply begins: inside its thinking or not
            String promptTail = reasoning == null || !spec.renderedConversations() ? null
                    : reasoning.promptTail(spec.prompts().get(p));
            Supplier<TokenConstraint> format = format(spec, promptTail);
            for (int j = 0; j < spec.n(); j++) {
                int index = p * spec.n() + j;
                var sampling = spec.samplingFor(index);
                StreamingDetokenizer detokenizer = spec.renderSpecial() ? new StreamingDetokenizer(model.tokenizer(), true)
                        : rendered.length == 0 ? model.tokenizer().newDetokenizer()
                        : new StreamingDetokenizer(model.tokenizer(), rendered);
                ChoiceSink sink = new ChoiceSink(index, detokenizer,
                        split == null ? null : split.newSplitter(promptTail, tools != null),
                        split != null && !spec.separateReasoning(), tools == null ? null : new ChoiceToolCalls(toolCalls, tools, metrics::toolCallMade),
                        new StopStrings(spec.stop(), spec.includeStop()), sampling.wantsLogprobs(), echo, listener,
                        generation, j == 0);
                if (spec.promptLogprobs() >= 0) {
                    sink.withPromptLogprobs(spec.prompts().get(p)[0]);
                }
                if (spec.codeLimits().any()) {
                    sink.withCodeLimits(spec.codeLimits());
                }
                if (spec.renderSpecial() && !sampling.ignoreEos()) {
                    sink.withSilentEnd(endingTokens(rendered));
                }
                GenerationRequest request = spec.pooling() != null
                        ? GenerationRequest.embedding(spec.prompts().get(p), spec.pooling(), spec.priority(), spec.adapters())
                        : new GenerationRequest(spec.prompts().get(p), sampling, maxTokens, spec.cacheSalt(), format,
                        spec.promptLogprobs(), spec.priority(), null, spec.adapters(), spec.prediction());
                sequences.add(new Scheduler.SequenceRequest(request, sink));
            }
        }
        Submission submission;
        try {
            submission = scheduler.submit(sequences, requestTimeout);
        } catch (ContextLengthExceededException e) {
            throw new InvalidRequestException(spec.maxTokensParam(), e.getMessage(), "context_length_exceeded");
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(null, e.getMessage());
        }
        generation.attach(submission);
        for (int a = 0; a < spec.adapters().span(); a++) {
            String adapter = spec.adapters().scale(a) != 0 ? adapters.nameOf(a) : null;
            if (adapter != null) {
                metrics.adapterApplied(adapter, sequences.size());
            }
        }
        return generation;
    }

    /**
     * A fresh constraint per choice holding the reply to the spec's format or to the call it must
     * make, or null for free text. A chat reply that reasons first (the prompt opened its thinking,
     * or harmony's analysis) is free until the marker that ends the reasoning, whether or not the
     * request sets the reasoning apart; a forced call in harmony starts at once, as a message of its
     * own. {@code tail} is the chat prompt's {@link ReasoningSyntax#promptTail}, null for text
     * prompts and models that do not reason.
     */
    private Supplier<TokenConstraint> format(GenerationSpec spec, String tail) {
        ToolUse.HeldCalls calls = spec.tools() == null ? null : spec.tools().calls();
        // a budget holds the thinking of models that think in tags; harmony's analysis runs free
        String thinking = tail == null || reasoning.kind() != ReasoningSyntax.Kind.THINK_TAGS ? null
                : reasoning.answerMarker(tail);
        int budget = spec.thinkingBudget() == null || thinking == null ? -1 : spec.thinkingBudget();
        if (spec.format() == null && calls == null) {
            return budget < 0 ? null : () -> new OutputConstraint(tokenTexts(),
                    List.of(OutputConstraint.freeUntil(thinking, budget), OutputConstraint.rest()), -1);
        }
        TokenTexts texts = tokenTexts();
        if (spec.format() != null) {
            String gate = tail == null ? null : reasoning.answerMarker(tail);
            List<OutputConstraint.Part> parts = new ArrayList<>();
            if (gate != null) {
                parts.add(OutputConstraint.freeUntil(gate, gate.equals(thinking) ? budget : -1));
            }
            parts.addAll(spec.format().parts());
            return () -> new OutputConstraint(texts, parts, -1);
        }
        // a forced call in harmony starts at once, as a message of its own; think tags first close
        boolean forced = spec.tools().forced();
        return () -> {
            List<OutputConstraint.Part> parts = new ArrayList<>();
            if (thinking != null) {
                parts.add(OutputConstraint.freeUntil(thinking, budget));
            }
            int callStart = parts.size();
            callParts(parts, toolCalls.forcedCall(), calls, forced);
            return new OutputConstraint(texts, parts, forced ? -1 : callStart);
        };
    }

    /**
     * A call spelled as the model's syntax writes one: its opening (written, or free text up to it
     * where the reply may answer instead), the name, the arguments by that name's schema, the
     * closing; the frame carries a fresh id.
     */
    private static void callParts(List<OutputConstraint.Part> parts, ForcedCallFrame frame, ToolUse.HeldCalls calls,
                                  boolean forced) {
        if (!forced) {
            parts.add(OutputConstraint.freeUntil(frame.beforeName()));
        } else if (!frame.beforeName().isEmpty()) {
            parts.add(OutputConstraint.literal(frame.beforeName()));
        }
        parts.add(OutputConstraint.oneOf(calls.names()));
        if (!frame.beforeArguments().isEmpty()) {
            parts.add(OutputConstraint.literal(frame.beforeArguments()));
        }
        parts.add(OutputConstraint.jsonByChoice(calls.arguments()));
        if (!frame.afterArguments().isEmpty()) {
            parts.add(OutputConstraint.literal(frame.afterArguments()));
        }
    }

    private TokenTexts tokenTexts() {
        TokenTexts texts = tokenTexts;
        if (texts == null) {
            synchronized (this) {
                texts = tokenTexts;
                if (texts == null) {
                    texts = TokenTexts.of(model.tokenizer());
                    tokenTexts = texts;
                }
            }
        }
        return texts;
    }

    /** The control tokens a reply's detokenizer renders: the markers its splitter and tool-call extractor read. */
    /**
     * The end-of-generation tokens whose text a reply that renders control tokens leaves out when it
     * ends on them, as vLLM does: all but the chat format's markers, which its splitters read.
     */
    private IntPredicate endingTokens(int[] markers) {
        Tokenizer tokenizer = model.tokenizer();
        int[] sorted = markers.clone();
        java.util.Arrays.sort(sorted);
        return id -> tokenizer.isEog(id) && java.util.Arrays.binarySearch(sorted, id) < 0;
    }

    private int[] renderedMarkers(ReasoningSyntax split, boolean tools) {
        IntStream reasoningMarkers = split == null ? IntStream.empty() : IntStream.of(split.controlMarkers());
        IntStream toolMarkers = tools ? IntStream.of(toolCalls.controlMarkers()) : IntStream.empty();
        return IntStream.concat(reasoningMarkers, toolMarkers).distinct().toArray();
    }

    /** The request's prompt and completion outgrow a sequence; the message names the request's own max-tokens field. */
    private InvalidRequestException contextExceeded(GenerationSpec spec, String param, int limit, int prompt,
                                                    int maxTokens) {
        return new InvalidRequestException(param, "this model can take at most " + limit + " tokens per sequence, but "
                + ((long) prompt + maxTokens) + " were requested (" + prompt + " in the prompt, " + maxTokens
                + " for the completion); shorten the prompt or lower " + spec.maxTokensParam(), "context_length_exceeded");
    }

    /**
     * Shutdown: refuses new requests, lets those accepted finish for up to {@code timeout}, then ends
     * the rest with finish reason abort.
     *
     * @return whether every request finished before the timeout
     */
    public boolean drain(Duration timeout) throws InterruptedException {
        scheduler.beginDrain();
        boolean finished = scheduler.awaitIdle(timeout);
        scheduler.close();
        return finished;
    }

    /** Bytes the windowed layers' own KV pool takes (gpt-oss), whatever the sequences' lengths; 0 where there is none. */
    public long windowKvBytes() {
        return LoadedModel.windowKvBytes(model.config(), model.transformer().kvCacheType(),
                model.transformer().maxSequences(), model.transformer().maxTokens());
    }

    /**
     * Bytes the recurrent states take (Qwen3.5): each sequence slot's, each saved checkpoint's, and
     * each slot's kept before its proposals where speculation is on; 0 for a model without them.
     */
    public long recurrentStateBytes() {
        return LoadedModel.recurrentStateBytes(model.config()) * model.transformer().recurrentStateSlots();
    }

    /** Bytes the KV block pools take: what --kv-memory bought. */
    public long kvCapacityBytes() {
        KvCacheType type = model.transformer().kvCacheType();
        long bytes = (long) model.kv().capacityBlocks() * LoadedModel.KV_BLOCK_SIZE
                * LoadedModel.kvBytesPerPosition(model.config(), type)
                + windowKvBytes();
        if (draft != null) {
            bytes += (long) draft.kv().capacityBlocks() * LoadedModel.KV_BLOCK_SIZE
                    * LoadedModel.kvBytesPerPosition(draft.config(), type)
                    + LoadedModel.windowKvBytes(draft.config(), type, engine.maxSequences(), engine.maxBatchTokens());
        }
        return bytes;
    }

    /** Bytes one position takes in the draft model's cache (0 without a draft), which the KV budget pays for too. */
    public long draftKvBytesPerPosition() {
        return draft == null ? 0 : LoadedModel.kvBytesPerPosition(draft.config(), draft.transformer().kvCacheType());
    }

    /** Gauges for tests and logs. */
    public double kvUsage() {
        return scheduler.kvUsage();
    }

    @Override
    public void close() {
        scheduler.close();
        if (draft != null) {
            draft.close();
        }
        model.close();
        backend.close();
    }
}
