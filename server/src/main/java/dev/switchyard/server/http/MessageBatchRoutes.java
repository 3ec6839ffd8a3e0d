package dev.switchyard.server.http;

import dev.switchyard.server.openai.ApiError;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;

/**
 * Anthropic's Message Batches routes: {@code /v1/messages/batches} (GET, POST),
 * {@code /v1/messages/batches/{id}} (GET, DELETE), {@code /v1/messages/batches/{id}/cancel} (POST)
 * and {@code /v1/messages/batches/{id}/results} (GET). The caller has checked the API key; errors are
 * written in Anthropic's shape.
 */
final class MessageBatchRoutes {

    static final String ROOT = "/v1/messages/batches";

    private MessageBatchRoutes() {
    }

    static boolean owns(String path) {
        return path.equals(ROOT) || path.startsWith(ROOT + "/");
    }

    static void route(ChannelHandlerContext ctx, FullHttpRequest request, String path, ApiContext api) {
        HttpMethod method = request.method();
        String base = base(request);
        QueryStringDecoder query = new QueryStringDecoder(request.uri());
        String caller = ApiHandler.actingKey(ctx.channel(), request);
        if (path.equals(ROOT)) {
            if (method.equals(HttpMethod.POST)) {
                var body = api.json.readObject(new io.netty.buffer.ByteBufInputStream(request.content()));
                HttpResponses.sendOk(ctx, api.json.factory(), g -> api.messageBatches.create(body, caller, base, g));
            } else if (method.equals(HttpMethod.GET)) {
                HttpResponses.sendOk(ctx, api.json.factory(), g -> api.messageBatches.list(
                        ApiHandler.first(query, "limit"), ApiHandler.first(query, "after_id"),
                        ApiHandler.first(query, "before_id"), caller, base, g));
            } else {
                throw ApiError.methodNotAllowed(method.name(), path, "GET or POST");
            }
            return;
        }
        String[] parts = ApiHandler.segments(method, path, ROOT);
        String id = parts[0];
        if (parts.length == 1) {
            if (method.equals(HttpMethod.GET)) {
                HttpResponses.sendOk(ctx, api.json.factory(), g -> api.messageBatches.retrieve(id, caller, base, g));
            } else if (method.equals(HttpMethod.DELETE)) {
                HttpResponses.sendOk(ctx, api.json.factory(), g -> api.messageBatches.delete(id, caller, g));
            } else {
                throw ApiError.methodNotAllowed(method.name(), path, "GET or DELETE");
            }
        } else if (parts.length == 2 && parts[1].equals("cancel")) {
            ApiHandler.expect(method, HttpMethod.POST, path);
            HttpResponses.sendOk(ctx, api.json.factory(), g -> api.messageBatches.cancel(id, caller, base, g));
        } else if (parts.length == 2 && parts[1].equals("results")) {
            ApiHandler.expect(method, HttpMethod.GET, path);
            try {
                BatchRoutes.sendFile(ctx, api.messageBatches.results(id, caller), "application/x-jsonl", id + "_results.jsonl");
            } catch (java.io.IOException e) {
                throw ApiError.internal("the results of '" + id + "' cannot be read: " + e.getMessage());
            }
        } else {
            throw ApiError.unknownRoute(method.name(), path);
        }
    }

    /**
     * The base URL the client reached this server at, which a batch's {@code results_url} starts with
     * (Anthropic's SDKs fetch that URL as it is): its {@code Host}, behind a proxy its forwarded scheme.
     */
    private static String base(FullHttpRequest request) {
        String host = request.headers().get(HttpHeaderNames.HOST);
        String scheme = request.headers().get("X-Forwarded-Proto");
        if (scheme == null || !(scheme.equals("http") || scheme.equals("https"))) {
            scheme = "http";
        }
        if (host == null || host.isBlank() || !host.matches("[A-Za-z0-9.\\-_:\\[\\]]+")) {
            return "";
        }
        return scheme + "://" + host;
    }
}
