package dev.switchyard.server.accesslog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * A request's span: a child of the trace its client sent (sampled as that trace is), timed from its
 * arrival to its end, with the HTTP or gRPC conventions' attributes, a generation's GenAI ones and
 * its first token as an event, marked an error only for the server's own failures; and sent over
 * OTLP/HTTP to a collector.
 */
class RequestTracingTest {

    private static final String TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String PARENT = "00f067aa0ba902b7";

    private static AccessRecord generation(String traceparent) throws InterruptedException {
        AccessRecord r = new AccessRecord("http", "req-9", "POST", "/v1/chat/completions", "[::1]:40110", "eval/2");
        r.traceContext(traceparent, "vendor=x");
        r.status(200);
        r.sent(310);
        Thread.sleep(2);
        long admitted = System.nanoTime();
        Thread.sleep(2);
        long first = System.nanoTime();
        Thread.sleep(2);
        r.generated(new AccessRecord.Generated("tiny", true, 17, 9, 16, admitted, first, "length", 2));
        return r;
    }

    private static List<SpanData> spans(java.util.function.Consumer<RequestTracing> use) {
        InMemorySpanExporter exporter = InMemorySpanExporter.create();
        RequestTracing tracing = RequestTracing.to(exporter);
        use.accept(tracing);
        tracing.flush(); // sends what the batch processor holds
        List<SpanData> sent = exporter.getFinishedSpanItems();
        tracing.close();
        return sent;
    }

