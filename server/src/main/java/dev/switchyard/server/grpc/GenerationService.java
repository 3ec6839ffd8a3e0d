package dev.switchyard.server.grpc;

import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.schedule.QueueFullException;
import dev.switchyard.engine.schedule.SchedulerUnavailableException;
import dev.switchyard.proto.v1.AbortRequest;
import dev.switchyard.proto.v1.AbortResponse;
import dev.switchyard.proto.v1.DetokenizeRequest;
import dev.switchyard.proto.v1.DetokenizeResponse;
import dev.switchyard.proto.v1.EmbedInput;
import dev.switchyard.proto.v1.EmbedRequest;
import dev.switchyard.proto.v1.LoraAdapterInfo;
import dev.switchyard.proto.v1.EmbedResponse;
import dev.switchyard.proto.v1.GenerateRequest;
import dev.switchyard.proto.v1.GenerateResponse;
import dev.switchyard.proto.v1.GenerationGrpc;
import dev.switchyard.proto.v1.GetModelInfoRequest;
import dev.switchyard.proto.v1.GetServerInfoRequest;
import dev.switchyard.proto.v1.ModelInfo;
import dev.switchyard.proto.v1.ServerInfo;
import dev.switchyard.proto.v1.TokenizeRequest;
import dev.switchyard.proto.v1.TokenizeResponse;
import dev.switchyard.server.accesslog.AccessRecord;
import dev.switchyard.server.openai.ApiLimits;
import dev.switchyard.server.openai.EmbeddingsApi;
import dev.switchyard.server.serving.Generation;
import dev.switchyard.server.serving.GenerationSpec;
import dev.switchyard.server.serving.InvalidRequestException;
import dev.switchyard.server.serving.ModelAccess;
import dev.switchyard.server.serving.ServedAdapters;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.ServerHealth;
import io.grpc.Status;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutorGroup;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The {@code switchyard.v1.Generation} service over the same served model and scheduler as the HTTP
 * API. Errors before a stream starts are statuses: INVALID_ARGUMENT naming the field, NOT_FOUND for
 * another model, RESOURCE_EXHAUSTED when the queue is full, UNAVAILABLE while loading or draining.
 * A cancelled call (client gone, deadline passed) aborts its request, which frees its KV blocks at the
 * scheduler's next step.
 */
public final class GenerationService extends GenerationGrpc.GenerationImplBase implements AutoCloseable {

    /** Threads that build and send response messages; each call stays on one of them, in order. */
    private static final int RESPONSE_THREADS = 2;

    private final ServerHealth health;
    private final String version;
    private final ApiLimits limits;
    private final EventExecutorGroup responders = new DefaultEventExecutorGroup(RESPONSE_THREADS,
            new DefaultThreadFactory("switchyard-grpc-responses", true));
    /** Running Generate calls by request id, for Abort. */
    private final Map<String, RunningCall> running = new ConcurrentHashMap<>();

    /** A Generate call that may be aborted before its generation has even started. */
    private static final class RunningCall {
        private volatile Generation generation;
        private volatile boolean aborted;

        void started(Generation g) {
            generation = g;
            if (aborted) {
                g.cancel();
            }
        }

        /** Returns whether the call was still going. */
        boolean abort() {
            aborted = true;
            Generation g = generation;
            if (g != null) {
                g.cancel();
            }
            return g == null || !g.isDone();
        }
    }

    public GenerationService(ServerHealth health, String version, ApiLimits limits) {
        this.health = health;
        this.version = version;
        this.limits = limits;
    }

    @Override
    public void generate(GenerateRequest request, StreamObserver<GenerateResponse> observer) {
        ServerCallStreamObserver<GenerateResponse> out = (ServerCallStreamObserver<GenerateResponse>) observer;
        AccessRecord access = AccessLogInterceptor.current();
        String id = !request.getRequestId().isEmpty() ? request.getRequestId()
                : access != null ? access.requestId() : "gen-" + UUID.randomUUID();
        if (access != null) {
            access.identify(id);
        }
        RunningCall call = new RunningCall();
        AtomicBoolean registered = new AtomicBoolean();
        // A cancelled call (client gone, deadline passed) aborts its request and frees its KV blocks.
        out.setOnCancelHandler(() -> {
            if (registered.get() && call.abort()) {
                ServedModel model = health.model();
                if (model != null) {
                    model.metrics().clientDisconnected();
                }
            }
            running.remove(id, call);
        });
        try {
            ServedModel model = servingModel(request.getModel());
            GenerationSpec spec = GenerateRequests.toSpec(request, model, limits);
            mayUse(request.getModel(), spec, model);
            if (running.putIfAbsent(id, call) != null) {
                throw Status.ALREADY_EXISTS.withDescription("request_id " + id + " is already running").asRuntimeException();
            }
            registered.set(true);
            GenerateCall events = new GenerateCall(id, out, model, spec.choices(), request.getUnary(),
                    !request.hasIncludeText() || request.getIncludeText(),
                    !request.hasIncludeTokenIds() || request.getIncludeTokenIds(), responders.next(),
                    () -> running.remove(id, call), access);
            try {
                call.started(model.generate(scoped(spec, model, access), events));
                if (access != null) {
                    access.generating();
                }
            } catch (RuntimeException e) {
                running.remove(id, call);
                throw e;
            }
        } catch (RuntimeException e) {
            out.onError(toStatus(e));
        }
    }

