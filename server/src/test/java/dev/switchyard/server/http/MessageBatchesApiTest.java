package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Anthropic's Message Batches API: requests sent inline run as a batch of the Messages API, and
 * their results read back one line per request (succeeded with the message the Messages API
 * answers, errored with the error it answers, canceled when the batch was cancelled first), with
 * Anthropic's counts, listing, deletion and errors.
 */
class MessageBatchesApiTest {

    private static ServerFixture server;

    @BeforeAll
    static void start() throws Exception {
        server = ServerFixture.start(ServerFixture.engine(8, 0, 64),
                HttpServerConfig.loopback(0).withBatches(HttpServerConfig.BatchConfig.temporary(2)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String params(String content, int maxTokens) {
        return "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}],\"max_tokens\":"
                + maxTokens + ",\"temperature\":0,\"ignore_eos\":true}";
    }

    private static String request(String id, String params) {
        return "{\"custom_id\":\"" + id + "\",\"params\":" + params + "}";
    }

    private static JsonNode create(List<String> requests) {
        return server.ok("/v1/messages/batches", "{\"requests\":[" + String.join(",", requests) + "]}");
    }

    private static JsonNode ended(String id) throws InterruptedException {
        for (int i = 0; i < 1200; i++) {
            JsonNode b = ServerFixture.parse(server.get("/v1/messages/batches/" + id).body());
            if (b.get("processing_status").asText().equals("ended")) {
                return b;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("message batch " + id + " did not end in 60 s");
    }

    private static List<JsonNode> results(JsonNode batch) {
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(java.net.URI.create(batch.get("results_url").asText()))
                .build());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        List<JsonNode> lines = new ArrayList<>();
        r.body().lines().forEach(l -> lines.add(ServerFixture.parse(l)));
        return lines;
    }

    @Test
    void aBatchAnswersAsTheMessagesApiAndReportsEachRequest() throws Exception {
        JsonNode made = create(List.of(request("hello", params("Hello", 5)), request("yard", params("The yard", 3)),
                request("bad", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}")));
        assertThat(made.get("id").asText()).startsWith("msgbatch_");
        assertThat(made.get("type").asText()).isEqualTo("message_batch");
        assertThat(made.get("processing_status").asText()).isEqualTo("in_progress");
        assertThat(made.get("results_url").isNull()).isTrue();
        assertThat(made.at("/request_counts/processing").asInt()).isEqualTo(3);
        assertThat(java.time.Instant.parse(made.get("expires_at").asText()))
                .isEqualTo(java.time.Instant.parse(made.get("created_at").asText()).plusSeconds(24 * 3600));

        JsonNode done = ended(made.get("id").asText());
        assertThat(done.get("request_counts")).isEqualTo(ServerFixture.parse(
                "{\"processing\":0,\"succeeded\":2,\"errored\":1,\"canceled\":0,\"expired\":0}"));
        assertThat(done.get("ended_at").isTextual()).isTrue();
        assertThat(done.get("results_url").asText())
                .isEqualTo("http://127.0.0.1:" + server.port() + "/v1/messages/batches/" + done.get("id").asText() + "/results");

        List<JsonNode> results = results(done);
        assertThat(results).extracting(r -> r.get("custom_id").asText()).containsExactlyInAnyOrder("hello", "yard", "bad");
        JsonNode hello = results.stream().filter(r -> r.get("custom_id").asText().equals("hello")).findFirst().orElseThrow();
        assertThat(hello.at("/result/type").asText()).isEqualTo("succeeded");
        JsonNode direct = server.ok("/v1/messages", params("Hello", 5));
        assertThat(hello.at("/result/message/content")).isEqualTo(direct.get("content"));
        assertThat(hello.at("/result/message/usage/output_tokens").asInt()).isEqualTo(5);
        JsonNode bad = results.stream().filter(r -> r.get("custom_id").asText().equals("bad")).findFirst().orElseThrow();
        assertThat(bad.at("/result/type").asText()).isEqualTo("errored");
        assertThat(bad.at("/result/error/type").asText()).isEqualTo("error");
        assertThat(bad.at("/result/error/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(bad.at("/result/error/error/message").asText()).contains("max_tokens");
    }

    @Test
    void aCancelledBatchReportsWhatItNeverRanAsCanceled() throws Exception {
        List<String> requests = IntStream.range(0, 30).mapToObj(i -> request("r" + i, params("Count " + i, 48))).toList();
        String id = create(requests).get("id").asText();
        for (int i = 0; i < 600; i++) {
            if (ServerFixture.parse(server.get("/v1/messages/batches/" + id).body()).at("/request_counts/succeeded")
                    .asInt() >= 1) {
                break;
            }
            Thread.sleep(50);
        }
        JsonNode cancelling = server.ok("/v1/messages/batches/" + id + "/cancel", "");
        assertThat(cancelling.get("processing_status").asText()).isIn("canceling", "ended");
        assertThat(cancelling.get("cancel_initiated_at").isTextual()).isTrue();
        JsonNode done = ended(id);
        int succeeded = done.at("/request_counts/succeeded").asInt();
        int canceled = done.at("/request_counts/canceled").asInt();
        assertThat(succeeded).isBetween(1, 29);
        assertThat(succeeded + canceled).isEqualTo(30);
        var byType = results(done).stream().collect(Collectors.groupingBy(r -> r.at("/result/type").asText(),
                Collectors.counting()));
        assertThat(byType).containsEntry("succeeded", (long) succeeded).containsEntry("canceled", (long) canceled)
                .hasSize(2);
    }

    @Test
    void batchesAreListedNewestFirstAndDeletedOnceEnded() throws Exception {
        String first = create(List.of(request("a", params("Hi", 1)))).get("id").asText();
        String second = create(List.of(request("a", params("Hi", 1)))).get("id").asText();
        HttpResponse<String> early = server.get("/v1/messages/batches/" + second + "/results");
        if (early.statusCode() != 200) {
            assertThat(early.statusCode()).isEqualTo(400);
            assertThat(ServerFixture.parse(early.body()).at("/error/type").asText()).isEqualTo("invalid_request_error");
        }
        ended(first);
        ended(second);
        JsonNode page = ServerFixture.parse(server.get("/v1/messages/batches?limit=1").body());
        assertThat(page.get("data")).extracting(b -> b.get("id").asText()).containsExactly(second);
        assertThat(page.get("has_more").asBoolean()).isTrue();
        JsonNode next = ServerFixture.parse(server.get("/v1/messages/batches?limit=1&after_id=" + second).body());
        assertThat(next.get("data")).extracting(b -> b.get("id").asText()).containsExactly(first);
        JsonNode back = ServerFixture.parse(server.get("/v1/messages/batches?limit=5&before_id=" + first).body());
        assertThat(back.get("data")).extracting(b -> b.get("id").asText()).startsWith(second);

        HttpResponse<String> deleted = server.send(HttpRequest.newBuilder(server.uri("/v1/messages/batches/" + first))
                .DELETE().build());
        assertThat(ServerFixture.parse(deleted.body())).isEqualTo(ServerFixture.parse(
                "{\"id\":\"" + first + "\",\"type\":\"message_batch_deleted\"}"));
        HttpResponse<String> gone = server.get("/v1/messages/batches/" + first);
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(ServerFixture.parse(gone.body()).at("/error/type").asText()).isEqualTo("not_found_error");
    }

    @Test
    void badRequestsGetAnthropicsErrors() {
        for (String body : List.of("{\"requests\":[]}", "{}",
                "{\"requests\":[" + request("same", params("x", 1)) + "," + request("same", params("y", 1)) + "]}",
                "{\"requests\":[" + request("not ok!", params("x", 1)) + "]}",
                "{\"requests\":[{\"custom_id\":\"a\",\"params\":[]}]}",
                "{\"requests\":[" + request("s", "{\"max_tokens\":1,\"stream\":true,\"messages\":[]}") + "]}",
                "{\"requests\":[" + request("a", params("x", 1)) + "],\"webhook\":\"x\"}")) {
            HttpResponse<String> r = server.post("/v1/messages/batches", body);
            assertThat(r.statusCode()).as(body).isEqualTo(400);
            JsonNode error = ServerFixture.parse(r.body());
            assertThat(error.get("type").asText()).as(body).isEqualTo("error");
            assertThat(error.at("/error/type").asText()).as(body).isEqualTo("invalid_request_error");
        }
        String openAiBatch = "batch_0123";
        assertThat(server.get("/v1/messages/batches/" + openAiBatch).statusCode()).isEqualTo(404);
        assertThat(server.post("/v1/messages/batches/msgbatch_missing/cancel", "").statusCode()).isEqualTo(404);
        assertThat(server.send(HttpRequest.newBuilder(server.uri("/v1/messages/batches/x/results"))
                .POST(HttpRequest.BodyPublishers.noBody()).build()).statusCode()).isEqualTo(405);
    }
}
