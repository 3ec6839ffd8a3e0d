package dev.switchyard.server.accesslog;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.net.URI;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A span per request, sent to an OpenTelemetry collector over OTLP/HTTP
 * ({@code --otlp-traces-endpoint}, vLLM's flag): a server span from the request's arrival to its
 * answer, a child of the trace the client sent ({@code traceparent}, W3C trace context) and sampled
 * as that trace is, else always; with the HTTP or gRPC semantic conventions' attributes and, for a
 * generation, the GenAI conventions' ({@code gen_ai.request.model}, {@code gen_ai.usage.*},
 * {@code gen_ai.response.finish_reasons}) and vLLM's latency attributes (time in queue, to first
 * token and end to end, in seconds), and a {@code first_token} event. Spans are made from the request's
 * {@link AccessRecord} once it has ended, on the thread that ends it, and exported in batches off it;
 * a collector that is down or slow costs dropped spans, never a request's time.
 */
public final class RequestTracing implements RequestRecorder {

    private static final double NANOS = 1e9;
    private static final TextMapGetter<AccessRecord> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(AccessRecord record) {
            return List.of("traceparent", "tracestate");
        }

        @Override
        public String get(AccessRecord record, String key) {
            return record == null ? null : switch (key) {
                case "traceparent" -> record.traceParent();
                case "tracestate" -> record.traceState();
                default -> null;
            };
        }
    };

    static final AttributeKey<String> HTTP_METHOD = AttributeKey.stringKey("http.request.method");
    static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
    static final AttributeKey<Long> HTTP_STATUS = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<String> CLIENT_ADDRESS = AttributeKey.stringKey("client.address");
    static final AttributeKey<Long> CLIENT_PORT = AttributeKey.longKey("client.port");
    static final AttributeKey<String> USER_AGENT = AttributeKey.stringKey("user_agent.original");
    static final AttributeKey<String> RPC_SYSTEM = AttributeKey.stringKey("rpc.system");
    static final AttributeKey<String> RPC_SERVICE = AttributeKey.stringKey("rpc.service");
    static final AttributeKey<String> RPC_METHOD = AttributeKey.stringKey("rpc.method");
    static final AttributeKey<String> GRPC_STATUS = AttributeKey.stringKey("rpc.grpc.status");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");
    static final AttributeKey<String> REQUEST_ID = AttributeKey.stringKey("switchyard.request_id");
    static final AttributeKey<String> API_KEY = AttributeKey.stringKey("switchyard.api_key.name");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("switchyard.outcome");
    static final AttributeKey<Long> BODY_BYTES = AttributeKey.longKey("switchyard.body_bytes");
    static final AttributeKey<String> GEN_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    static final AttributeKey<String> GEN_RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    static final AttributeKey<Long> GEN_INPUT = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<Long> GEN_OUTPUT = AttributeKey.longKey("gen_ai.usage.output_tokens");
    static final AttributeKey<Long> GEN_CACHED = AttributeKey.longKey("switchyard.usage.cached_tokens");
    static final AttributeKey<Long> GEN_CHOICES = AttributeKey.longKey("gen_ai.request.choice.count");
    static final AttributeKey<List<String>> GEN_FINISH = AttributeKey.stringArrayKey("gen_ai.response.finish_reasons");
    static final AttributeKey<Boolean> GEN_STREAM = AttributeKey.booleanKey("switchyard.stream");
    static final AttributeKey<Double> TTFT = AttributeKey.doubleKey("gen_ai.latency.time_to_first_token");
    static final AttributeKey<Double> E2E = AttributeKey.doubleKey("gen_ai.latency.e2e");
    static final AttributeKey<Double> QUEUE = AttributeKey.doubleKey("gen_ai.latency.time_in_queue");

    private final SdkTracerProvider provider;
    private final Tracer tracer;

    private RequestTracing(SpanExporter exporter, String version) {
        this.provider = SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
                        AttributeKey.stringKey("service.name"), "switchyard",
                        AttributeKey.stringKey("service.version"), version))))
                .setSampler(Sampler.parentBased(Sampler.alwaysOn()))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).build())
                .build();
        this.tracer = provider.get("dev.switchyard.server", version);
    }

    /**
     * Spans sent to the collector at {@code endpoint}, OTLP/HTTP's traces URL (such as
     * {@code http://collector:4318/v1/traces}).
     *
     * @throws IllegalArgumentException naming the flag when it is not an http(s) URL
     */
    public static RequestTracing otlp(String endpoint, String version) {
        URI uri;
        try {
            uri = URI.create(endpoint);
        } catch (IllegalArgumentException e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null || !("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))) {
            throw new IllegalArgumentException("--otlp-traces-endpoint must be an http:// or https:// URL such as "
                    + "http://collector:4318/v1/traces, got '" + endpoint + "'");
        }
        return new RequestTracing(OtlpHttpSpanExporter.builder().setEndpoint(endpoint).build(), version);
    }

    /** Spans given to {@code exporter} (tests read them back). */
    public static RequestTracing to(SpanExporter exporter) {
        return new RequestTracing(exporter, "test");
    }

    @Override
    public boolean on() {
        return true;
    }

    @Override
    public void ended(AccessRecord record, String outcome) {
        Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), record, HEADERS);
        boolean grpc = "grpc".equals(record.protocol());
        String name = grpc ? record.method() : record.method() + " " + record.path();
        SpanBuilder span = tracer.spanBuilder(name).setParent(parent).setSpanKind(SpanKind.SERVER)
                .setStartTimestamp(record.startEpochNanos(), TimeUnit.NANOSECONDS)
                .setAttribute(REQUEST_ID, record.requestId())
                .setAttribute(OUTCOME, outcome)
                .setAttribute(BODY_BYTES, record.bodyBytes());
        address(span, record.remote());
        if (record.userAgent() != null) {
            span.setAttribute(USER_AGENT, record.userAgent());
        }
        if (record.caller() != null) {
            span.setAttribute(API_KEY, record.caller());
        }
        boolean failed;
        if (grpc) {
            int slash = record.method().lastIndexOf('/');
            span.setAttribute(RPC_SYSTEM, "grpc").setAttribute(RPC_SERVICE, record.method().substring(0, Math.max(0, slash)))
                    .setAttribute(RPC_METHOD, record.method().substring(slash + 1));
            if (record.grpcStatus() != null) {
                span.setAttribute(GRPC_STATUS, record.grpcStatus());
            }
            // the server's own failures, as the gRPC conventions count them on a server span
            failed = record.grpcStatus() != null && List.of("UNKNOWN", "DEADLINE_EXCEEDED", "UNIMPLEMENTED", "INTERNAL",
                    "UNAVAILABLE", "DATA_LOSS").contains(record.grpcStatus());
        } else {
            span.setAttribute(HTTP_METHOD, record.method()).setAttribute(URL_PATH, record.path());
            if (record.status() != null) {
                span.setAttribute(HTTP_STATUS, (long) record.status());
            }
            failed = record.status() != null && record.status() >= 500; // a 4xx is the client's, not the server's
        }
        String error = record.errorCode() != null ? record.errorCode() : record.errorType();
        if (error != null) {
            span.setAttribute(ERROR_TYPE, error);
        }
        AccessRecord.Generated g = record.generated();
        if (g != null) {
            span.setAttribute(GEN_MODEL, g.model()).setAttribute(GEN_RESPONSE_MODEL, g.model())
                    .setAttribute(GEN_INPUT, (long) g.promptTokens()).setAttribute(GEN_OUTPUT, (long) g.completionTokens())
                    .setAttribute(GEN_CACHED, (long) g.cachedTokens()).setAttribute(GEN_STREAM, g.stream())
                    .setAttribute(GEN_CHOICES, (long) g.choices())
                    .setAttribute(E2E, (record.endEpochNanos() - record.startEpochNanos()) / NANOS);
            if (g.finishReason() != null) {
                span.setAttribute(GEN_FINISH, List.of(g.finishReason()));
            }
            if (record.admittedEpochNanos() != 0) {
                span.setAttribute(QUEUE, (record.admittedEpochNanos() - record.startEpochNanos()) / NANOS);
            }
            if (record.firstTokenEpochNanos() != 0) {
                span.setAttribute(TTFT, (record.firstTokenEpochNanos() - record.startEpochNanos()) / NANOS);
            }
        }
        Span started = span.startSpan();
        if (g != null && record.firstTokenEpochNanos() != 0) {
            started.addEvent("first_token", record.firstTokenEpochNanos(), TimeUnit.NANOSECONDS);
        }
        if (failed) {
            started.setStatus(StatusCode.ERROR);
        }
        started.end(record.endEpochNanos(), TimeUnit.NANOSECONDS);
    }

    /** {@code client.address} and {@code client.port} from the record's {@code host:port}. */
    private static void address(SpanBuilder span, String remote) {
        int colon = remote == null ? -1 : remote.lastIndexOf(':');
        if (colon <= 0) {
            return;
        }
        String host = remote.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        span.setAttribute(CLIENT_ADDRESS, host);
        try {
            span.setAttribute(CLIENT_PORT, Long.parseLong(remote.substring(colon + 1)));
        } catch (NumberFormatException e) {
            // not a port: leave it out
        }
    }

    /** Sends the spans held so far (waiting up to 5 s for the collector). */
    public void flush() {
        provider.forceFlush().join(5, TimeUnit.SECONDS);
    }

    /** Sends the spans still held (waiting up to 5 s for the collector) and stops. */
    @Override
    public void close() {
        provider.shutdown().join(5, TimeUnit.SECONDS);
    }
}
