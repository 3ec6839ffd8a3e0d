package dev.switchyard.server.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.EventExecutorGroup;
import java.util.concurrent.TimeUnit;

/**
 * One connection's pipeline: idle timeout, HTTP/1.1 codec with header limits, keep-alive, the body
 * limit, then the API handler on its own executor group, off the event loop.
 */
final class HttpInitializer extends ChannelInitializer<Channel> {

    private final ApiContext api;
    private final EventExecutorGroup apiExecutors;
    private final ChannelGroup channels;

    HttpInitializer(ApiContext api, EventExecutorGroup apiExecutors, ChannelGroup channels) {
        this.api = api;
        this.apiExecutors = apiExecutors;
        this.channels = channels;
    }

    @Override
    protected void initChannel(Channel ch) {
        channels.add(ch);
        HttpServerConfig config = api.config;
        HttpDecoderConfig decoder = new HttpDecoderConfig()
                .setMaxInitialLineLength(config.maxHeaderBytes())
                .setMaxHeaderSize(config.maxHeaderBytes());
        ChannelPipeline p = ch.pipeline();
        p.addLast("idle", new IdleStateHandler(0, 0, config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS));
        p.addLast("codec", new HttpServerCodec(decoder));
        p.addLast("keepAlive", new HttpServerKeepAliveHandler());
        p.addLast("body", new BodyLimitAggregator(config.maxBodyBytes(), api.json.factory()));
        p.addLast(apiExecutors, "api", new ApiHandler(api));
    }
}
