package dev.switchyard.server.grpc;

import dev.switchyard.server.accesslog.AccessRecord;
import dev.switchyard.server.serving.ApiKeys;
import dev.switchyard.server.serving.KeyAdmission;
import dev.switchyard.server.serving.KeyScope;
import dev.switchyard.server.serving.RateBucket;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Set;

/**
 * Requires {@code authorization: Bearer KEY} on every call except health checks (probes carry no
 * key), and holds the key to its limits ({@link ApiKeys#admit}): its bound on calls running at once
 * ({@code concurrency=N}) and its allowances per minute ({@code requests_per_minute=N},
 * {@code tokens_per_minute=N}); a call past one is {@code RESOURCE_EXHAUSTED}, a per-minute limit's
 * refusal with a {@code retry-after} trailer (whole seconds; and {@code retry-after-ms}). A call's
 * tokens are charged to its key's budget when it closes. The comparison takes the same time wherever
 * the first differing byte is.
 */
final class ApiKeyInterceptor implements ServerInterceptor {

    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> RETRY_AFTER = Metadata.Key.of("retry-after", Metadata.ASCII_STRING_MARSHALLER);
    static final Metadata.Key<String> RETRY_AFTER_MS = Metadata.Key.of("retry-after-ms",
            Metadata.ASCII_STRING_MARSHALLER);
    private static final Set<String> OPEN_SERVICES = Set.of("grpc.health.v1.Health");
    /**
     * What a call's key changes about its generation ({@link ApiKeys#scopeOf}): whose cached prompt
     * blocks it may share, its priority level; unset, nothing.
     */
    private static final Context.Key<KeyScope> SCOPE = Context.key("switchyard-key-scope");
    /** The models and adapters a call's key may use ({@code models=} in the key file); unset, every one. */
    static final Context.Key<Set<String>> MODELS = Context.key("switchyard-key-models");

    private static final String BEARER = "Bearer ";
    private final ApiKeys keys;

    ApiKeyInterceptor(ApiKeys keys) {
        this.keys = keys;
    }

    /** What the current call's key changes about its generation; {@link KeyScope#NONE} for nothing. */
    static KeyScope scope() {
        KeyScope scope = SCOPE.get();
        return scope == null ? KeyScope.NONE : scope;
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
        // the access log's record of the call (its interceptor runs first): a generation's tokens reach it
        AccessRecord record = AccessLogInterceptor.current();
        KeyAdmission admission = keys.admit(name);
        if (admission != KeyAdmission.ADMITTED) {
            refuse(call, name, admission, record);
            return new ServerCall.Listener<>() {
            };
        }
        // its tokens are charged once, as the call closes (before its client hears of the end) or is
        // cancelled; the place is given back once, when the call closes or its client cancels it
        java.util.concurrent.atomic.AtomicBoolean charged = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable charge = () -> {
            if (record != null && charged.compareAndSet(false, true)) {
                // now, or once the generation's figures come (a call cancelled before them)
                record.chargeWhenKnown(tokens -> keys.charge(name, tokens));
            }
        };
        java.util.concurrent.atomic.AtomicBoolean held = new java.util.concurrent.atomic.AtomicBoolean(true);
        Runnable release = () -> {
            charge.run();
            if (held.compareAndSet(true, false)) {
                keys.release(name);
            }
        };
        ServerCall<Q, R> releasing = new io.grpc.ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                charge.run();
                try {
                    super.close(status, trailers);
                } finally {
                    release.run();
                }
            }
        };
        ServerCall.Listener<Q> listener;
        try {
            Context context = Context.current();
            KeyScope scope = keys.scopeOf(name);
            if (!scope.equals(KeyScope.NONE)) {
                context = context.withValue(SCOPE, scope);
            }
            Set<String> models = keys.modelsOf(name);
            if (models != null) {
                context = context.withValue(MODELS, models);
            }
            listener = context == Context.current() ? next.startCall(releasing, headers)
                    : Contexts.interceptCall(context, releasing, headers, next);
        } catch (RuntimeException e) {
            release.run();
            throw e;
        }
        return new io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener<Q>(listener) {
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

    /** Closes a call a limit of its key refuses: RESOURCE_EXHAUSTED, saying which limit, and when to retry. */
    private <Q, R> void refuse(ServerCall<Q, R> call, String name, KeyAdmission refused, AccessRecord record) {
        Metadata trailers = new Metadata();
        String message;
        if (refused.rateLimited()) {
            long retry = keys.retryAfterNanos(name, refused);
            message = keys.refusal(name, refused, retry);
            trailers.put(RETRY_AFTER, Long.toString(RateBucket.retryAfterSeconds(retry)));
            trailers.put(RETRY_AFTER_MS, Long.toString(RateBucket.retryAfterMillis(retry)));
            if (record != null) {
                record.rateLimited(refused.outcome(), retry);
            }
        } else {
            message = "the API key '" + name + "' already has " + keys.concurrencyOf(name)
                    + " calls running, as many as it may";
        }
        call.close(Status.RESOURCE_EXHAUSTED.withDescription(message), trailers);
    }
}
