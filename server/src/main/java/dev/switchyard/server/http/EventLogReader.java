package dev.switchyard.server.http;

import dev.switchyard.server.openai.EventLog;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One connection reading a streamed background response's {@link EventLog}: the events after its
 * starting point as server-sent events, then those to come, and the end of the response when the
 * log ends. Its client leaving stops only the reading: the response runs on.
 */
final class EventLogReader implements EventLog.Follower, OpenRequest {

    private final ChannelHandlerContext ctx;
    private final EventLog log;
    private final Runnable onEnd;
    private final AtomicBoolean ended = new AtomicBoolean();

    private EventLogReader(ChannelHandlerContext ctx, EventLog log, Runnable onEnd) {
        this.ctx = ctx;
        this.log = log;
        this.onEnd = onEnd;
    }

    /** Answers on {@code ctx} with the log's events after the {@code after}-th (-1: all). */
    static EventLogReader start(ChannelHandlerContext ctx, EventLog log, int after, Runnable onEnd) {
        EventLogReader reader = new EventLogReader(ctx, log, onEnd);
        HttpResponses.writeEventStreamHead(ctx);
        log.follow(after, reader);
        ctx.flush();
        return reader;
    }

    @Override
    public void event(String name, byte[] json) {
        byte[] prefix = HttpResponses.eventPrefix(name);
        ByteBuf buf = ctx.alloc().buffer(prefix.length + json.length + HttpResponses.EVENT_END.length);
        buf.writeBytes(prefix).writeBytes(json).writeBytes(HttpResponses.EVENT_END);
        ctx.writeAndFlush(new DefaultHttpContent(buf), ctx.voidPromise());
    }

    @Override
    public void end() {
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, ctx.voidPromise());
        finish();
    }

    private void finish() {
        if (ended.compareAndSet(false, true)) {
            onEnd.run();
        }
    }

    @Override
    public boolean isEnded() {
        return ended.get();
    }

    /** Stops reading; the response runs on, so nothing is cancelled. */
    @Override
    public boolean clientLeft() {
        log.unfollow(this);
        finish();
        return false;
    }
}
