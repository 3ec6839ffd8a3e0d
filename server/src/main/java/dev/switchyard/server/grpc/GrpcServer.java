package dev.switchyard.server.grpc;

import io.grpc.BindableService;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC endpoint: the {@code Generation} service, standard health checking and server reflection
 * (so {@code grpcurl} works without the proto file), on a Netty transport with explicit limits.
 */
public final class GrpcServer implements AutoCloseable {

    private final Server server;
    private final HealthStatusManager health;

    private GrpcServer(Server server, HealthStatusManager health) {
        this.server = server;
        this.health = health;
    }

    /** Starts listening; health reports NOT_SERVING until {@link #serving(boolean)} says otherwise. */
    public static GrpcServer start(GrpcConfig config, BindableService generation) throws IOException {
        HealthStatusManager health = new HealthStatusManager();
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES, ServingStatus.NOT_SERVING);
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(config.host(), config.port()))
                .maxInboundMessageSize(config.maxInboundMessageBytes())
                .maxInboundMetadataSize(config.maxInboundMetadataBytes())
                .maxConcurrentCallsPerConnection(config.maxConcurrentCallsPerConnection())
                .keepAliveTime(config.keepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
                .keepAliveTimeout(config.keepAliveTimeout().toNanos(), TimeUnit.NANOSECONDS)
                .permitKeepAliveTime(config.permitKeepAliveTime().toNanos(), TimeUnit.NANOSECONDS)
                .maxConnectionAge(config.maxConnectionAge().toNanos(), TimeUnit.NANOSECONDS)
                .maxConnectionAgeGrace(config.maxConnectionAgeGrace().toNanos(), TimeUnit.NANOSECONDS)
                .addService(health.getHealthService())
                .addService(ProtoReflectionServiceV1.newInstance());
        // the last interceptor sees a call first: the access log, then the key check
        AccessLogInterceptor access = new AccessLogInterceptor(config.recorder(), config.apiKeys());
        if (config.apiKeys().enabled()) {
            builder.addService(ServerInterceptors.intercept(generation, new ApiKeyInterceptor(config.apiKeys()), access));
        } else {
            builder.addService(ServerInterceptors.intercept(generation, access));
        }
        Server server = builder.build().start();
        return new GrpcServer(server, health);
    }

    public int port() {
        return server.getPort();
    }

    /** Sets what {@code grpc.health.v1.Health} reports for every service. */
    public void serving(boolean serving) {
        health.setStatus(HealthStatusManager.SERVICE_NAME_ALL_SERVICES,
                serving ? ServingStatus.SERVING : ServingStatus.NOT_SERVING);
    }

    /** Stops taking calls, waits up to {@code millis} for running ones, then cuts the rest. */
    public void shutdown(long millis) throws InterruptedException {
        health.enterTerminalState();
        server.shutdown();
        if (!server.awaitTermination(millis, TimeUnit.MILLISECONDS)) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() throws InterruptedException {
        shutdown(0);
    }
}
