package dev.switchyard.server.http;

import dev.switchyard.server.batch.FileStore;
import dev.switchyard.server.openai.ApiError;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.DefaultFileRegion;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.file.NoSuchFileException;

/**
 * The Files and Batch APIs' routes: {@code /v1/files} (GET; POST is an upload, read as it arrives by
 * {@link FileUploadHandler}), {@code /v1/files/{id}} (GET, DELETE), {@code /v1/files/{id}/content}
 * (GET), {@code /v1/batches} (GET, POST), {@code /v1/batches/{id}} (GET) and
 * {@code /v1/batches/{id}/cancel} (POST). The caller has checked the API key. Where requests need a
 * key, each client sees only the files and batches made with its own ({@link dev.switchyard.server.serving.KeyOwnership#visible}):
 * another's are not found.
 */
final class BatchRoutes {

    static final String FILES = "/v1/files";
    static final String BATCHES = "/v1/batches";

    private BatchRoutes() {
    }

    /** Whether {@code path} is one of these routes. */
    static boolean owns(String path) {
        return path.equals(FILES) || path.startsWith(FILES + "/") || path.equals(BATCHES) || path.startsWith(BATCHES + "/");
    }

    static void route(ChannelHandlerContext ctx, FullHttpRequest request, String path, ApiContext api) {
        HttpMethod method = request.method();
        QueryStringDecoder query = new QueryStringDecoder(request.uri());
        String caller = ApiHandler.actingKey(ctx.channel(), request);
        if (path.equals(FILES)) {
            ApiHandler.expect(method, HttpMethod.GET, path);
            HttpResponses.sendOk(ctx, api.json.factory(), g -> api.files.list(ApiHandler.first(query, "purpose"),
                    ApiHandler.first(query, "order"), ApiHandler.first(query, "limit"), ApiHandler.first(query, "after"),
                    caller, g));
            return;
        }
        if (path.equals(BATCHES)) {
            if (method.equals(HttpMethod.POST)) {
                var body = api.json.readObject(new io.netty.buffer.ByteBufInputStream(request.content()));
                HttpResponses.sendOk(ctx, api.json.factory(), g -> api.batches.create(body, caller, g));
            } else if (method.equals(HttpMethod.GET)) {
                HttpResponses.sendOk(ctx, api.json.factory(), g -> api.batches.list(ApiHandler.first(query, "limit"),
                        ApiHandler.first(query, "after"), caller, g));
            } else {
                throw ApiError.methodNotAllowed(method.name(), path, "GET or POST");
            }
            return;
        }
        boolean files = path.startsWith(FILES + "/");
        String[] parts = ApiHandler.segments(method, path, files ? FILES : BATCHES);
        String id = parts[0];
        if (parts.length == 1 && files) {
            if (method.equals(HttpMethod.GET)) {
                HttpResponses.sendOk(ctx, api.json.factory(), g -> api.files.retrieve(id, caller, g));
            } else if (method.equals(HttpMethod.DELETE)) {
                HttpResponses.sendOk(ctx, api.json.factory(), g -> api.files.delete(id, caller, g));
            } else {
                throw ApiError.methodNotAllowed(method.name(), path, "GET or DELETE");
            }
        } else if (parts.length == 2 && files && parts[1].equals("content")) {
            ApiHandler.expect(method, HttpMethod.GET, path);
            content(ctx, api.files.file(id, caller));
        } else if (parts.length == 1) {
            ApiHandler.expect(method, HttpMethod.GET, path);
            HttpResponses.sendOk(ctx, api.json.factory(), g -> api.batches.retrieve(id, caller, g));
        } else if (parts.length == 2 && parts[1].equals("cancel")) {
            ApiHandler.expect(method, HttpMethod.POST, path);
            HttpResponses.sendOk(ctx, api.json.factory(), g -> api.batches.cancel(id, caller, g));
        } else {
            throw ApiError.unknownRoute(method.name(), path);
        }
    }

    /** A file's bytes, straight from the disk to the socket. */
    private static void content(ChannelHandlerContext ctx, FileStore.StoredFile file) {
        try {
            sendFile(ctx, file.path(), "application/octet-stream", file.filename());
        } catch (NoSuchFileException e) {
            throw new ApiError(404, "invalid_request_error", "file '" + file.id() + "' was deleted", "file_id",
                    "file_not_found");
        } catch (java.io.IOException e) {
            throw ApiError.internal("file '" + file.id() + "' cannot be read: " + e.getMessage());
        }
    }

    /** Sends {@code path} as the body of a 200, from the disk to the socket, as an attachment named {@code filename}. */
    static void sendFile(ChannelHandlerContext ctx, java.nio.file.Path path, String contentType, String filename)
            throws java.io.IOException {
        java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(path);
        long size = channel.size();
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        head.headers().set(HttpHeaderNames.CONTENT_DISPOSITION, "attachment; filename=\""
                + filename.replaceAll("[\"\\\\\\r\\n]", "_") + "\"");
        head.headers().set(HttpHeaderNames.CONTENT_LENGTH, size);
        ctx.write(head);
        ctx.write(new DefaultFileRegion(channel, 0, size)); // closes the channel once written
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
    }
}