    @Test
    void aGenerationsSpanJoinsTheClientsTraceWithItsFigures() throws Exception {
        AccessRecord r = generation("00-" + TRACE + "-" + PARENT + "-01");
        SpanData span = spans(t -> t.ended(r, AccessRecord.ANSWERED)).getFirst();
        assertThat(span.getName()).isEqualTo("POST /v1/chat/completions");
        assertThat(span.getKind()).isEqualTo(SpanKind.SERVER);
        assertThat(span.getTraceId()).isEqualTo(TRACE);
        assertThat(span.getParentSpanId()).isEqualTo(PARENT);
        assertThat(span.getStartEpochNanos()).isEqualTo(r.startEpochNanos());
        assertThat(span.getEndEpochNanos()).isEqualTo(r.endEpochNanos()).isGreaterThan(span.getStartEpochNanos());
        var a = span.getAttributes();
        assertThat(a.get(RequestTracing.HTTP_METHOD)).isEqualTo("POST");
        assertThat(a.get(RequestTracing.URL_PATH)).isEqualTo("/v1/chat/completions");
        assertThat(a.get(RequestTracing.HTTP_STATUS)).isEqualTo(200L);
        assertThat(a.get(RequestTracing.CLIENT_ADDRESS)).isEqualTo("::1");
        assertThat(a.get(RequestTracing.CLIENT_PORT)).isEqualTo(40110L);
        assertThat(a.get(RequestTracing.REQUEST_ID)).isEqualTo("req-9");
        assertThat(a.get(RequestTracing.GEN_MODEL)).isEqualTo("tiny");
        assertThat(a.get(RequestTracing.GEN_INPUT)).isEqualTo(17L);
        assertThat(a.get(RequestTracing.GEN_OUTPUT)).isEqualTo(9L);
        assertThat(a.get(RequestTracing.GEN_CACHED)).isEqualTo(16L);
        assertThat(a.get(RequestTracing.GEN_CHOICES)).isEqualTo(2L);
        assertThat(a.get(RequestTracing.GEN_FINISH)).containsExactly("length");
        assertThat(a.get(RequestTracing.TTFT)).isPositive().isLessThan(a.get(RequestTracing.E2E));
        assertThat(a.get(RequestTracing.QUEUE)).isPositive().isLessThan(a.get(RequestTracing.TTFT));
        assertThat(span.getEvents()).singleElement().satisfies(e -> {
            assertThat(e.getName()).isEqualTo("first_token");
            assertThat(e.getEpochNanos()).isEqualTo(r.firstTokenEpochNanos()).isBetween(span.getStartEpochNanos(),
                    span.getEndEpochNanos());
        });
        assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);
        assertThat(span.getResource().getAttribute(io.opentelemetry.api.common.AttributeKey.stringKey("service.name")))
                .isEqualTo("switchyard");
    }

    @Test
    void aTraceTheClientDidNotSampleIsNotSentAndAMalformedParentStartsANewTrace() throws Exception {
        AccessRecord unsampled = generation("00-" + TRACE + "-" + PARENT + "-00");
        AccessRecord malformed = generation("00-not-a-trace-01");
        AccessRecord none = generation(null);
        List<SpanData> sent = spans(t -> {
            t.ended(unsampled, AccessRecord.ANSWERED);
            t.ended(malformed, AccessRecord.ANSWERED);
            t.ended(none, AccessRecord.ANSWERED);
        });
        assertThat(sent).hasSize(2).allSatisfy(s -> {
            assertThat(s.getTraceId()).isNotEqualTo(TRACE);
            assertThat(s.getParentSpanContext().isValid()).isFalse();
        });
    }

    @Test
    void onlyTheServersOwnFailuresAreErrors() {
        AccessRecord refused = new AccessRecord("http", "a", "POST", "/v1/completions", "127.0.0.1:1", null);
        refused.status(400);
        refused.error("invalid_request_error", null, "top_p");
        AccessRecord broken = new AccessRecord("http", "b", "POST", "/v1/completions", "127.0.0.1:1", null);
        broken.status(500);
        AccessRecord rpc = new AccessRecord("grpc", "c", "switchyard.v1.Generation/Generate", null, "127.0.0.1:1", null);
        rpc.grpcStatus("UNAVAILABLE");
        List<SpanData> sent = spans(t -> {
            t.ended(refused, AccessRecord.ANSWERED);
            t.ended(broken, AccessRecord.ANSWERED);
            t.ended(rpc, AccessRecord.ANSWERED);
        });
        assertThat(sent).extracting(s -> s.getStatus().getStatusCode())
                .containsExactly(StatusCode.UNSET, StatusCode.ERROR, StatusCode.ERROR);
        assertThat(sent.getFirst().getAttributes().get(RequestTracing.ERROR_TYPE)).isEqualTo("invalid_request_error");
        SpanData call = sent.get(2);
        assertThat(call.getName()).isEqualTo("switchyard.v1.Generation/Generate");
        assertThat(call.getAttributes().get(RequestTracing.RPC_SERVICE)).isEqualTo("switchyard.v1.Generation");
        assertThat(call.getAttributes().get(RequestTracing.RPC_METHOD)).isEqualTo("Generate");
        assertThat(call.getAttributes().get(RequestTracing.HTTP_METHOD)).isNull();
    }

    @Test
    void spansReachACollectorOverOtlpHttp() throws Exception {
        List<byte[]> bodies = new CopyOnWriteArrayList<>();
        List<String> types = new CopyOnWriteArrayList<>();
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            types.add(exchange.getRequestHeaders().getFirst("Content-Type"));
            bodies.add(exchange.getRequestBody().readAllBytes());
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        try {
            RequestTracing tracing = RequestTracing.otlp("http://127.0.0.1:" + collector.getAddress().getPort()
                    + "/v1/traces", "1.2.3");
            tracing.ended(generation("00-" + TRACE + "-" + PARENT + "-01"), AccessRecord.ANSWERED);
            tracing.close();
        } finally {
            collector.stop(0);
        }
        assertThat(types).containsOnly("application/x-protobuf");
        byte[] all = bodies.stream().reduce(new byte[0], (x, y) -> {
            byte[] z = java.util.Arrays.copyOf(x, x.length + y.length);
            System.arraycopy(y, 0, z, x.length, y.length);
            return z;
        });
        assertThat(indexOf(all, HexFormat.of().parseHex(TRACE))).as("the trace id").isNotNegative();
        assertThat(indexOf(all, "POST /v1/chat/completions".getBytes(StandardCharsets.UTF_8))).isNotNegative();
        assertThat(indexOf(all, "gen_ai.usage.output_tokens".getBytes(StandardCharsets.UTF_8))).isNotNegative();
    }

    @Test
    void anEndpointThatIsNotAnHttpUrlIsRefusedNamingTheFlag() {
        for (String bad : new String[] {"collector:4318", "grpc://collector:4317", "http://", "::"}) {
            assertThatThrownBy(() -> RequestTracing.otlp(bad, "1")).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--otlp-traces-endpoint");
        }
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
