package dev.switchyard.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.switchyard.server.openai.ApiError;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Building and sending whole responses: JSON bodies, OpenAI-shaped errors, plain text. */
final class HttpResponses {

    /** Writes one JSON value. */
    @FunctionalInterface
    interface JsonWriter {
        void write(JsonGenerator g) throws IOException;
    }

    private HttpResponses() {
    }

    /** JSON written straight into a pooled buffer, after {@code prefix} and before {@code suffix}. */
    static ByteBuf json(ByteBufAllocator alloc, JsonFactory factory, byte[] prefix, JsonWriter writer, byte[] suffix) {
        ByteBuf buf = alloc.buffer(256);
        try {
            buf.writeBytes(prefix);
            try (JsonGenerator g = factory.createGenerator((OutputStream) new ByteBufOutputStream(buf))) {
                writer.write(g);
            }
            buf.writeBytes(suffix);
            return buf;
        } catch (IOException e) {
            buf.release();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            buf.release();
            throw e;
        }
    }

    static void sendJson(ChannelHandlerContext ctx, JsonFactory factory, HttpResponseStatus status, JsonWriter writer,
                         boolean close) {
        ByteBuf body = json(ctx.alloc(), factory, new byte[0], writer, new byte[0]);
        send(ctx, status, body, HttpHeaderValues.APPLICATION_JSON.toString(), close);
    }

    static void sendError(ChannelHandlerContext ctx, JsonFactory factory, ApiError error, boolean close) {
        sendJson(ctx, factory, HttpResponseStatus.valueOf(error.status()), error::write, close);
    }

    static void sendText(ChannelHandlerContext ctx, HttpResponseStatus status, String text, String contentType) {
        ByteBuf body = ctx.alloc().buffer(text.length());
        body.writeCharSequence(text, StandardCharsets.UTF_8);
        send(ctx, status, body, contentType, false);
    }

    static void send(ChannelHandlerContext ctx, HttpResponseStatus status, ByteBuf body, String contentType, boolean close) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        if (close) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.writeAndFlush(response);
        }
    }
}
