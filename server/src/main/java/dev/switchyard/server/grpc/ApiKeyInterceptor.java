package dev.switchyard.server.grpc;

import dev.switchyard.server.serving.ApiKeys;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Set;

/**
 * Requires {@code authorization: Bearer KEY} on every call except health checks (probes carry no
 * key), and holds the key's bound on its calls running at once ({@code concurrency=N}): one past it
 * is {@code RESOURCE_EXHAUSTED}. The comparison takes the same time wherever the first differing byte is.
 */
final class ApiKeyInterceptor implements ServerInterceptor {

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    private static final Set<String> OPEN_SERVICES = Set.of("grpc.health.v1.Health");

    private static final String BEARER = "Bearer ";
    private final ApiKeys keys;

    ApiKeyInterceptor(ApiKeys keys) {
        this.keys = keys;
    }

    /** The name of the key {@code authorization} metadata presents; null for none of them. */
    static String caller(ApiKeys keys, String authorization) {
        return authorization == null || !authorization.startsWith(BEARER) ? null
                : keys.nameOf(authorization.substring(BEARER.length()));
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        if (OPEN_SERVICES.contains(call.getMethodDescriptor().getServiceName())) {
            return next.startCall(call, headers);
        }
        String given = headers.get(AUTHORIZATION);
        String name = given == null ? null : caller(keys, given);
        if (name == null) {
            call.close(Status.UNAUTHENTICATED.withDescription(given == null
                    ? "missing API key: send it as 'authorization: Bearer KEY' metadata"
                    : "invalid API key"), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        if (!keys.tryAcquire(name)) {
            call.close(Status.RESOURCE_EXHAUSTED.withDescription("the API key '" + name + "' already has "
                    + keys.concurrencyOf(name) + " calls running, as many as it may"), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        // the place is given back once, when the call closes or its client cancels it
        java.util.concurrent.atomic.AtomicBoolean held = new java.util.concurrent.atomic.AtomicBoolean(true);
        Runnable release = () -> {
            if (held.compareAndSet(true, false)) {
                keys.release(name);
            }
        };
        ServerCall<Q, R> releasing = new io.grpc.ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                try {
                    super.close(status, trailers);
                } finally {
                    release.run();
                }
            }
        };
        ServerCall.Listener<Q> listener;
        try {
            listener = next.startCall(releasing, headers);
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
        return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onCancel() {
                try {
                    super.onCancel();
                } finally {
                    release.run();
                }
            }
        };
    }
}
