package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.server.accesslog.AccessLog;
import dev.switchyard.server.accesslog.LoggedLines;
import dev.switchyard.server.accesslog.RequestRecorder;
import dev.switchyard.server.accesslog.RequestTracing;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import java.io.InputStream;
import java.io.StringWriter;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Request ids and the access log over HTTP: every answer carries the request's id (the client's
 * {@code X-Request-Id} where usable), and each request's line names it with its status, timing and,
 * for a generation, the model, tokens and time to first token, never the prompt or the reply; lines
 * pair with their requests when requests follow one another on a connection, and a client that
 * leaves mid-stream is logged as gone.
 */
class AccessLogServingTest {

    private static final StringWriter LINES = new StringWriter();
    private static final InMemorySpanExporter SPANS = InMemorySpanExporter.create();
    private static RequestTracing traces;
    private static RequestRecorder recorder;
    private static ServerFixture server;

    @BeforeAll
    static void start() throws Exception {
        traces = RequestTracing.to(SPANS);
        // Tracing is told first: once a request's line is in the log, its span has ended.
        recorder = RequestRecorder.of(List.of(traces, AccessLog.to(LINES)));
        server = ServerFixture.start(ServerFixture.engine(8, 0, 64), HttpServerConfig.loopback(0).withRecorder(recorder));
    }

    @AfterAll
    static void stop() {
        server.close();
        recorder.close();
    }


