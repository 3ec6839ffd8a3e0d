package dev.switchyard.server.grpc;

import dev.switchyard.server.accesslog.AccessRecord;
import dev.switchyard.server.accesslog.RequestRecorder;
import dev.switchyard.server.accesslog.RequestIds;
import dev.switchyard.server.serving.ApiKeys;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.ForwardingServerCallListener.SimpleForwardingServerCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The gRPC side of the access log: every call gets an id (the client's {@code x-request-id}
 * metadata where usable, else a new one; a Generate request's own {@code request_id} wins once read),
 * sent back in the response headers, and with {@code --access-log} one line once the call closes or
 * its client cancels it. The call's record rides in the gRPC {@link Context}, where the service adds
 * a generation's figures ({@link #current()}).
 */
final class AccessLogInterceptor implements ServerInterceptor {

    private static final Context.Key<AccessRecord> RECORD = Context.key("switchyard-access-record");
    private static final Metadata.Key<String> REQUEST_ID = Metadata.Key.of(RequestIds.HEADER,
            Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> USER_AGENT = Metadata.Key.of("user-agent", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization",
            Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> TRACEPARENT = Metadata.Key.of("traceparent", Metadata.ASCII_STRING_MARSHALLER);
    private static final Metadata.Key<String> TRACESTATE = Metadata.Key.of("tracestate", Metadata.ASCII_STRING_MARSHALLER);

    private final RequestRecorder recorder;

    private final ApiKeys keys;

    AccessLogInterceptor(RequestRecorder recorder, ApiKeys keys) {
        this.recorder = recorder;
        this.keys = keys;
    }

    /** The record of the call being served on this thread; null outside a call (or without this interceptor). */
    static AccessRecord current() {
        return RECORD.get();
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        AccessRecord record = new AccessRecord("grpc", RequestIds.accept(headers.get(REQUEST_ID)),
                call.getMethodDescriptor().getFullMethodName(), null,
                AccessRecord.address(call.getAttributes().get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR)), headers.get(USER_AGENT));
        record.traceContext(headers.get(TRACEPARENT), headers.get(TRACESTATE));
        if (recorder.on() && keys.enabled()) {
            record.caller(ApiKeyInterceptor.caller(keys, headers.get(AUTHORIZATION)));
        }
        AtomicBoolean written = new AtomicBoolean();
        ServerCall<Q, R> logged = new SimpleForwardingServerCall<>(call) {
            @Override
            public void sendHeaders(Metadata responseHeaders) {
                responseHeaders.put(REQUEST_ID, record.requestId());
                super.sendHeaders(responseHeaders);
            }

            @Override
            public void sendMessage(R message) {
                if (message instanceof com.google.protobuf.MessageLite m) {
                    record.sent(m.getSerializedSize());
                }
                super.sendMessage(message);
            }

            @Override
            public void close(Status status, Metadata trailers) {
                record.grpcStatus(status.getCode().name());
                if (!status.isOk()) {
                    record.error(null, status.getCode().name().toLowerCase(java.util.Locale.ROOT), null);
                }
                super.close(status, trailers);
                if (recorder.on() && written.compareAndSet(false, true)) {
                    recorder.ended(record, AccessRecord.ANSWERED);
                }
            }
        };
        ServerCall.Listener<Q> listener = Contexts.interceptCall(Context.current().withValue(RECORD, record), logged,
                headers, next);
        return new SimpleForwardingServerCallListener<>(listener) {
            @Override
            public void onCancel() {
                try {
                    super.onCancel();
                } finally {
                    if (recorder.on() && written.compareAndSet(false, true)) {
                        record.grpcStatus(Status.Code.CANCELLED.name());
                        record.end();
                        // a generation stops soon after its client leaves: its line waits for what it computed
                        record.whenSettled(AccessRecord.LATE_FIGURES,
                                () -> recorder.ended(record, AccessRecord.DISCONNECTED));
                    }
                }
            }
        };
    }
}
