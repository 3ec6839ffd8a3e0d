package dev.switchyard.server.http;

import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.cors.CorsConfig;
import io.netty.handler.codec.http.cors.CorsConfigBuilder;
import io.netty.handler.codec.http.cors.CorsHandler;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.EventExecutorGroup;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One connection's pipeline: idle timeout, HTTP/1.1 codec with header limits, request ids and the
 * access log, CORS where other origins may call, keep-alive, file uploads, the body limit, then the API handler; the last three
 * on their own executor group, off the event loop.
 */
final class HttpInitializer extends ChannelInitializer<Channel> {

    private final ApiContext api;
    private final EventExecutorGroup apiExecutors;
    private final ChannelGroup channels;
    /** Null when no other origin may call. */
    private final CorsConfig cors;

    HttpInitializer(ApiContext api, EventExecutorGroup apiExecutors, ChannelGroup channels) {
        this.api = api;
        this.apiExecutors = apiExecutors;
        this.channels = channels;
        this.cors = api.config.corsOn() ? cors(api.config.allowedOrigins()) : null;
    }

    /**
     * Netty's CORS handling for the allowed origins: preflight requests answered at once (they carry
     * no API key), every response to an allowed origin marked so. The request headers allowed are
     * any (the official SDKs send headers of their own) and, named as the standard requires, the
     * ones that carry a key. A page may read the request's id and the rate-limit headers, as the
     * SDKs do.
     */
    private static CorsConfig cors(List<String> origins) {
        CorsConfigBuilder b = origins.contains("*") ? CorsConfigBuilder.forAnyOrigin()
                : CorsConfigBuilder.forOrigins(origins.toArray(String[]::new));
        return b.allowedRequestMethods(HttpMethod.GET, HttpMethod.POST, HttpMethod.DELETE, HttpMethod.OPTIONS)
                .allowedRequestHeaders("*", "Authorization", "Content-Type", "x-api-key")
                .exposeHeaders(RateLimitHeaders.EXPOSED)
                .maxAge(600)
                .build();
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
        p.addLast("access", new AccessLogHandler(config.recorder(), api.apiKey));
        if (cors != null) {
            p.addLast("cors", new CorsHandler(cors));
        }
        p.addLast("keepAlive", new HttpServerKeepAliveHandler());
        // uploads are written to disk as they arrive, before (and instead of) the body limit's gathering; the
        // three last handlers share one executor, so that tearing a pipeline down hops between two threads, not three
        p.addLast(apiExecutors, "files", new FileUploadHandler(api));
        p.addLast(apiExecutors, "body", new BodyLimitAggregator(config.maxBodyBytes(), api.json.factory()));
        p.addLast(apiExecutors, "api", new ApiHandler(api));
    }
}