    /**
     * {@code spec} as the call's key runs it ({@link ApiKeyInterceptor#scope}); where the server
     * schedules by priority, the priority it runs at goes to the call's access record.
     */
    private static GenerationSpec scoped(GenerationSpec spec, ServedModel model, AccessRecord access) {
        GenerationSpec scoped = ApiKeyInterceptor.scope().applyTo(spec);
        if (access != null && model.schedulesByPriority()) {
            access.priority(scoped.priority());
        }
        return scoped;
    }

    @Override
    public void embed(EmbedRequest request, StreamObserver<EmbedResponse> observer) {
        ServerCallStreamObserver<EmbedResponse> out = (ServerCallStreamObserver<EmbedResponse>) observer;
        try {
            ServedModel model = servingModel(request.getModel());
            if (request.getInputsCount() == 0) {
                throw new InvalidRequestException("inputs", "at least one input is required");
            }
            if (request.getInputsCount() > EmbeddingsApi.MAX_INPUTS) {
                throw new InvalidRequestException("inputs", "at most " + EmbeddingsApi.MAX_INPUTS + " inputs per request, got "
                        + request.getInputsCount());
            }
            List<int[]> prompts = new ArrayList<>();
            for (int i = 0; i < request.getInputsCount(); i++) {
                EmbedInput input = request.getInputs(i);
                String param = "inputs[" + i + "]";
                int[] ids = switch (input.getInputCase()) {
                    case TEXT -> model.prompts().embeddingText(input.getText(), param + ".text");
                    case TOKEN_IDS -> model.prompts().tokenIds(GenerateRequests.toInts(input.getTokenIds().getIdsList()),
                            param + ".token_ids");
                    default -> throw new InvalidRequestException(param, "set text or token_ids");
                };
                if (ids.length > model.maxSequenceLength()) {
                    throw new InvalidRequestException(param, "the input has " + ids.length + " tokens, more than the "
                            + model.maxSequenceLength() + " this model reads at once", "context_length_exceeded");
                }
                prompts.add(ids);
            }
            GenerationSpec spec = GenerationSpec.embeddings(prompts, "inputs", model.pooling(),
                    model.priority(request.getPriority(), "priority"))
                    .withAdapters(GenerateRequests.adapters(request.getModel(), request.hasLora() ? request.getLora() : null,
                            model));
            mayUse(request.getModel(), spec, model);
            EmbedCall call = new EmbedCall(out, prompts.size(), !request.hasNormalize() || request.getNormalize(),
                    model.pooling());
            Generation generation = model.generate(scoped(spec, model, AccessLogInterceptor.current()), call);
            out.setOnCancelHandler(generation::cancel);
        } catch (RuntimeException e) {
            out.onError(toStatus(e));
        }
    }

    @Override
    public void abort(AbortRequest request, StreamObserver<AbortResponse> observer) {
        RunningCall call = running.get(request.getRequestId());
        boolean found = call != null && call.abort();
        observer.onNext(AbortResponse.newBuilder().setFound(found).build());
        observer.onCompleted();
    }

    @Override
    public void tokenize(TokenizeRequest request, StreamObserver<TokenizeResponse> observer) {
        try {
            ServedModel model = loadedModel(request.getModel());
            int[] ids = switch (request.getInputCase()) {
                case TEXT -> model.tokenizer().encode(request.getText(),
                        (!request.hasAddSpecialTokens() || request.getAddSpecialTokens())
                                && model.tokenizer().addBosByDefault(), false);
                case MESSAGES -> model.prompts().chat(GenerateRequests.messages(request.getMessages().getMessagesList()),
                        "messages");
                default -> throw new InvalidRequestException("input", "set text or messages");
            };
            TokenizeResponse.Builder b = TokenizeResponse.newBuilder().setCount(ids.length)
                    .setMaxModelLen(model.maxSequenceLength());
            for (int id : ids) {
                b.addTokenIds(id);
            }
            observer.onNext(b.build());
            observer.onCompleted();
        } catch (RuntimeException e) {
            observer.onError(toStatus(e));
        }
    }

    @Override
    public void detokenize(DetokenizeRequest request, StreamObserver<DetokenizeResponse> observer) {
        try {
            ServedModel model = loadedModel(request.getModel());
            int[] ids = model.prompts().tokenIds(GenerateRequests.toInts(request.getTokenIdsList()), "token_ids");
            observer.onNext(DetokenizeResponse.newBuilder().setText(model.tokenizer().decode(ids)).build());
            observer.onCompleted();
        } catch (RuntimeException e) {
            observer.onError(toStatus(e));
        }
    }

