package dev.switchyard.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.server.openai.ApiError;
import dev.switchyard.server.openai.ConversationsApi;
import io.netty.buffer.ByteBufInputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.QueryStringDecoder;

/**
 * The Conversations API's routes: {@code /v1/conversations} (POST), {@code /v1/conversations/{id}}
 * (GET, POST, DELETE), {@code /v1/conversations/{id}/items} (GET, POST) and
 * {@code /v1/conversations/{id}/items/{item}} (GET, DELETE). The caller has checked the API key.
 */
final class ConversationRoutes {

    static final String ROOT = "/v1/conversations";
    private static final String ITEMS = "items";

    private ConversationRoutes() {
    }

    static void route(ChannelHandlerContext ctx, FullHttpRequest request, String path, ApiContext api) {
        ConversationsApi conversations = api.conversations;
        HttpMethod method = request.method();
        // a conversation belongs to the key that made it: another key finds none
        String caller = ApiHandler.actingKey(ctx.channel(), request);
        if (path.equals(ROOT)) {
            ApiHandler.expect(method, HttpMethod.POST, path);
            JsonNode body = body(request, api);
            HttpResponses.sendOk(ctx, api.json.factory(), g -> conversations.create(body, caller, g));
            return;
        }
        String[] parts = ApiHandler.segments(method, path, ROOT);
        String id = parts[0];
        conversations.requireVisible(id, caller);
        if (parts.length == 1) {
            if (method.equals(HttpMethod.GET)) {
                HttpResponses.sendOk(ctx, api.json.factory(), g -> conversations.retrieve(id, g));
            } else if (method.equals(HttpMethod.POST)) {
                JsonNode body = body(request, api);
                HttpResponses.sendOk(ctx, api.json.factory(), g -> conversations.update(id, body, g));
            } else if (method.equals(HttpMethod.DELETE)) {
                HttpResponses.sendOk(ctx, api.json.factory(), g -> conversations.delete(id, g));
            } else {
                throw ApiError.methodNotAllowed(method.name(), path, "GET, POST or DELETE");
            }
        } else if (parts.length == 2 && parts[1].equals(ITEMS)) {
            if (method.equals(HttpMethod.GET)) {
                QueryStringDecoder query = new QueryStringDecoder(request.uri());
                HttpResponses.sendOk(ctx, api.json.factory(), g -> conversations.listItems(id,
                        ApiHandler.first(query, "order"), ApiHandler.first(query, "limit"),
                        ApiHandler.first(query, "after"), g));
            } else if (method.equals(HttpMethod.POST)) {
                JsonNode body = body(request, api);
                HttpResponses.sendOk(ctx, api.json.factory(), g -> conversations.addItems(id, body, g));
            } else {
                throw ApiError.methodNotAllowed(method.name(), path, "GET or POST");
            }
        } else if (parts.length == 3 && parts[1].equals(ITEMS)) {
            String item = parts[2];
            if (method.equals(HttpMethod.GET)) {
                HttpResponses.sendOk(ctx, api.json.factory(), g -> conversations.item(id, item, g));
            } else if (method.equals(HttpMethod.DELETE)) {
                HttpResponses.sendOk(ctx, api.json.factory(), g -> conversations.deleteItem(id, item, g));
            } else {
                throw ApiError.methodNotAllowed(method.name(), path, "GET or DELETE");
            }
        } else {
            throw ApiError.unknownRoute(method.name(), path);
        }
    }

    private static JsonNode body(FullHttpRequest request, ApiContext api) {
        return api.json.readObject(new ByteBufInputStream(request.content()));
    }
}
