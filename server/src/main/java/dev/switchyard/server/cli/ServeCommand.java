package dev.switchyard.server.cli;

import dev.switchyard.engine.forward.ExpertOffload;
import dev.switchyard.engine.forward.OffloadedExperts;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.generate.Pooling;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.schedule.Speculation;
import dev.switchyard.server.accesslog.AccessLog;
import dev.switchyard.server.accesslog.KeyUsage;
import dev.switchyard.server.accesslog.RequestRecorder;
import dev.switchyard.server.accesslog.RequestTracing;
import dev.switchyard.server.grpc.GenerationService;
import dev.switchyard.server.grpc.GrpcConfig;
import dev.switchyard.server.grpc.GrpcServer;
import dev.switchyard.server.http.HttpServer;
import dev.switchyard.server.http.HttpServerConfig;
import dev.switchyard.server.http.HttpTransport;
import dev.switchyard.server.openai.ApiLimits;
import dev.switchyard.server.serving.ApiKeys;
import dev.switchyard.server.serving.EngineConfig;
import dev.switchyard.server.serving.ReasoningFormat;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.ServedAdapters;
import dev.switchyard.server.serving.SpeculativeDraft;
import dev.switchyard.server.serving.ServerHealth;
import dev.switchyard.server.serving.Version;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import sun.misc.Signal;

/**
 * {@code switchyard serve}: the OpenAI-compatible HTTP server. It listens at once (health answers 503
 * while the model loads), and on SIGTERM or SIGINT drains: new requests get 503, those in flight
 * finish for up to --drain-timeout, the rest end with finish reason abort, and the process exits 0.
 */
@Command(name = "serve", mixinStandardHelpOptions = true, defaultValueProvider = EnvironmentDefaults.class,
        description = "Serve a model over an OpenAI-compatible HTTP API. Without --model, the built-in demo model.",
        footer = {"", "Every option has an environment twin: --max-seqs defaults to $SWITCHYARD_MAX_SEQS, "
                + "--api-key to $SWITCHYARD_API_KEY, and so on. A flag on the command line wins."})
final class ServeCommand implements Callable<Integer> {

    /** The name the built-in demo model has in the API. */
    static final String DEMO_NAME = "switchyard-demo";
    /** How often --api-key-file is looked at for changes. */
    static final Duration KEY_FILE_CHECK = Duration.ofSeconds(2);

    /** After a drain, how long gRPC calls get to send their final messages before connections close. */
    private static final long FINAL_MESSAGES_WAIT_MILLIS = 2_000;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE.gguf", description = "The model (default: the built-in demo model).")
    Path model;

