package dev.switchyard.server.http;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.engine.schedule.QueueFullException;
import dev.switchyard.engine.schedule.SchedulerUnavailableException;
import dev.switchyard.server.accesslog.AccessRecord;
import dev.switchyard.server.openai.AnthropicMessages;
import dev.switchyard.server.openai.ApiError;
import dev.switchyard.server.openai.BackgroundResponses;
import dev.switchyard.server.openai.EventLog;
import dev.switchyard.server.openai.LlamaCppCompletions;
import dev.switchyard.server.openai.LoraAdaptersApi;
import dev.switchyard.server.openai.ChatRequests;
import dev.switchyard.server.openai.CompletionRenderer;
import dev.switchyard.server.openai.CompletionRequests;
import dev.switchyard.server.openai.EmbeddingsApi;
import dev.switchyard.server.openai.OpenAiRequest;
import dev.switchyard.server.openai.ScoringApi;
import dev.switchyard.server.openai.ResponseRenderer;
import dev.switchyard.server.openai.ResponsesApi;
import dev.switchyard.server.openai.UtilityApi;
import dev.switchyard.server.serving.InvalidRequestException;
import dev.switchyard.server.serving.KeyScope;
import dev.switchyard.server.serving.ModelAccess;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.Usage;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Routes each request to its endpoint and answers errors in OpenAI's shape (Anthropic's for its
 * Messages API). Runs on the channel's
 * API executor, not the event loop: parsing, tokenizing and chat templates take real CPU time. One
 * request at a time per connection (HTTP/1.1 without pipelining).
 */