    private static HttpResponse<String> post(String path, String body, String requestId) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri(path)).header("Content-Type", "application/json")
                .header("User-Agent", "nightly-eval/1.0").POST(HttpRequest.BodyPublishers.ofString(body));
        if (requestId != null) {
            b.header("X-Request-Id", requestId);
        }
        return server.send(b.build());
    }

    private static final String SECRET_PROMPT = "the vault code is 4471";

    @Test
    void aGenerationsLineHasItsTokensAndTimingsButNotItsText() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"" + SECRET_PROMPT + "\"}],\"max_tokens\":9,\"temperature\":0,\"ignore_eos\":true}",
                "eval-run-42.q7");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-request-id")).hasValue("eval-run-42.q7");
        JsonNode reply = ServerFixture.parse(r.body());
        JsonNode line = LoggedLines.lineOf(LINES, "eval-run-42.q7");
        assertThat(line.get("protocol").asText()).isEqualTo("http");
        assertThat(line.get("method").asText()).isEqualTo("POST");
        assertThat(line.get("path").asText()).isEqualTo("/v1/chat/completions");
        assertThat(line.get("status").asInt()).isEqualTo(200);
        assertThat(line.get("outcome").asText()).isEqualTo("answered");
        assertThat(line.get("remote").asText()).startsWith("127.0.0.1:");
        assertThat(line.get("user_agent").asText()).isEqualTo("nightly-eval/1.0");
        assertThat(line.get("model").asText()).isEqualTo("tiny");
        assertThat(line.get("stream").asBoolean()).isFalse();
        assertThat(line.get("prompt_tokens").asInt()).isEqualTo(reply.at("/usage/prompt_tokens").asInt());
        assertThat(line.get("completion_tokens").asInt()).isEqualTo(9);
        assertThat(line.get("finish_reason").asText()).isEqualTo("length");
        assertThat(line.get("ttft_ms").asDouble()).isPositive().isLessThanOrEqualTo(line.get("duration_ms").asDouble());
        assertThat(line.get("queue_ms").asDouble()).isPositive().isLessThanOrEqualTo(line.get("ttft_ms").asDouble());
        assertThat(line.get("body_bytes").asInt()).isEqualTo(r.body().getBytes(StandardCharsets.UTF_8).length);
        String text = line.toString();
        assertThat(text).doesNotContain("vault").doesNotContain(reply.at("/choices/0/message/content").asText());
    }

    @Test
    void aRequestInAClientsTraceIsTracedAsItsChildBesideItsLine() throws Exception {
        String trace = "0af7651916cd43dd8448eb211c80319c";
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri("/v1/completions"))
                .header("Content-Type", "application/json").header("X-Request-Id", "traced-1")
                .header("traceparent", "00-" + trace + "-b7ad6b7169203331-01")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Once\",\"max_tokens\":4,\"ignore_eos\":true}"))
                .build());
        assertThat(r.statusCode()).isEqualTo(200);
        LoggedLines.lineOf(LINES, "traced-1");
        traces.flush();
        SpanData span = SPANS.getFinishedSpanItems().stream()
                .filter(s -> "traced-1".equals(s.getAttributes().get(io.opentelemetry.api.common.AttributeKey.stringKey(
                        "switchyard.request_id")))).findFirst().orElseThrow();
        assertThat(span.getTraceId()).isEqualTo(trace);
        assertThat(span.getParentSpanId()).isEqualTo("b7ad6b7169203331");
        assertThat(span.getName()).isEqualTo("POST /v1/completions");
        assertThat(span.getAttributes().get(io.opentelemetry.api.common.AttributeKey.longKey("gen_ai.usage.output_tokens")))
                .isEqualTo(4L);
    }

    @Test
    void aStreamedGenerationIsLoggedOnceItsLastEventIsOut() throws Exception {
        HttpResponse<String> r = post("/v1/completions", "{\"prompt\":\"Once\",\"max_tokens\":6,\"stream\":true,"
                + "\"ignore_eos\":true}", "stream-1");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("x-request-id")).hasValue("stream-1");
        JsonNode line = LoggedLines.lineOf(LINES, "stream-1");
        assertThat(line.get("stream").asBoolean()).isTrue();
        assertThat(line.get("completion_tokens").asInt()).isEqualTo(6);
        assertThat(line.get("body_bytes").asInt()).isEqualTo(r.body().getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void aRefusalIsLoggedWithItsErrorAndAnUnusableIdIsReplaced() throws Exception {
        HttpResponse<String> r = post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],"
                + "\"top_p\":7}", "not usable");
        assertThat(r.statusCode()).isEqualTo(400);
        String id = r.headers().firstValue("x-request-id").orElseThrow();
        assertThat(id).matches("req_[0-9a-f]{32}");
        JsonNode line = LoggedLines.lineOf(LINES, id);
        assertThat(line.get("status").asInt()).isEqualTo(400);
        assertThat(line.get("error_type").asText()).isEqualTo("invalid_request_error");
        assertThat(line.get("error_param").asText()).isEqualTo("top_p");
        assertThat(line.has("model")).isFalse();

        HttpResponse<String> models = server.get("/v1/models");
        JsonNode listed = LoggedLines.lineOf(LINES, models.headers().firstValue("x-request-id").orElseThrow());
        assertThat(listed.get("method").asText()).isEqualTo("GET");
        assertThat(listed.get("status").asInt()).isEqualTo(200);
    }

    @Test
    void requestsOneAfterAnotherOnAConnectionPairWithTheirOwnAnswers() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            // both in one write: the second arrives before the first is answered
            socket.getOutputStream().write(("GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Request-Id: first\r\n\r\n"
                    + "GET /health HTTP/1.1\r\nHost: x\r\nX-Request-Id: second\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String answers = readUntil(socket.getInputStream(), "x-request-id: second");
            assertThat(answers.indexOf("x-request-id: first")).as(answers).isNotNegative()
                    .isLessThan(answers.indexOf("x-request-id: second"));
        }
        assertThat(LoggedLines.lineOf(LINES, "first").get("path").asText()).isEqualTo("/v1/models");
        assertThat(LoggedLines.lineOf(LINES, "second").get("path").asText()).isEqualTo("/health");
    }

    @Test
    void aRequestRefusedWhileAGenerationRunsOnItsConnectionIsLoggedUnderItsOwnId() throws Exception {
        // a generation long enough to be running still when the next request is read, however busy the machine
        int context = ServerFixture.parse(server.get("/v1/models").body()).at("/data/0/max_model_len").asInt();
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            String body = "{\"prompt\":\"Hi\",\"max_tokens\":" + (context - 8) + ",\"ignore_eos\":true}";
            socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nX-Request-Id: running\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body
                    + "GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Request-Id: behind\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String answers = readUntil(socket.getInputStream(), "pipelining");
            assertThat(answers).as("the refusal carries the refused request's id").contains("x-request-id: behind");
        }
        JsonNode refused = LoggedLines.lineOf(LINES, "behind");
        assertThat(refused.get("status").asInt()).isEqualTo(400);
        assertThat(refused.get("path").asText()).isEqualTo("/v1/models");
        assertThat(LoggedLines.lineOf(LINES, "running").get("path").asText()).isEqualTo("/v1/completions");
    }

    @Test
    void aClientThatLeavesMidStreamIsLoggedAsDisconnected() throws Exception {
        int context = ServerFixture.parse(server.get("/v1/models").body()).at("/data/0/max_model_len").asInt();
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            String body = "{\"prompt\":\"Once\",\"max_tokens\":" + (context - 8) + ",\"stream\":true,"
                    + "\"ignore_eos\":true}";
            socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nX-Request-Id: leaver\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            assertThat(readUntil(socket.getInputStream(), "data: ")).startsWith("HTTP/1.1 200");
        }
        JsonNode line = LoggedLines.lineOf(LINES, "leaver");
        assertThat(line.get("outcome").asText()).isEqualTo("disconnected");
        assertThat(line.get("status").asInt()).as("the status that was sent").isEqualTo(200);
        assertThat(line.get("duration_ms").asDouble()).as("timed to when it left, not after " + context + " tokens")
                .isLessThan(10_000);
        assertThat(line.get("prompt_tokens").asInt()).as("what was computed before it left").isPositive();
        assertThat(line.get("completion_tokens").asInt()).isPositive().isLessThan(context - 8);
        assertThat(line.get("finish_reason").asText()).isEqualTo("abort");
    }

    @Test
    void anUploadThatWaitsForContinueIsLoggedWithItsFinalStatus() throws Exception {
        HttpRequest upload = BatchesApiTest.upload(server, "in.jsonl", "batch", "{}\n".getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(upload, (n, v) -> true).expectContinue(true)
                .header("X-Request-Id", "upload-1").build());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(LoggedLines.lineOf(LINES, "upload-1").get("status").asInt()).isEqualTo(200);
        assertThat(LINES.toString()).doesNotContain("\"status\":100");
    }

    private static String readUntil(InputStream in, String marker) throws Exception {
        StringBuilder seen = new StringBuilder();
        byte[] buf = new byte[4096];
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!seen.toString().contains(marker) && System.nanoTime() < deadline) {
            int n = in.read(buf);
            if (n < 0) {
                break;
            }
            seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
        }
        return seen.toString();
    }
}
