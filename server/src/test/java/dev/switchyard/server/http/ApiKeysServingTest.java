package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.server.accesslog.AccessLog;
import dev.switchyard.server.accesslog.LoggedLines;
import dev.switchyard.server.accesslog.KeyUsage;
import dev.switchyard.server.accesslog.RequestRecorder;
import dev.switchyard.server.serving.ApiKeys;
import java.io.StringWriter;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Several clients with keys of their own ({@code --api-key-file}): each key lets its client in, as a
 * bearer token or {@code x-api-key}, and names its requests in the access log; a key that is none of
 * them gets 401 and no name; each key's requests and tokens are counted under its name in the
 * metrics; the server's own batches get in with its loopback key.
 */
class ApiKeysServingTest {


    private static HttpResponse<String> models(ServerFixture server, String header, String value, String id) {
        HttpRequest.Builder b = HttpRequest.newBuilder(server.uri("/v1/models")).header("X-Request-Id", id).GET();
        if (header != null) {
            b.header(header, value);
        }
        return server.send(b.build());
    }

    @Test
    void eachClientsKeyLetsItInAndNamesItsRequests(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), "alice sk-alice\nbob sk-bob\n");
        StringWriter lines = new StringWriter();
        ServerFixture[] started = new ServerFixture[1];
        KeyUsage usage = new KeyUsage(true, () -> started[0] == null ? null : started[0].served.metrics());
        try (AccessLog log = AccessLog.to(lines);
             ServerFixture server = ServerFixture.start(ServerFixture.engine(8, 0, 64), HttpServerConfig.loopback(0)
                     .withApiKeys(ApiKeys.from(null, file)).withRecorder(RequestRecorder.of(List.of(usage, log))))) {
            started[0] = server;
            assertThat(models(server, "Authorization", "Bearer sk-alice", "a1").statusCode()).isEqualTo(200);
            assertThat(models(server, "x-api-key", "sk-bob", "b1").statusCode()).isEqualTo(200);
            assertThat(models(server, "Authorization", "Bearer sk-carol", "c1").statusCode()).isEqualTo(401);
            assertThat(models(server, null, null, "n1").statusCode()).isEqualTo(401);
            assertThat(LoggedLines.lineOf(lines, "a1").get("api_key").asText()).isEqualTo("alice");
            assertThat(LoggedLines.lineOf(lines, "b1").get("api_key").asText()).isEqualTo("bob");
            assertThat(LoggedLines.lineOf(lines, "c1").has("api_key")).isFalse();
            assertThat(LoggedLines.lineOf(lines, "c1").get("status").asInt()).isEqualTo(401);
            assertThat(lines.toString()).doesNotContain("sk-alice").doesNotContain("sk-bob");

            // what each key asked for and used, counted under its name
            HttpResponse<String> completion = server.send(HttpRequest.newBuilder(server.uri("/v1/completions"))
                    .header("Authorization", "Bearer sk-alice").header("X-Request-Id", "a2")
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"prompt\":\"Once upon\",\"max_tokens\":5,\"ignore_eos\":true}")).build());
            assertThat(completion.statusCode()).isEqualTo(200);
            LoggedLines.lineOf(lines, "a2");
            JsonNode used = ServerFixture.parse(completion.body()).get("usage");
            assertThat(server.metric("switchyard_api_key_requests_total{api_key=\"alice\",model=\"tiny\",outcome=\"ok\"}"))
                    .isEqualTo(2);
            assertThat(server.metric("switchyard_api_key_requests_total{api_key=\"bob\",model=\"tiny\",outcome=\"ok\"}"))
                    .isEqualTo(1);
            assertThat(server.metric("switchyard_api_key_prompt_tokens_total{api_key=\"alice\",model=\"tiny\"}"))
                    .isEqualTo(used.get("prompt_tokens").asInt());
            assertThat(server.metric("switchyard_api_key_generation_tokens_total{api_key=\"alice\",model=\"tiny\"}"))
                    .isEqualTo(5);
            assertThat(server.get("/metrics").body()).as("refused keys are not counted").doesNotContain("carol")
                    .doesNotContain("outcome=\"client_error\"");

            // a batch made with alice's key runs through the server's endpoints with the server's own
            JsonNode line = BatchesApiTest.batchLineAs(server, "sk-alice", lines);
            assertThat(line.get("api_key").asText()).isEqualTo(ApiKeys.LOOPBACK);
            assertThat(line.get("batch_owner").asText()).as("the batch's request counts for alice").isEqualTo("alice");
            // a client's own mark speaks for nobody
            HttpResponse<String> forged = server.send(HttpRequest.newBuilder(server.uri("/v1/completions"))
                    .header("Authorization", "Bearer sk-bob").header("Content-Type", "application/json")
                    .header("x-switchyard-batch-owner", "alice").header("X-Request-Id", "forged-owner")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Hi\",\"max_tokens\":1}")).build());
            assertThat(forged.statusCode()).isEqualTo(200);
            JsonNode forgedLine = LoggedLines.lineOf(lines, "forged-owner");
            assertThat(forgedLine.get("api_key").asText()).isEqualTo("bob");
            assertThat(forgedLine.has("batch_owner")).isFalse();
        }
    }

    @Test
    void aKeyWithABoundIsAnswered429PastItWhileOtherKeysGoOn(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), "alice sk-alice concurrency=1\nbob sk-bob\n");
        try (ServerFixture server = ServerFixture.start(ServerFixture.engine(8, 0, 64), HttpServerConfig.loopback(0)
                .withApiKeys(ApiKeys.from(null, file)))) {
            int context = ServerFixture.parse(server.send(HttpRequest.newBuilder(server.uri("/v1/models"))
                    .header("x-api-key", "sk-bob").GET().build()).body()).at("/data/0/max_model_len").asInt();
            HttpResponse<java.io.InputStream> running = server.client.send(HttpRequest.newBuilder(
                    server.uri("/v1/completions")).header("Authorization", "Bearer sk-alice")
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"prompt\":\"Once\",\"max_tokens\":" + (context - 8) + ",\"stream\":true,"
                                    + "\"ignore_eos\":true}")).build(), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(running.statusCode()).isEqualTo(200);
            String completion = "{\"prompt\":\"Hi\",\"max_tokens\":2}";
            HttpResponse<String> second = server.send(HttpRequest.newBuilder(server.uri("/v1/completions"))
                    .header("Authorization", "Bearer sk-alice").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(completion)).build());
            assertThat(second.statusCode()).isEqualTo(429);
            assertThat(ServerFixture.parse(second.body()).at("/error/code").asText()).isEqualTo("rate_limit_exceeded");
            assertThat(ServerFixture.parse(second.body()).at("/error/message").asText()).contains("alice");
            HttpResponse<String> other = server.send(HttpRequest.newBuilder(server.uri("/v1/completions"))
                    .header("Authorization", "Bearer sk-bob").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(completion)).build());
            assertThat(other.statusCode()).as("another key goes on").isEqualTo(200);
            // a client sending the server's own mark gets nothing from it
            HttpResponse<String> forged = server.send(HttpRequest.newBuilder(server.uri("/v1/models"))
                    .header("x-api-key", "sk-bob").header(AccessLogHandler.OVER_BOUND, "bob").GET().build());
            assertThat(forged.statusCode()).isEqualTo(200);

            running.body().close(); // the client leaves: its place is free again
            int status = 0;
            for (int i = 0; i < 200 && status != 200; i++) {
                status = server.send(HttpRequest.newBuilder(server.uri("/v1/completions"))
                        .header("Authorization", "Bearer sk-alice").header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(completion)).build()).statusCode();
                Thread.sleep(25);
            }
            assertThat(status).isEqualTo(200);
        }
    }

    private static final long SECOND = 1_000_000_000L;

    private static String header(HttpResponse<?> r, String name) {
        return r.headers().firstValue(name).orElse(null);
    }

    /** The series' value once it is {@code expected} (a request is counted just after its answer is out), or after 5 s. */
    private static double counted(ServerFixture server, String series, double expected) throws InterruptedException {
        for (int i = 0; i < 200; i++) {
            try {
                if (server.metric(series) == expected) {
                    break;
                }
            } catch (AssertionError notYet) {
                // not counted yet
            }
            Thread.sleep(25);
        }
        return server.metric(series);
    }

    private static HttpResponse<String> complete(ServerFixture server, String key, String body) {
        return server.send(HttpRequest.newBuilder(server.uri("/v1/completions")).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    @Test
    void aKeyPastItsRequestsPerMinuteIsAnswered429WithWhenToRetryWhileOtherKeysGoOn(@TempDir Path dir)
            throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), "alice sk-alice requests_per_minute=2\nbob sk-bob\n");
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(0);
        ServerFixture[] started = new ServerFixture[1];
        KeyUsage usage = new KeyUsage(true, () -> started[0] == null ? null : started[0].served.metrics());
        try (ServerFixture server = ServerFixture.start(ServerFixture.engine(8, 0, 64), HttpServerConfig.loopback(0)
                .withApiKeys(ApiKeys.from(null, file, now::get)).withRecorder(usage))) {
            started[0] = server;
            HttpResponse<String> first = models(server, "Authorization", "Bearer sk-alice", "a1");
            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(header(first, "x-ratelimit-limit-requests")).isEqualTo("2");
            assertThat(header(first, "x-ratelimit-remaining-requests")).isEqualTo("1");
            assertThat(header(first, "x-ratelimit-reset-requests")).as("one back at 2 a minute").isEqualTo("30s");
            assertThat(header(first, "x-ratelimit-limit-tokens")).as("no token budget").isNull();
            assertThat(header(first, "retry-after")).isNull();

            HttpResponse<String> second = models(server, "x-api-key", "sk-alice", "a2");
            assertThat(second.statusCode()).isEqualTo(200);
            assertThat(header(second, "x-ratelimit-remaining-requests")).isEqualTo("0");
            assertThat(header(second, "x-ratelimit-reset-requests")).isEqualTo("1m0s");

            HttpResponse<String> third = complete(server, "sk-alice", "{\"prompt\":\"Hi\",\"max_tokens\":2}");
            assertThat(third.statusCode()).isEqualTo(429);
            JsonNode error = ServerFixture.parse(third.body()).get("error");
            assertThat(error.get("type").asText()).isEqualTo("rate_limit_error");
            assertThat(error.get("code").asText()).isEqualTo("rate_limit_exceeded");
            assertThat(error.get("message").asText()).contains("'alice'").contains("2 requests per minute")
                    .contains("retry after 30s");
            assertThat(header(third, "retry-after")).isEqualTo("30");
            assertThat(header(third, "retry-after-ms")).isEqualTo("30000");
            assertThat(header(third, "x-ratelimit-limit-requests")).isEqualTo("2");
            assertThat(header(third, "x-ratelimit-remaining-requests")).isEqualTo("0");

            HttpResponse<String> other = complete(server, "sk-bob", "{\"prompt\":\"Hi\",\"max_tokens\":2}");
            assertThat(other.statusCode()).as("another key goes on").isEqualTo(200);
            assertThat(other.headers().map().keySet()).as("a key without limits gets no rate-limit headers")
                    .noneMatch(h -> h.startsWith("x-ratelimit") || h.startsWith("retry-after"));
            // a client sending the server's own mark gets nothing from it
            HttpResponse<String> forged = server.send(HttpRequest.newBuilder(server.uri("/v1/models"))
                    .header("x-api-key", "sk-bob").header(AccessLogHandler.RATE_LIMITED, "no").GET().build());
            assertThat(forged.statusCode()).isEqualTo(200);

            assertThat(counted(server, "switchyard_api_key_requests_total{api_key=\"alice\",model=\"tiny\","
                    + "outcome=\"rate_limited_requests\"}", 1)).isEqualTo(1);
            assertThat(counted(server, "switchyard_api_key_requests_total{api_key=\"alice\",model=\"tiny\","
                    + "outcome=\"ok\"}", 2)).isEqualTo(2);

            now.addAndGet(30 * SECOND); // one request back
            HttpResponse<String> later = models(server, "Authorization", "Bearer sk-alice", "a4");
            assertThat(later.statusCode()).isEqualTo(200);
            assertThat(header(later, "x-ratelimit-remaining-requests")).isEqualTo("0");
            assertThat(models(server, "Authorization", "Bearer sk-alice", "a5").statusCode()).isEqualTo(429);
        }
    }

    @Test
    void aRequestPastItsKeysTokenBudgetIsAnsweredAndTheNextRefusedUntilTheDebtIsPaid(@TempDir Path dir)
            throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), "alice sk-alice tokens_per_minute=10 requests_per_minute=100\n"
                + "bob sk-bob tokens_per_minute=1000\n");
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(0);
        try (ServerFixture server = ServerFixture.start(ServerFixture.engine(8, 0, 64), HttpServerConfig.loopback(0)
                .withApiKeys(ApiKeys.from(null, file, now::get)))) {
            String longer = "{\"prompt\":\"Once upon\",\"max_tokens\":12,\"ignore_eos\":true}";
            HttpResponse<String> first = complete(server, "sk-alice", longer);
            assertThat(first.statusCode()).as("admitted with its budget whole: answered").isEqualTo(200);
            JsonNode usage = ServerFixture.parse(first.body()).get("usage");
            int used = usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt();
            assertThat(used).isGreaterThan(10);
            assertThat(header(first, "x-ratelimit-limit-tokens")).isEqualTo("10");
            assertThat(header(first, "x-ratelimit-remaining-tokens")).as("its own tokens counted").isEqualTo("0");
            assertThat(header(first, "x-ratelimit-reset-tokens")).as("all it used, at 10 a minute")
                    .isEqualTo(dev.switchyard.server.serving.RateBucket.resetFormat(used * 6 * SECOND));
            assertThat(header(first, "x-ratelimit-limit-requests")).isEqualTo("100");
            assertThat(header(first, "x-ratelimit-remaining-requests")).isEqualTo("99");

            HttpResponse<String> next = complete(server, "sk-alice", "{\"prompt\":\"Hi\",\"max_tokens\":1}");
            assertThat(next.statusCode()).isEqualTo(429);
            JsonNode error = ServerFixture.parse(next.body()).get("error");
            assertThat(error.get("code").asText()).isEqualTo("rate_limit_exceeded");
            assertThat(error.get("message").asText()).contains("'alice'").contains("10 tokens per minute");
            long owed = used - 10L;
            assertThat(header(next, "retry-after")).as("the debt paid back at 10 a minute")
                    .isEqualTo(Long.toString(owed * 6));
            assertThat(header(next, "x-ratelimit-remaining-requests")).as("the refusal took no request")
                    .isEqualTo("99");

            HttpResponse<String> bob = complete(server, "sk-bob", longer);
            assertThat(bob.statusCode()).as("another key goes on").isEqualTo(200);
            assertThat(header(bob, "x-ratelimit-remaining-tokens")).isEqualTo(Long.toString(1000 - used));

            now.addAndGet(owed * 6 * SECOND); // the debt paid back
            HttpResponse<java.io.InputStream> streamed = server.client.send(HttpRequest.newBuilder(
                    server.uri("/v1/completions")).header("Authorization", "Bearer sk-alice")
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"prompt\":\"Once upon\",\"max_tokens\":12,\"ignore_eos\":true,\"stream\":true}")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(streamed.statusCode()).isEqualTo(200);
            assertThat(header(streamed, "x-ratelimit-remaining-tokens")).as("sent before its tokens are known")
                    .isEqualTo("0");
            try (java.io.InputStream body = streamed.body()) {
                body.readAllBytes();
            }
            HttpResponse<String> afterStream = complete(server, "sk-alice", "{\"prompt\":\"Hi\",\"max_tokens\":1}");
            assertThat(afterStream.statusCode()).as("a streamed answer's tokens are charged at its end").isEqualTo(429);
            assertThat(ServerFixture.parse(afterStream.body()).at("/error/message").asText())
                    .contains("tokens per minute");
        }
    }

    /** The key's tokens left now, as the headers of a cheap request of its say (which charges its own few). */
    private static long tokensLeft(ServerFixture server, String key) {
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri("/v1/models"))
                .header("Authorization", "Bearer " + key).GET().build());
        return Long.parseLong(header(r, "x-ratelimit-remaining-tokens"));
    }

    @Test
    void aClientThatLeavesMidStreamAndABackgroundResponseAreChargedForWhatTheyComputed(@TempDir Path dir)
            throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), "alice sk-alice tokens_per_minute=100000\n");
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong(0);
        try (ServerFixture server = ServerFixture.start(ServerFixture.engine(8, 0, 64), HttpServerConfig.loopback(0)
                .withApiKeys(ApiKeys.from(null, file, now::get)))) {
            assertThat(tokensLeft(server, "sk-alice")).isEqualTo(100000);
            HttpResponse<java.io.InputStream> streamed = server.client.send(HttpRequest.newBuilder(
                    server.uri("/v1/completions")).header("Authorization", "Bearer sk-alice")
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                            "{\"prompt\":\"Once upon\",\"max_tokens\":200,\"ignore_eos\":true,\"stream\":true}")).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertThat(streamed.statusCode()).isEqualTo(200);
            java.io.InputStream body = streamed.body();
            body.read(new byte[256]); // its first tokens
            body.close(); // the client leaves mid-stream
            long left = 100000;
            for (int i = 0; i < 200 && left == 100000; i++) {
                Thread.sleep(25);
                left = tokensLeft(server, "sk-alice");
            }
            assertThat(left).as("the prompt and the tokens computed before it stopped are charged").isLessThan(100000 - 2);

            HttpResponse<String> queued = server.send(HttpRequest.newBuilder(server.uri("/v1/responses"))
                    .header("Authorization", "Bearer sk-alice").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"input\":\"Hello\",\"background\":true,"
                            + "\"max_output_tokens\":16}")).build());
            assertThat(queued.statusCode()).as(queued.body()).isEqualTo(200);
            String id = ServerFixture.parse(queued.body()).get("id").asText();
            JsonNode done = null;
            for (int i = 0; i < 400; i++) {
                done = ServerFixture.parse(server.send(HttpRequest.newBuilder(server.uri("/v1/responses/" + id))
                        .header("Authorization", "Bearer sk-alice").GET().build()).body());
                if (done.get("status").asText().equals("completed") || done.get("status").asText().equals("incomplete")) {
                    break;
                }
                Thread.sleep(25);
            }
            int used = done.at("/usage/total_tokens").asInt();
            assertThat(used).isPositive();
            long after = tokensLeft(server, "sk-alice");
            assertThat(after).as("the background response's tokens are charged when it ends").isEqualTo(left - used);
        }
    }
}