    @Option(names = "--model-name", paramLabel = "NAME",
            description = "The model's name in the API (default: the file name without .gguf; " + DEMO_NAME + " for the demo).")
    String modelName;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port to listen on; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--grpc-port", defaultValue = "50051",
            description = "Port of the gRPC Generate API; 0 turns it off (default: ${DEFAULT-VALUE}).")
    int grpcPort;

    @Option(names = "--max-seqs", defaultValue = "32", description = "Sequences in one batch at most (default: ${DEFAULT-VALUE}).")
    int maxSeqs;

    @Option(names = "--max-batch-tokens", paramLabel = "N",
            description = "Tokens one step may carry, decode tokens and prompt chunks together (default: the largest of "
                    + "512, --max-seqs and --capacity-window).")
    Integer maxBatchTokens;

    @Option(names = "--kv-memory", defaultValue = "1GiB", paramLabel = "BYTES", converter = Units.BytesConverter.class,
            description = "Memory for the KV cache, e.g. 512MiB or 2GiB; blocks = BYTES / (16 x bytes per position), "
                    + "never more than every sequence's full context; 0: that full amount (default: ${DEFAULT-VALUE}).")
    long kvMemory;

    @Option(names = "--responses-memory", defaultValue = "64MiB", paramLabel = "BYTES", converter = Units.BytesConverter.class,
            description = "Memory for the responses /v1/responses keeps (store, true by default) to be read back and "
                    + "continued with previous_response_id, and as much again for conversations (/v1/conversations) "
                    + "and ended background streams' events; the least used go first when it is full; 0: keep none "
                    + "(default: ${DEFAULT-VALUE}).")
    long responsesMemory;

    @Option(names = "--max-queue", defaultValue = "256",
            description = "Requests that may wait for a batch; more get 429 (default: ${DEFAULT-VALUE}).")
    int maxQueue;

    @Option(names = "--request-timeout", defaultValue = "10m", paramLabel = "DURATION", converter = Units.DurationConverter.class,
            description = "A request still running after this long ends with finish reason abort; 0: no limit "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration requestTimeout;

    @Option(names = "--drain-timeout", defaultValue = "30s", paramLabel = "DURATION", converter = Units.DurationConverter.class,
            description = "On SIGTERM, how long requests in flight may take to finish before they are aborted "
                    + "(default: ${DEFAULT-VALUE}).")
    Duration drainTimeout;

    @Option(names = "--allowed-origins", paramLabel = "ORIGINS", split = ",",
            description = "Origins whose browser pages may call the API (CORS), comma-separated, e.g. "
                    + "https://app.example, or * for any (default: none; browsers then refuse cross-origin calls).")
    List<String> allowedOrigins = new java.util.ArrayList<>();

    @Option(names = "--api-key", paramLabel = "KEY",
            description = "Require 'Authorization: Bearer KEY' on /v1/*, /tokenize and /detokenize (default: none).")
    String apiKey;

    @Option(names = "--api-key-file", paramLabel = "FILE",
            description = "Accept the keys in FILE too, a 'NAME KEY [concurrency=N] [requests_per_minute=N] "
                    + "[tokens_per_minute=N] [models=A,B]' per line ('#' starts a comment): each client a key of its own, named in "
                    + "the access log, traces and metrics, held to its limits (429 with retry-after past one); read "
                    + "again when it changes (default: none).")
    Path apiKeyFile;

    @picocli.CommandLine.Mixin
    DeviceOption device = new DeviceOption();

    @picocli.CommandLine.Mixin
    LoraOptions lora = new LoraOptions();

    @Option(names = "--allow-runtime-lora-updating",
            description = "Let POST /v1/load_lora_adapter and /v1/unload_lora_adapter load and unload LoRA adapters "
                    + "while serving (vLLM's VLLM_ALLOW_RUNTIME_LORA_UPDATING); they name files on this machine, so "
                    + "set --api-key too where others can reach the server (default: off).")
    boolean runtimeLora;

    @Option(names = "--threads", description = "Compute threads (default: all cores).")
    Integer threads;

    @Option(names = "--max-body", defaultValue = "4MiB", paramLabel = "BYTES", converter = Units.BytesConverter.class,
            description = "Largest request body; larger ones get 413 (default: ${DEFAULT-VALUE}).")
    long maxBody;

    @Option(names = "--idle-timeout", defaultValue = "60s", paramLabel = "DURATION", converter = Units.DurationConverter.class,
            description = "Close a connection idle this long between requests (default: ${DEFAULT-VALUE}).")
    Duration idleTimeout;

    @Option(names = "--reasoning-format", defaultValue = "auto", paramLabel = "auto|none",
            description = "auto: chat replies return the model's reasoning in reasoning_content, apart from the answer, "
                    + "where its chat format marks it (<think> tags, gpt-oss's harmony channels); none: replies as "
                    + "generated, all in content. A request's reasoning_format overrides it (default: ${DEFAULT-VALUE}).")
    String reasoningFormat;

    @Option(names = "--pooling", paramLabel = "mean|cls|last",
            description = "How /v1/embeddings pools a prompt's final hidden states: mean, cls (the first token's) or "
                    + "last (default: the model file's pooling_type, else last).")
    String pooling;

    @Option(names = "--prefix-cache", defaultValue = "on", paramLabel = "on|off",
            description = "on: a request takes the KV blocks the cache still holds for the start of its prompt (a shared "
                    + "system prompt, the conversation so far) instead of computing them again; replies are the same "
                    + "either way, but a reused prefix answers sooner, which other clients could time. Needs dropless "
                    + "dispatch (default: ${DEFAULT-VALUE}).")
    String prefixCache;

    @Option(names = "--state-checkpoints", paramLabel = "N",
            description = "For a model whose blocks carry a state per sequence (Qwen3.5, Qwen3.6, Qwen3-Next): how many "
                    + "prompts' states to keep where their last whole block ends, so that prefix caching works for it too "
                    + "(a follow-up turn goes on from the conversation's saved state); each takes a sequence's state "
                    + "(inspect: recurrent_state_bytes_per_sequence) out of --kv-memory; 0 turns prefix caching off for "
                    + "such a model (default: " + EngineConfig.DEFAULT_STATE_CHECKPOINTS + ").")
    Integer stateCheckpoints;

    @Option(names = "--prefix-cache-scope", defaultValue = "shared", paramLabel = "shared|key",
            description = "shared: any request may take the cached blocks of a prompt start it shares (within its "
                    + "cache_salt); key: only requests of the same API key may, so that no client can time another's "
                    + "prompts (needs --api-key-file or --api-key; default: ${DEFAULT-VALUE}).")
    String prefixCacheScope;

    @Option(names = "--scheduling-policy", defaultValue = "fcfs", paramLabel = "fcfs|priority",
            description = "fcfs: requests are served in arrival order and a request's priority other than 0 is refused; "
                    + "priority: a request's priority (lower first) orders the queue, and a running request of a "
                    + "later priority gives way (is preempted) when a more urgent one lacks room "
                    + "(default: ${DEFAULT-VALUE}).")
    String schedulingPolicy;

    @Option(names = "--batch-input", paramLabel = "FILE.jsonl",
            description = "Run this batch (OpenAI's Batch API lines: custom_id, method, url, body) through the server, "
                    + "write --batch-output and exit, instead of serving; the port is then a free one unless --port "
                    + "is given, and gRPC is off unless --grpc-port is.")
    Path batchInput;

    @Option(names = "--batch-output", paramLabel = "FILE.jsonl", description = "Where --batch-input's results go, one "
            + "line per request in the input's order.")
    Path batchOutput;

    @Option(names = "--batch-concurrency", paramLabel = "N",
            description = "Requests in flight at once of --batch-input, or of all the batches made through /v1/batches "
                    + "and /v1/messages/batches together (default: twice --max-seqs).")
    Integer batchConcurrency;

    @Option(names = "--files-dir", paramLabel = "DIR",
            description = "Where the Files API keeps uploaded batch inputs and batches' results, and batches, across "
                    + "restarts; a batch the server stops in the middle goes on under the next one started on it "
                    + "(default: a temporary directory removed when the server stops).")
    Path filesDir;

    @Option(names = "--responses-dir", paramLabel = "DIR",
            description = "Also keep the responses and conversations the Responses and Conversations APIs store in "
                    + "DIR, so that they outlive a restart (a client's previous_response_id still works); "
                    + "--responses-memory still bounds them (default: memory only).")
    Path responsesDir;

    @Option(names = "--access-log", defaultValue = "off", paramLabel = "off|stdout|FILE",
            description = "Write one JSON line per request answered (its id, client, path, status, duration, and for "
                    + "a generation its model, tokens and time to first token; never its prompt or output) to "
                    + "standard output or appended to FILE (default: ${DEFAULT-VALUE}).")
    String accessLog;

    @Option(names = "--otlp-traces-endpoint", paramLabel = "URL",
            description = "Send a span per request (W3C trace context from the request's traceparent; GenAI "
                    + "attributes: model, tokens, time to first token) to this OpenTelemetry collector over OTLP/HTTP, "
                    + "e.g. http://collector:4318/v1/traces (default: none).")
    String otlpTracesEndpoint;

    @Option(names = "--files-space", defaultValue = "2GiB", paramLabel = "BYTES", converter = Units.BytesConverter.class,
            description = "Space all kept files may take; an upload past it gets 413 (default: ${DEFAULT-VALUE}).")
    long filesSpace;

    @Mixin
    DispatchOptions dispatch = new DispatchOptions();

    @Mixin
    OffloadOptions offload = new OffloadOptions();

    @Mixin
    HybridOption hybrid = new HybridOption();

    @Mixin
    KvCacheOption kvCache = new KvCacheOption();

    @Mixin
    SpeculationOption speculation = new SpeculationOption();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // Every flag is checked before anything starts: a refused setting must not leave a half-started server.
        DispatchConfig moe = dispatch.toConfig();
        ExpertOffload experts = offload.toOffload(hybrid.enabled());
        device.check();
        int workers = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        int batchTokens = maxBatchTokens != null ? maxBatchTokens : EngineConfig.defaultBatchTokens(maxSeqs, moe);
        ReasoningFormat reasoning = ReasoningFormat.parse(reasoningFormat);
        if (reasoning == null) {
            throw new IllegalArgumentException("--reasoning-format must be auto or none, got '" + reasoningFormat + "'");
        }
        Pooling pooled;
        try {
            pooled = pooling == null ? null : Pooling.of(pooling);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--pooling: " + e.getMessage());
        }
        if (!prefixCache.equals("on") && !prefixCache.equals("off")) {
            throw new IllegalArgumentException("--prefix-cache must be on or off, got '" + prefixCache + "'");
        }
        if (!prefixCacheScope.equals("shared") && !prefixCacheScope.equals("key")) {
            throw new IllegalArgumentException("--prefix-cache-scope must be shared or key, got '" + prefixCacheScope + "'");
        }
        if (!schedulingPolicy.equals("fcfs") && !schedulingPolicy.equals("priority")) {
            throw new IllegalArgumentException("--scheduling-policy must be fcfs or priority, got '" + schedulingPolicy + "'");
        }
        boolean batch = batchInput != null;
        if (batch != (batchOutput != null)) {
            throw new IllegalArgumentException("--batch-input and --batch-output go together");
        }
        if (batch && !Files.isRegularFile(batchInput)) {
            throw new IllegalArgumentException("--batch-input: no file " + batchInput);
        }
        var given = spec.commandLine().getParseResult();
        int httpPort = batch && !given.hasMatchedOption("--port") ? 0 : port;
        int rpcPort = batch && !given.hasMatchedOption("--grpc-port") ? 0 : grpcPort;
        int perBatch = batchConcurrency != null ? batchConcurrency : 2 * maxSeqs;
        ApiKeys keys = ApiKeys.from(apiKey, apiKeyFile).isolatingPrefixCache(prefixCacheScope.equals("key"))
                .schedulingByPriority(schedulingPolicy.equals("priority"));
        BatchRun batchRun = batch ? new BatchRun(null, keys.loopbackKey(), perBatch) : null;
        HttpServerConfig.BatchConfig batches = new HttpServerConfig.BatchConfig(filesDir, filesSpace, perBatch);
        EngineConfig engine = new EngineConfig(workers, maxSeqs, batchTokens, kvMemory, maxQueue, requestTimeout, moe,
                reasoning, prefixCache.equals("on"), kvCache.type, speculation.speculation(),
                schedulingPolicy.equals("priority")).withDraft(speculation.draft()).withPooling(pooled)
                .withAdapters(lora.adapters())
                .withStateCheckpoints(stateCheckpoints != null ? stateCheckpoints : EngineConfig.DEFAULT_STATE_CHECKPOINTS);
        if (maxBody > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--max-body must be below 2 GiB");
        }
        HttpServerConfig http = new HttpServerConfig(host, httpPort, null, (int) maxBody, HttpServerConfig.DEFAULT_MAX_HEADER,
                idleTimeout, 1, Math.max(2, workers), ApiLimits.defaults(), responsesMemory).withApiKeys(keys)
                .withAllowedOrigins(origins(allowedOrigins)).withRuntimeLora(runtimeLora).withBatches(batches)
                .withResponsesDir(responsesDir);
        Path path = ModelPaths.resolve(model, err);
        String name = modelName != null ? modelName
                : model == null ? DEMO_NAME : path.getFileName().toString().replaceFirst("\\.gguf$", "");

        CountDownLatch stop = new CountDownLatch(1);
        if (!batch) {
            // Our own handlers replace the JVM's, which would exit with 143 before the drain.
            Signal.handle(new Signal("TERM"), s -> stop.countDown());
            Signal.handle(new Signal("INT"), s -> stop.countDown());
        }

        ServerHealth health = new ServerHealth();
        RequestRecorder requests = recorder(new KeyUsage(keys.enabled(),
                () -> health.model() == null ? null : health.model().metrics()));
        HttpServer server;
        try {
            server = new HttpServer(http.withRecorder(requests), health, HttpTransport.nio());
        } catch (RuntimeException e) {
            requests.close();
            throw e;
        }
        GrpcServer grpc = null;
        GenerationService generation = new GenerationService(health, Version.current(), http.limits());
        keys.watch(KEY_FILE_CHECK);
        try {
            server.start();
            if (rpcPort != 0) {
                grpc = GrpcServer.start(GrpcConfig.defaults(host, rpcPort, null).withApiKeys(keys).withRecorder(requests), generation);
            }
            out.println("switchyard serve: listening on http://" + host + ":" + server.port()
                    + (grpc != null ? " and grpc://" + host + ":" + grpc.port() : "") + " (loading " + path + ")");
            out.flush();
            try (ServedModel served = ServedModel.open(path, name, engine, device.open(workers, err), experts)) {
                health.ready(served);
                if (grpc != null) {
                    grpc.serving(true);
                }
                out.println("switchyard serve: ready: model '" + name + "', " + served.maxSequenceLength()
                        + " positions per sequence, KV " + Bytes.human(kvMemory) + " budget ("
                        + Bytes.human(LoadedModel.kvBytesPerPosition(served.config(), engine.kvCacheType())) + " per position, "
                        + (served.draftKvBytesPerPosition() > 0 ? "and " + Bytes.human(served.draftKvBytesPerPosition())
                                + " in the draft model's cache, " : "")
                        + engine.kvCacheType().label()
                        + (served.windowKvBytes() > 0 ? ", windowed layers apart in " + Bytes.human(served.windowKvBytes()) : "")
                        + (served.recurrentStateBytes() > 0 ? ", recurrent states in "
                        + Bytes.human(served.recurrentStateBytes()) : "")
                        + "), "
                        + workers + " threads" + offloadNote(served) + reasoningNote(served) + toolCallNote(served)
                        + ", embeddings pooled by " + served.pooling().label()
                        + recorderNote()
                        + speculationNote(engine.speculation(), engine.draft())
                        + LoraOptions.describe(engine.adapters(),
                                served.adapters().all().stream().map(ServedAdapters.Served::adapter).toList()));
                out.flush();
                if (batch) {
                    String local = host.equals("0.0.0.0") || host.equals("::") ? "127.0.0.1" : host;
                    BatchRun.Summary done = batchRun.at("http://" + (local.contains(":") ? "[" + local + "]" : local)
                            + ":" + server.port()).run(batchInput, batchOutput);
                    out.printf(java.util.Locale.ROOT, "switchyard serve: batch of %d requests in %.1f s: %d answered, "
                            + "%d refused or failed; results in %s%n", done.lines(), done.seconds(), done.succeeded(),
                            done.lines() - done.succeeded(), batchOutput);
                } else {
                    stop.await();
                }
                out.println("switchyard serve: draining (up to " + drainTimeout.toSeconds() + " s)");
                out.flush();
                if (grpc != null) {
                    grpc.serving(false);
                }
                boolean finished = server.shutdown(drainTimeout);
                if (grpc != null) {
                    grpc.shutdown(FINAL_MESSAGES_WAIT_MILLIS);
                }
                out.println("switchyard serve: " + (finished ? "all requests finished" : "aborted the requests still running")
                        + "; stopped");
                out.flush();
            }
        } finally {
            if (grpc != null) {
                grpc.shutdown(0);
            }
            generation.close();
            server.close();
            requests.close();
            keys.stopWatching();
        }
        return 0;
    }

    /**
     * The access log and the traces the flags ask for (checked first, so a bad one opens neither), and
     * the per-key counts where there are keys.
     */
    private RequestRecorder recorder(KeyUsage usage) {
        RequestTracing traces = otlpTracesEndpoint == null ? null
                : RequestTracing.otlp(otlpTracesEndpoint, Version.current());
        AccessLog log;
        try {
            log = AccessLog.open(accessLog);
        } catch (RuntimeException e) {
            if (traces != null) {
                traces.close();
            }
            throw e;
        }
        // The log is told last, so a request's line never shows before its usage and span are counted.
        return RequestRecorder.of(traces == null ? List.of(usage, log) : List.of(usage, traces, log));
    }

    private String recorderNote() {
        String log = accessLog == null || accessLog.equals("off") ? ""
                : ", access log to " + (accessLog.equals("stdout") || accessLog.equals("-") ? "standard output" : accessLog);
        return log + (otlpTracesEndpoint == null ? "" : ", traces to " + otlpTracesEndpoint);
    }

    private static String speculationNote(Speculation speculation, SpeculativeDraft draft) {
        if (!speculation.enabled()) {
            return "";
        }
        return draft != null ? ", speculative decoding by draft model " + draft.file().getFileName() + " (up to "
                + speculation.draftTokens() + " tokens" + (draft.minProbability() > 0 ? " of probability at least "
                + draft.minProbability() : "") + ")"
                : ", speculative decoding by prompt lookup (up to " + speculation.draftTokens() + " tokens after runs of "
                + speculation.minMatch() + " to " + speculation.maxMatch() + ")";
    }

    /** The origins as given, a JSON list's brackets and quotes (vLLM's spelling) taken off. */
    static List<String> origins(List<String> given) {
        List<String> out = new java.util.ArrayList<>();
        for (String o : given) {
            String origin = o.strip().replaceAll("^\\[|\\]$", "").strip().replaceAll("^[\"']|[\"']$", "").strip();
            if (!origin.isEmpty()) {
                out.add(origin);
            }
        }
        return out;
    }

    private static String reasoningNote(ServedModel served) {
        if (served.reasoningSyntax() == null) {
            return "";
        }
        return ", reasoning marked by " + served.reasoningSyntax().describe()
                + (served.reasoningFormat() == ReasoningFormat.AUTO ? " (returned apart)" : " (--reasoning-format none)");
    }

    private static String toolCallNote(ServedModel served) {
        return served.toolCallSyntax() == null ? ", no tool calls (its template writes none we read)"
                : ", tool calls as " + served.toolCallSyntax().describe();
    }

    private static String offloadNote(ServedModel served) {
        OffloadedExperts offloaded = served.offloadedExperts();
        if (offloaded == null) {
            return "";
        }
        ModelConfig c = served.config();
        return ", experts offloaded to " + offloaded.residency().slots() + " slots of " + c.routedLayers() * c.expertCount()
                + " (predictor " + offloaded.settings().predictor() + (offloaded.settings().hybrid() ? ", hybrid on" : "")
                + ")";
    }
}
