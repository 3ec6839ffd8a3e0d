package dev.switchyard.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import dev.switchyard.server.openai.ApiError;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.FullHttpMessage;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;

/**
 * Collects a request's body up to the limit; a larger one gets 413 in OpenAI's error shape (Netty's
 * own 413 has no body). As Netty does, a keep-alive connection stays open and the rest of the body is
 * discarded unread; otherwise the connection closes.
 */
final class BodyLimitAggregator extends HttpObjectAggregator {

    private final JsonFactory json;
    private final int maxBody;

    BodyLimitAggregator(int maxBody, JsonFactory json) {
        super(maxBody);
        this.maxBody = maxBody;
        this.json = json;
    }

    @Override
    protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
        boolean close = oversized instanceof FullHttpMessage || !HttpUtil.isKeepAlive(oversized);
        HttpResponses.sendError(ctx, json, ApiError.tooLarge(maxBody), close);
    }
}
