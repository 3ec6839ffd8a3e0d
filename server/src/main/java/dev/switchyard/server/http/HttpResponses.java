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
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
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

    /** Starts a server-sent event stream: a 200 head, chunked, not cached (written, not flushed). */
    static void writeEventStreamHead(ChannelHandlerContext ctx) {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/event-stream; charset=utf-8");
        head.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        HttpUtil.setTransferEncodingChunked(head, true);
        ctx.write(head, ctx.voidPromise());
    }

    /** What ends a server-sent event. */
    static final byte[] EVENT_END = "\n\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EVENT = "event: ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DATA = "data: ".getBytes(StandardCharsets.US_ASCII);

    /** What goes before an event's JSON: an {@code event:} line where it is named (null: none), then {@code data: }. */
    static byte[] eventPrefix(String name) {
        if (name == null) {
            return DATA;
        }
        byte[] line = (name + "\n").getBytes(StandardCharsets.UTF_8);
        byte[] prefix = new byte[EVENT.length + line.length + DATA.length];
        System.arraycopy(EVENT, 0, prefix, 0, EVENT.length);
        System.arraycopy(line, 0, prefix, EVENT.length, line.length);
        System.arraycopy(DATA, 0, prefix, EVENT.length + line.length, DATA.length);
        return prefix;
    }

    static void sendJson(ChannelHandlerContext ctx, JsonFactory factory, HttpResponseStatus status, JsonWriter writer,
                         boolean close) {
        ByteBuf body = json(ctx.alloc(), factory, new byte[0], writer, new byte[0]);
        send(ctx, status, body, HttpHeaderValues.APPLICATION_JSON.toString(), close);
    }

    /** 200 with what {@code writer} writes; an {@link ApiError} it throws first is the answer instead. */
    static void sendOk(ChannelHandlerContext ctx, JsonFactory factory, JsonWriter writer) {
        sendJson(ctx, factory, HttpResponseStatus.OK, writer, false);
    }

    static void sendError(ChannelHandlerContext ctx, JsonFactory factory, ApiError error, boolean close) {
        ctx.write(AccessNote.of(error), ctx.voidPromise());
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
