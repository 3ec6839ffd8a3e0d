package dev.switchyard.server.grpc;

import dev.switchyard.server.accesslog.RequestRecorder;
import dev.switchyard.server.serving.ApiKeys;
import java.time.Duration;

/**
 * Where the gRPC server listens and the limits it enforces before any work starts.
 *
 * @param maxInboundMessageBytes     largest request message (a prompt of token ids, a chat)
 * @param maxInboundMetadataBytes    largest header block (the API key travels there)
 * @param maxConcurrentCallsPerConnection streams one connection may hold open at once
 * @param keepAliveTime              server pings an idle connection this often
 * @param keepAliveTimeout           and drops it when the ping is not answered this fast
 * @param permitKeepAliveTime        clients pinging more often than this are cut off
 * @param maxConnectionAge           connections are asked to reconnect after this long, so load
 *                                   balancers can rebalance long-lived clients
 * @param maxConnectionAgeGrace      calls still running then get this long to finish
 * @param apiKeys                    one required as {@code authorization: Bearer KEY}; none: no key
 * @param recorder                   what is told of each call once it has ended ({@link RequestRecorder#OFF}: nothing)
 */
public record GrpcConfig(String host, int port, int maxInboundMessageBytes, int maxInboundMetadataBytes,
                         int maxConcurrentCallsPerConnection, Duration keepAliveTime, Duration keepAliveTimeout,
                         Duration permitKeepAliveTime, Duration maxConnectionAge, Duration maxConnectionAgeGrace,
                         ApiKeys apiKeys, RequestRecorder recorder) {

    public static final int DEFAULT_PORT = 50051;

    /** Defaults for {@code host:port}: 4 MiB messages, 8 KiB metadata, 100 calls per connection. */
    public static GrpcConfig defaults(String host, int port, String apiKey) {
        return new GrpcConfig(host, port, 4 << 20, 8 << 10, 100, Duration.ofMinutes(2), Duration.ofSeconds(20),
                Duration.ofSeconds(30), Duration.ofHours(1), Duration.ofMinutes(5), ApiKeys.single(apiKey),
                RequestRecorder.OFF);
    }

    public GrpcConfig {
        recorder = recorder == null ? RequestRecorder.OFF : recorder;
        apiKeys = apiKeys == null ? ApiKeys.none() : apiKeys;
    }

    /** This configuration accepting {@code keys}. */
    public GrpcConfig withApiKeys(ApiKeys keys) {
        return new GrpcConfig(host, port, maxInboundMessageBytes, maxInboundMetadataBytes, maxConcurrentCallsPerConnection,
                keepAliveTime, keepAliveTimeout, permitKeepAliveTime, maxConnectionAge, maxConnectionAgeGrace, keys, recorder);
    }

    /** This configuration telling {@code log} of each call once it has ended. */
    public GrpcConfig withRecorder(RequestRecorder log) {
        return new GrpcConfig(host, port, maxInboundMessageBytes, maxInboundMetadataBytes, maxConcurrentCallsPerConnection,
                keepAliveTime, keepAliveTimeout, permitKeepAliveTime, maxConnectionAge, maxConnectionAgeGrace, apiKeys, log);
    }
}