final class ApiHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger LOG = Logger.getLogger(ApiHandler.class.getName());

    private final ApiContext api;
    private OpenRequest exchange;

    ApiHandler(ApiContext api) {
        this.api = api;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (request.decoderResult().isFailure()) {
            rejectMalformed(ctx, request.decoderResult().cause());
            return;
        }
        if (exchange != null && !exchange.isEnded()) {
            ApiError refused = ApiError.invalid(null,
                    "a request is still in progress on this connection (pipelining is not supported)");
            ctx.write(AccessNote.refusingTheLatest(refused), ctx.voidPromise());
            HttpResponses.sendJson(ctx, api.json.factory(), HttpResponseStatus.valueOf(refused.status()), refused::write,
                    true);
            return;
        }
        String uri = request.uri();
        int query = uri.indexOf('?');
        String path = query >= 0 ? uri.substring(0, query) : uri;
        // Anthropic's clients read errors of that API's shape
        boolean anthropic = path.equals(MESSAGES) || path.equals(COUNT_TOKENS) || MessageBatchRoutes.owns(path);
        try {
            route(ctx, request, path);
        } catch (ApiError e) {
            sendError(ctx, e, anthropic);
        } catch (InvalidRequestException e) {
            sendError(ctx, ApiError.of(e), anthropic);
        } catch (QueueFullException e) {
            sendError(ctx, ApiError.overloaded(e.getMessage()), anthropic);
        } catch (SchedulerUnavailableException e) {
            sendError(ctx, ApiError.unavailable(e.getMessage()), anthropic);
        } catch (RuntimeException e) {
            LOG.log(Level.SEVERE, "request failed: " + request.method() + " " + path, e);
            sendError(ctx, ApiError.internal("internal error: " + e), anthropic);
        }
    }

    private void sendError(ChannelHandlerContext ctx, ApiError e, boolean anthropic) {
        ctx.write(AccessNote.of(e), ctx.voidPromise());
        HttpResponses.sendJson(ctx, api.json.factory(), HttpResponseStatus.valueOf(e.status()),
                anthropic ? e::writeAnthropic : e::write, false);
    }

    /** Anthropic's Messages API, for clients written against it. */
    private static final String MESSAGES = "/v1/messages";
    private static final String COUNT_TOKENS = "/v1/messages/count_tokens";

    private void route(ChannelHandlerContext ctx, FullHttpRequest request, String path) {
        HttpMethod method = request.method();
        switch (path) {
            case "/v1/completions", "/v1/chat/completions" -> {
                expect(method, HttpMethod.POST, path);
                authorize(request);
                ServedModel model = readyModel();
                JsonNode body = readBody(request);
                OpenAiRequest parsed = path.equals("/v1/completions")
                        ? CompletionRequests.parse(body, model, api.config.limits())
                        : ChatRequests.parse(body, model, api.config.limits(), api.json.mapper());
                CompletionRenderer renderer = path.equals("/v1/completions")
                        ? CompletionRenderer.completions(model, parsed) : CompletionRenderer.chat(model, parsed);
                mayUse(ctx, request, model, renderer);
                startGeneration(ctx, request, model, renderer);
            }
            case "/v1/responses" -> {
                expect(method, HttpMethod.POST, path);
                authorize(request);
                ServedModel model = readyModel();
                ResponseRenderer renderer = ResponsesApi.renderer(readBody(request), model, api.config.limits(),
                        api.json.mapper(), api.responses, api.conversations, actingKey(ctx.channel(), request));
                mayUse(ctx, request, model, renderer);
                if (BackgroundResponses.streamed(renderer)) {
                    follow(ctx, api.background.startStreamed(model, renderer, api.json.factory(),
                            scope(ctx, request, model, renderer), usageOf(ctx, request, model)), -1);
                } else if (BackgroundResponses.wanted(renderer)) {
                    String queued = api.background.start(model, renderer, scope(ctx, request, model, renderer),
                            usageOf(ctx, request, model));
                    HttpResponses.sendJson(ctx, api.json.factory(), HttpResponseStatus.OK, g -> g.writeRawValue(queued),
                            false);
                } else {
                    startGeneration(ctx, request, model, renderer);
                }
            }
            case "/v1/embeddings" -> generate(ctx, request, path, EmbeddingsApi::renderer);
            case "/v1/score", "/score" -> generate(ctx, request, path, ScoringApi::scoreRenderer);
            case "/v1/rerank", "/rerank", "/v2/rerank" -> generate(ctx, request, path, ScoringApi::rerankRenderer);
            // llama.cpp's own embedding API (llama-server serves both paths)
            case "/embedding", "/embeddings" -> generate(ctx, request, path, EmbeddingsApi::llamaCppRenderer);
            // llama.cpp's own completion API (llama-server serves both paths)
            case "/completion", "/completions" -> generate(ctx, request, path, (body, model) ->
                    LlamaCppCompletions.renderer(body, model, api.config.limits(), api.json.mapper()));
            // llama.cpp's code completion (fill in the middle, with the project's other files)
            case "/infill" -> generate(ctx, request, path, (body, model) ->
                    LlamaCppCompletions.infillRenderer(body, model, api.config.limits(), api.json.mapper()));
            case "/props" -> {
                expect(method, HttpMethod.GET, path);
                authorize(request);
                ServedModel model = readyModel();
                HttpResponses.sendJson(ctx, api.json.factory(), HttpResponseStatus.OK,
                        g -> UtilityApi.writeProps(g, model, api.version), false);
            }
            case MESSAGES -> generate(ctx, request, path, (body, model) ->
                    AnthropicMessages.renderer(body, model, api.config.limits(), api.json.mapper()));
            case COUNT_TOKENS -> answer(ctx, request, path, (body, model, g) ->
                    AnthropicMessages.countTokens(body, model, api.config.limits(), api.json.mapper(), g));
            case "/v1/models" -> {
                expect(method, HttpMethod.GET, path);
                authorize(request);
                ServedModel model = readyModel();
                HttpResponses.sendJson(ctx, api.json.factory(), HttpResponseStatus.OK, g -> UtilityApi.writeModels(g, model, allowedModels(ctx, request)), false);
            }
            // vLLM's: LoRA adapters loaded and unloaded while serving (--allow-runtime-lora-updating)
            case "/v1/load_lora_adapter", "/v1/unload_lora_adapter" -> {
                expect(method, HttpMethod.POST, path);
                authorize(request);
                if (allowedModels(ctx, request) != null) {
                    throw ApiError.keyMayNotManageAdapters();
                }
                ServedModel model = readyModel();
                JsonNode body = readBody(request);
                String done = path.equals("/v1/load_lora_adapter")
                        ? LoraAdaptersApi.load(body, model, api.config.runtimeLora())
                        : LoraAdaptersApi.unload(body, model, api.config.runtimeLora());
                HttpResponses.sendText(ctx, HttpResponseStatus.OK, done, "text/plain; charset=utf-8");
            }
            // llama.cpp's: the loaded LoRA adapters and the scales requests apply them at by default
            case "/lora-adapters" -> {
                if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.POST)) {
                    throw ApiError.methodNotAllowed(method.name(), path, "GET or POST");
                }
                authorize(request);
                ServedModel model = readyModel();
                if (method.equals(HttpMethod.POST)) {
                    if (allowedModels(ctx, request) != null) {
                        throw ApiError.keyMayNotManageAdapters();
                    }
                    // a list, not an object: read as llama-server reads it
                    JsonNode body = api.json.readValue(new ByteBufInputStream(request.content()));
                    HttpResponses.sendJson(ctx, api.json.factory(), HttpResponseStatus.OK,
                            g -> LoraAdaptersApi.set(body, model, g), false);
                } else {
                    HttpResponses.sendJson(ctx, api.json.factory(), HttpResponseStatus.OK,
                            g -> LoraAdaptersApi.list(g, model, allowedModels(ctx, request)), false);
                }
            }
            case "/tokenize" -> answer(ctx, request, path, (body, model, g) ->
                    UtilityApi.tokenize(body, model, api.json.mapper(), g));
            // llama.cpp's: the chat template's prompt text for a conversation
            case "/apply-template" -> answer(ctx, request, path, (body, model, g) ->
                    ChatRequests.applyTemplate(body, model, api.json.mapper(), g));
            case "/detokenize" -> answer(ctx, request, path, UtilityApi::detokenize);
            case "/health" -> {
                expect(method, HttpMethod.GET, path);
                readyModel();
                HttpResponses.sendJson(ctx, api.json.factory(), HttpResponseStatus.OK, g -> {
                    g.writeStartObject();
                    g.writeStringField("status", "ok");
                    g.writeEndObject();
                }, false);
            }
            case "/version" -> {
                expect(method, HttpMethod.GET, path);
                HttpResponses.sendJson(ctx, api.json.factory(), HttpResponseStatus.OK, g -> {
                    g.writeStartObject();
                    g.writeStringField("version", api.version);
                    g.writeEndObject();
                }, false);
            }
            case "/metrics" -> {
                expect(method, HttpMethod.GET, path);
                ServedModel model = api.health.model();
                if (model == null) {
                    throw ApiError.unavailable("the model is still loading");
                }
                HttpResponses.sendText(ctx, HttpResponseStatus.OK, model.metrics().scrape(), model.metrics().contentType());
            }
            default -> {
                boolean messageBatches = MessageBatchRoutes.owns(path);
                if (messageBatches || BatchRoutes.owns(path)) {
                    authorize(request);
                    if (method.equals(HttpMethod.POST)) {
                        readyModel(); // a batch made while the server loads or drains would never run
                    }
                    if (messageBatches) {
                        MessageBatchRoutes.route(ctx, request, path, api);
                    } else {
                        BatchRoutes.route(ctx, request, path, api);
                    }
                    return;
                }
                if (path.equals(ConversationRoutes.ROOT) || path.startsWith(ConversationRoutes.ROOT + "/")) {
                    authorize(request);
                    ConversationRoutes.route(ctx, request, path, api);
                    return;
                }
                if (path.startsWith(RESPONSE_PREFIX) && path.endsWith(INPUT_ITEMS)
                        && path.length() > RESPONSE_PREFIX.length() + INPUT_ITEMS.length()) {
                    inputItems(ctx, request, path.substring(RESPONSE_PREFIX.length(), path.length() - INPUT_ITEMS.length()));
                    return;
                }
                if (path.startsWith(RESPONSE_PREFIX) && path.endsWith(CANCEL)
                        && path.length() > RESPONSE_PREFIX.length() + CANCEL.length()) {
                    cancelResponse(ctx, request, path.substring(RESPONSE_PREFIX.length(), path.length() - CANCEL.length()));
                    return;
                }
                if (path.startsWith(RESPONSE_PREFIX) && path.length() > RESPONSE_PREFIX.length()) {
                    keptResponse(ctx, request, path.substring(RESPONSE_PREFIX.length()));
                    return;
                }
                if (!path.startsWith(MODEL_PREFIX) || path.length() == MODEL_PREFIX.length()) {
                    throw ApiError.unknownRoute(method.name(), path);
                }
                expect(method, HttpMethod.GET, path);
                authorize(request);
                ServedModel model = readyModel();
                String id = modelId(path);
                var adapter = model.adapters().named(id);
                if (!id.equals(model.name()) && adapter.isEmpty()) {
                    throw ApiError.modelNotFound(id, model.name());
                }
                if (!ModelAccess.lists(allowedModels(ctx, request), id)) {
                    throw ApiError.modelNotAllowed(id);
                }
                HttpResponses.sendJson(ctx, api.json.factory(), HttpResponseStatus.OK, g -> {
                    if (adapter.isPresent()) {
                        UtilityApi.writeAdapter(g, model, adapter.get());
                    } else {
                        UtilityApi.writeModel(g, model);
                    }
                }, false);
            }
        }
    }

    /** What a {@code POST} answered at once writes, from its body, for the served model. */
    @FunctionalInterface
    private interface JsonAnswer {
        void write(JsonNode body, ServedModel model, JsonGenerator g) throws java.io.IOException;
    }

    /** A {@code POST} answered at once (tokenizing, counting, templating): the key checked, the body read, the reply written. */
    private void answer(ChannelHandlerContext ctx, FullHttpRequest request, String path, JsonAnswer answer) {
        expect(request.method(), HttpMethod.POST, path);
        authorize(request);
        ServedModel model = readyModel();
        JsonNode body = readBody(request);
        HttpResponses.sendJson(ctx, api.json.factory(), HttpResponseStatus.OK, g -> answer.write(body, model, g), false);
    }

    /** A {@code POST} that generates (or embeds): the key checked, the body read into a renderer, the work started. */
    private void generate(ChannelHandlerContext ctx, FullHttpRequest request, String path,
                          java.util.function.BiFunction<JsonNode, ServedModel, ResponseRenderer> renderer) {
        expect(request.method(), HttpMethod.POST, path);
        authorize(request);
        ServedModel model = readyModel();
        ResponseRenderer rendering = renderer.apply(readBody(request), model);
        mayUse(ctx, request, model, rendering);
        startGeneration(ctx, request, model, rendering);
    }

    /** {@code GET} or {@code DELETE /v1/responses/{id}}: a kept response, as OpenAI's "retrieve" and "delete". */
    private static final String RESPONSE_PREFIX = "/v1/responses/";

    private void keptResponse(ChannelHandlerContext ctx, FullHttpRequest request, String id) {
        HttpMethod method = request.method();
        if (!method.equals(HttpMethod.GET) && !method.equals(HttpMethod.DELETE)) {
            throw ApiError.methodNotAllowed(method.name(), RESPONSE_PREFIX + id, "GET or DELETE");
        }
        authorize(request);
        mayReach(ctx, request, id);
        QueryStringDecoder query = new QueryStringDecoder(request.uri());
        if (method.equals(HttpMethod.GET) && "true".equals(first(query, "stream"))) {
            streamResponse(ctx, id, first(query, "starting_after"));
            return;
        }
        String running = api.background.inProgress(id);
        if (running != null && method.equals(HttpMethod.DELETE)) {
            api.background.drop(id);
        }
        String json = method.equals(HttpMethod.GET) ? (running != null ? running : api.responses.json(id)) : null;
        boolean found = method.equals(HttpMethod.GET) ? json != null : api.responses.delete(id) || running != null;
        if (!found) {
            throw notKept(id);
        }
        if (json != null) {
            HttpResponses.sendJson(ctx, api.json.factory(), HttpResponseStatus.OK, g -> g.writeRawValue(json), false);
            return;
        }
        HttpResponses.sendJson(ctx, api.json.factory(), HttpResponseStatus.OK, g -> {
            g.writeStartObject();
            g.writeStringField("id", id);
            g.writeStringField("object", "response");
            g.writeBooleanField("deleted", true);
            g.writeEndObject();
        }, false);
    }

    /**
     * {@code GET /v1/responses/{id}?stream=true[&starting_after=N]}: a streamed background response's
     * events after the N-th (all without it), then the rest as they come.
     */
    private void streamResponse(ChannelHandlerContext ctx, String id, String startingAfter) {
        int after = -1;
        if (startingAfter != null) {
            try {
                after = Integer.parseInt(startingAfter);
            } catch (NumberFormatException e) {
                throw ApiError.invalid("starting_after", "starting_after must be an event's sequence_number, got '"
                        + startingAfter + "'");
            }
            if (after < -1) {
                throw ApiError.invalid("starting_after", "starting_after must be 0 or more, got " + after);
            }
        }
        EventLog log = api.background.events(id);
        if (log == null) {
            if (api.background.inProgress(id) != null || api.responses.json(id) != null) {
                throw ApiError.invalid("stream", "response '" + id + "' has no events to stream: only a response made "
                        + "with background and stream both true is streamed again (or its events are no longer kept)");
            }
            throw notKept(id);
        }
        follow(ctx, log, after);
    }

    /** This connection reads {@code log} from after its {@code after}-th event. */
    private void follow(ChannelHandlerContext ctx, EventLog log, int after) {
        api.openExchanges.incrementAndGet();
        exchange = EventLogReader.start(ctx, log, after, api.openExchanges::decrementAndGet);
    }

    private static final String CANCEL = "/cancel";

    /**
     * @throws ApiError 404, as for a response never made, where response {@code id} (kept, or being
     *                  made in the background) belongs to another key than the one {@code request} acts for
     */
    private void mayReach(ChannelHandlerContext ctx, FullHttpRequest request, String id) {
        String caller = actingKey(ctx.channel(), request);
        if (!api.background.visibleTo(id, caller) || !api.responses.visibleTo(id, caller)) {
            throw notKept(id);
        }
    }

    /** The 404 for a response id this server keeps nothing under. */
    private static ApiError notKept(String id) {
        return new ApiError(404, "invalid_request_error", "no response '" + id + "' is kept here", null,
                "response_not_found");
    }

    /**
     * {@code POST /v1/responses/{id}/cancel}: a background response still being made stops, and
     * answers {@code cancelled}; one that ended answers as it was kept; another is a 400.
     */
    private void cancelResponse(ChannelHandlerContext ctx, FullHttpRequest request, String id) {
        expect(request.method(), HttpMethod.POST, RESPONSE_PREFIX + id + CANCEL);
        authorize(request);
        mayReach(ctx, request, id);
        String json = api.background.cancel(id);
        if (json == null) {
            String kept = api.responses.json(id);
            if (kept == null) {
                throw notKept(id);
            }
            if (!api.responses.madeInBackground(id)) {
                throw ApiError.invalid(null, "only a background response can be cancelled; '" + id + "' was not made "
                        + "in the background");
            }
            json = kept;
        }
        String body = json;
        HttpResponses.sendJson(ctx, api.json.factory(), HttpResponseStatus.OK, g -> g.writeRawValue(body), false);
    }

    private static final String INPUT_ITEMS = "/input_items";

    /** {@code GET /v1/responses/{id}/input_items}: a page of a kept response's input items. */
    private void inputItems(ChannelHandlerContext ctx, FullHttpRequest request, String id) {
        expect(request.method(), HttpMethod.GET, RESPONSE_PREFIX + id + INPUT_ITEMS);
        authorize(request);
        mayReach(ctx, request, id);
        String items = api.responses.inputItems(id);
        if (items == null) {
            throw notKept(id);
        }
        QueryStringDecoder query = new QueryStringDecoder(request.uri());
        HttpResponses.sendJson(ctx, api.json.factory(), HttpResponseStatus.OK, g -> ResponsesApi.writeInputItems(g, items,
                first(query, "order"), first(query, "limit"), first(query, "after"), api.json.mapper()), false);
    }

    static String first(QueryStringDecoder query, String name) {
        List<String> values = query.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    /** {@code GET /v1/models/{id}}: one model, as OpenAI's "retrieve model". */
    private static final String MODEL_PREFIX = "/v1/models/";

    /** The id in {@code /v1/models/{id}}: it may hold '/' (e.g. "org/name"), sent as is or percent-encoded. */
    private static String modelId(String path) {
        try {
            return URLDecoder.decode(path.substring(MODEL_PREFIX.length()).replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(null, "malformed percent-encoding in the model id of " + path);
        }
    }

    /**
     * What the key {@code request} acts for changes about its generation (whose cached prompt blocks
     * it may share, its priority level); where the server schedules by priority, the priority it
     * runs at goes to its access record.
     */
    private KeyScope scope(ChannelHandlerContext ctx, FullHttpRequest request, ServedModel model,
                           ResponseRenderer renderer) {
        KeyScope scope = api.apiKey.keys().scopeOf(actingKey(ctx.channel(), request));
        AccessRecord record = AccessLogHandler.recordOf(ctx.channel(), request);
        if (record != null && model.schedulesByPriority()) {
            record.priority(scope.priority(renderer.request().spec().priority()));
        }
        return scope;
    }

    /** The models and adapters the key {@code request} acts for may use ({@code models=} in the key file); null for every one. */
    private java.util.Set<String> allowedModels(ChannelHandlerContext ctx, FullHttpRequest request) {
        return api.apiKey.keys().modelsOf(actingKey(ctx.channel(), request));
    }

    /** @throws ApiError 404 where the generation would use a model or adapter its key may not */
    private void mayUse(ChannelHandlerContext ctx, FullHttpRequest request, ServedModel model, ResponseRenderer renderer) {
        String refused = ModelAccess.refused(renderer.request().spec(), model, allowedModels(ctx, request));
        if (refused != null) {
            throw ApiError.modelNotAllowed(refused);
        }
    }

    /**
     * The name of the key {@code request} acts for, as the access log's handler read it: the key it
     * presented, or for a batch's request the key that made the batch ({@link AccessRecord#usageKey});
     * null where requests need no key.
     *
     * @throws ApiError where its record has ended already (its connection closed): nothing is answered then
     */
    static String actingKey(io.netty.channel.Channel channel, io.netty.handler.codec.http.HttpRequest request) {
        AccessRecord record = AccessLogHandler.recordOf(channel, request);
        if (record == null) {
            throw ApiError.invalid(null, "the request's connection has closed");
        }
        return record.usageKey();
    }

    /**
     * Where a background response's usage goes when it ends, long after its request was answered:
     * to the request's access record, so that its key is charged for the tokens (the access log's
     * line has been written by then, without them).
     */
    private static Consumer<Usage> usageOf(ChannelHandlerContext ctx, FullHttpRequest request, ServedModel model) {
        AccessRecord record = AccessLogHandler.recordOf(ctx.channel(), request);
        return record == null ? usage -> { } : usage -> record.generated(new AccessRecord.Generated(model.name(), false,
                usage.promptTokens(), usage.completionTokens(), usage.cachedTokens(), 0, 0, null, 0));
    }

    private void startGeneration(ChannelHandlerContext ctx, FullHttpRequest request, ServedModel model,
                                 ResponseRenderer renderer) {
        KeyScope scope = scope(ctx, request, model, renderer);
        GenerationExchange started = new GenerationExchange(ctx, AccessLogHandler.recordOf(ctx.channel(), request),
                api.json.factory(), renderer,
                api.openExchanges::decrementAndGet);
        api.openExchanges.incrementAndGet();
        try {
            started.start(model, scope);
        } catch (RuntimeException e) {
            api.openExchanges.decrementAndGet();
            throw e;
        }
        exchange = started;
    }

    /**
     * The segments of {@code path} after {@code root} and its '/': at least one, none empty.
     *
     * @throws ApiError 404 when one is empty
     */
    static String[] segments(HttpMethod method, String path, String root) {
        String[] parts = path.substring(root.length() + 1).split("/", -1);
        for (String part : parts) {
            if (part.isEmpty()) {
                throw ApiError.unknownRoute(method.name(), path);
            }
        }
        return parts;
    }

    static void expect(HttpMethod method, HttpMethod allowed, String path) {
        if (!method.equals(allowed)) {
            throw ApiError.methodNotAllowed(method.name(), path, allowed.name());
        }
    }

    private static final String X_API_KEY = "x-api-key";

    private void authorize(FullHttpRequest request) {
        authorize(api, request);
    }

    /** @throws ApiError 401 unless the request carries the server's API key (where it has one) */
    static void authorize(ApiContext api, io.netty.handler.codec.http.HttpRequest request) {
        if (!api.apiKey.accepts(request.headers().get(HttpHeaderNames.AUTHORIZATION), request.headers().get(X_API_KEY))) {
            throw ApiError.unauthorized();
        }
        String busy = request.headers().get(AccessLogHandler.OVER_BOUND);
        if (busy != null) {
            throw ApiError.keyBusy(busy, api.apiKey.concurrencyOf(busy));
        }
        String limited = request.headers().get(AccessLogHandler.RATE_LIMITED);
        if (limited != null) {
            throw ApiError.keyRateLimited(limited);
        }
    }

    private ServedModel readyModel() {
        return readyModel(api);
    }

    /** The model, or 503 while it loads or while the server drains. */
    static ServedModel readyModel(ApiContext api) {
        return switch (api.health.state()) {
            case READY -> api.health.model();
            case LOADING -> throw ApiError.unavailable("the model is still loading; retry shortly");
            case DRAINING -> throw ApiError.unavailable("the server is shutting down and accepts no new requests");
        };
    }

    private JsonNode readBody(FullHttpRequest request) {
        return api.json.readObject(new ByteBufInputStream(request.content()));
    }

    private void rejectMalformed(ChannelHandlerContext ctx, Throwable cause) {
        ApiError error;
        if (cause instanceof TooLongHttpHeaderException) {
            error = new ApiError(431, "invalid_request_error", "the request headers are larger than this server accepts ("
                    + api.config.maxHeaderBytes() + " bytes)", null, "headers_too_large");
        } else if (cause instanceof TooLongHttpLineException) {
            error = new ApiError(414, "invalid_request_error", "the request line is longer than this server accepts ("
                    + api.config.maxHeaderBytes() + " bytes)", null, "uri_too_long");
        } else if (cause instanceof TooLongFrameException) {
            error = ApiError.tooLarge(api.config.maxBodyBytes());
        } else {
            error = ApiError.invalid(null, "malformed HTTP request: " + cause.getMessage());
        }
        // The decoder discards the rest of the connection after a malformed request: close it.
        HttpResponses.sendError(ctx, api.json.factory(), error, true);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (exchange != null && !exchange.isEnded() && exchange.clientLeft()) {
            ServedModel model = api.health.model();
            if (model != null) {
                model.metrics().clientDisconnected();
            }
        }
        super.channelInactive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent) {
            // Idle means no request in progress: a long generation without streaming is quiet, not idle.
            if (exchange == null || exchange.isEnded()) {
                ctx.close();
            }
            return;
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.log(Level.FINE, "connection error; closing", cause);
        ctx.close();
    }
}