    @Override
    public void getModelInfo(GetModelInfoRequest request, StreamObserver<ModelInfo> observer) {
        try {
            ServedModel model = loadedModel(request.getModel());
            ModelConfig c = model.config();
            ModelInfo.Builder info = ModelInfo.newBuilder();
            for (ServedAdapters.Served a : model.adapters().all()) {
                if (!ModelAccess.lists(ApiKeyInterceptor.MODELS.get(), a.name())) {
                    continue; // another tenant's
                }
                info.addLoraAdapters(LoraAdapterInfo.newBuilder().setId(a.id()).setName(a.name())
                        .setPath(a.adapter().path().toString()).setDefaultScale(model.adapters().defaultScale(a.id())));
            }
            observer.onNext(info.setId(model.name())
                    .setArchitecture(c.architecture().ggufName())
                    .setVocabSize(c.vocabSize()).setContextLength(c.contextLength())
                    .setMaxSequenceTokens(model.maxSequenceLength()).setLayers(c.layers())
                    .setExperts(c.expertCount()).setExpertsPerToken(c.expertUsedCount())
                    .setWeightType(model.weightType()).setEmbeddingLength(model.embeddingSize())
                    .setPooling(model.pooling().label()).build());
            observer.onCompleted();
        } catch (RuntimeException e) {
            observer.onError(toStatus(e));
        }
    }

    @Override
    public void getServerInfo(GetServerInfoRequest request, StreamObserver<ServerInfo> observer) {
        ServedModel model = health.model();
        ServerInfo.Builder b = ServerInfo.newBuilder().setVersion(version)
                .setDraining(health.state() == ServerHealth.State.DRAINING);
        if (model != null) {
            b.setRunning(model.running()).setWaiting(model.waiting()).setKvUsage(model.kvUsage())
                    .setMaxSequences(model.maxSequences()).setMaxBatchTokens(model.maxBatchTokens())
                    .setBackend(model.backendName());
        }
        observer.onNext(b.build());
        observer.onCompleted();
    }

    /** Stops the response threads once the calls' last messages are out (after the server shut down). */
    @Override
    public void close() {
        responders.shutdownGracefully(0, 2, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** The model for a generation: the server must be ready and the name must be ours (or empty). */
    private ServedModel servingModel(String name) {
        if (!health.isReady()) {
            throw Status.UNAVAILABLE.withDescription(health.state() == ServerHealth.State.DRAINING
                    ? "the server is shutting down and accepts no new requests" : "the model is still loading")
                    .asRuntimeException();
        }
        return named(health.model(), name);
    }

    /** The model for the utility calls, which work while draining too. */
    private ServedModel loadedModel(String name) {
        ServedModel model = health.model();
        if (model == null) {
            throw Status.UNAVAILABLE.withDescription("the model is still loading").asRuntimeException();
        }
        return named(model, name);
    }

    /** The served model, where {@code name} is empty, its own or one of its LoRA adapters'. */
    private static ServedModel named(ServedModel model, String name) {
        if (!name.isEmpty() && !name.equals(model.name()) && model.adapters().named(name).isEmpty()) {
            throw Status.NOT_FOUND.withDescription("model '" + name + "' is not served here; this server serves '"
                    + model.name() + "'").asRuntimeException();
        }
        return model;
    }

    /** @throws StatusRuntimeException NOT_FOUND where the generation would use a model or adapter the call's key may not */
    private static void mayUse(String named, GenerationSpec spec, ServedModel model) {
        String refused = ModelAccess.refused(named, spec, model,
                ApiKeyInterceptor.MODELS.get());
        if (refused != null) {
            throw Status.NOT_FOUND.withDescription("model: the model '" + refused + "' does not exist, or this API key "
                    + "may not use it").asRuntimeException();
        }
    }

    static StatusRuntimeException toStatus(RuntimeException e) {
        if (e instanceof StatusRuntimeException s) {
            return s;
        }
        if (e instanceof InvalidRequestException invalid) {
            String field = invalid.param() == null ? "" : invalid.param() + ": ";
            return Status.INVALID_ARGUMENT.withDescription(field + invalid.getMessage()).asRuntimeException();
        }
        if (e instanceof QueueFullException) {
            return Status.RESOURCE_EXHAUSTED.withDescription(e.getMessage()).asRuntimeException();
        }
        if (e instanceof SchedulerUnavailableException) {
            return Status.UNAVAILABLE.withDescription(e.getMessage()).asRuntimeException();
        }
        if (e instanceof IllegalArgumentException) {
            return Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException();
        }
        return Status.INTERNAL.withDescription("internal error: " + e).withCause(e).asRuntimeException();
    }
}
