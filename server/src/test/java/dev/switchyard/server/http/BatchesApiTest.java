package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's Files and Batch APIs while serving: an uploaded input file runs as a batch through the
 * server's own endpoints beside its clients, and its results come back as files, answers apart from
 * refusals, in the input's order; an input with problems fails before anything runs; a batch stops
 * when cancelled; and every misuse gets its error.
 */
class BatchesApiTest {

    private static ServerFixture server;
    /** The space for files: twice the default body limit, which uploads are not held to. */
    private static final int SPACE = 2 * HttpServerConfig.DEFAULT_MAX_BODY;

    @BeforeAll
    static void start() throws Exception {
        server = ServerFixture.start(ServerFixture.engine(8, 0, 64),
                HttpServerConfig.loopback(0).withBatches(new HttpServerConfig.BatchConfig(null, SPACE, 2)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static final String BOUNDARY = "switchyard-test-boundary";

    /** A multipart upload as the SDKs send it: a {@code purpose} field and a {@code file} part. */
    static HttpRequest upload(ServerFixture server, String filename, String purpose, byte[] content) {
        return upload(server, filename, purpose, java.util.Map.of(), content);
    }

    /** The same with more fields ({@code expires_after[seconds]}, ...). */
    static HttpRequest upload(ServerFixture server, String filename, String purpose, java.util.Map<String, String> fields,
                              byte[] content) {
        StringBuilder head = new StringBuilder();
        if (purpose != null) {
            head.append("--").append(BOUNDARY).append("\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\n")
                    .append(purpose).append("\r\n");
        }
        fields.forEach((name, value) -> head.append("--").append(BOUNDARY)
                .append("\r\nContent-Disposition: form-data; name=\"").append(name).append("\"\r\n\r\n")
                .append(value).append("\r\n"));
        head.append("--").append(BOUNDARY).append("\r\nContent-Disposition: form-data; name=\"file\"; filename=\"")
                .append(filename).append("\"\r\nContent-Type: application/jsonl\r\n\r\n");
        byte[] start = head.toString().getBytes(StandardCharsets.UTF_8);
        byte[] end = ("\r\n--" + BOUNDARY + "--\r\n").getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[start.length + content.length + end.length];
        System.arraycopy(start, 0, body, 0, start.length);
        System.arraycopy(content, 0, body, start.length, content.length);
        System.arraycopy(end, 0, body, start.length + content.length, end.length);
        return HttpRequest.newBuilder(server.uri("/v1/files"))
                .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    }

    private static String uploaded(List<String> lines) {
        HttpResponse<String> r = server.send(upload(server, "input.jsonl", "batch",
                (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return ServerFixture.parse(r.body()).get("id").asText();
    }

    private static String chatLine(String id, String content, int maxTokens) {
        return "{\"custom_id\":\"" + id + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":"
                + "\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"" + content + "\"}],\"max_tokens\":" + maxTokens
                + ",\"temperature\":0,\"ignore_eos\":true}}";
    }

    private static JsonNode create(String fileId, String endpoint) {
        return server.ok("/v1/batches", "{\"input_file_id\":\"" + fileId + "\",\"endpoint\":\"" + endpoint
                + "\",\"completion_window\":\"24h\",\"metadata\":{\"job\":\"nightly\"}}");
    }

    /** Polls the batch until it has ended. */
    private static JsonNode ended(String batchId) throws InterruptedException {
        for (int i = 0; i < 1200; i++) {
            JsonNode b = ServerFixture.parse(server.get("/v1/batches/" + batchId).body());
            if (List.of("completed", "failed", "expired", "cancelled").contains(b.get("status").asText())) {
                return b;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("batch " + batchId + " did not end in 60 s");
    }

    /**
     * Uploads {@code lines} as the batch input of the client of {@code key}, makes a batch of them for
     * {@code endpoint} with that key, and waits for it to end: its object, as that client reads it.
     */
    static JsonNode batchAs(ServerFixture server, String key, String lines, String endpoint) throws InterruptedException {
        HttpResponse<String> uploaded = server.send(HttpRequest.newBuilder(upload(server, "in.jsonl", "batch",
                lines.getBytes(StandardCharsets.UTF_8)), (n, v) -> true).header("Authorization", "Bearer " + key).build());
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
        HttpResponse<String> created = server.send(HttpRequest.newBuilder(server.uri("/v1/batches"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"input_file_id\":\""
                        + ServerFixture.parse(uploaded.body()).get("id").asText() + "\",\"endpoint\":\"" + endpoint
                        + "\",\"completion_window\":\"24h\"}")).build());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(200);
        String id = ServerFixture.parse(created.body()).get("id").asText();
        for (int i = 0; i < 1200; i++) {
            JsonNode b = ServerFixture.parse(server.send(HttpRequest.newBuilder(server.uri("/v1/batches/" + id))
                    .header("Authorization", "Bearer " + key).GET().build()).body());
            if (List.of("completed", "failed", "expired", "cancelled").contains(b.get("status").asText())) {
                return b;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("batch " + id + " did not end in 60 s");
    }

    /** The content of a kept file, as the client of {@code key} reads it. */
    /**
     * The access-log line of the one request of a one-line completions batch that {@code key} makes
     * (the line reads {@code "prompt":"Hi","max_tokens":2}), once the batch has completed.
     */
    static JsonNode batchLineAs(ServerFixture server, String key, java.io.StringWriter lines) throws InterruptedException {
        JsonNode done = batchAs(server, key, "{\"custom_id\":\"x\",\"method\":\"POST\","
                + "\"url\":\"/v1/completions\",\"body\":{\"prompt\":\"Hi\",\"max_tokens\":2}}\n", "/v1/completions");
        assertThat(done.at("/request_counts/completed").asInt()).isEqualTo(1);
        String requestId = ServerFixture.parse(contentAs(server, key, done.get("output_file_id").asText()))
                .at("/response/request_id").asText();
        return dev.switchyard.server.accesslog.LoggedLines.lineOf(lines, requestId);
    }

    static String contentAs(ServerFixture server, String key, String fileId) {
        return server.send(HttpRequest.newBuilder(server.uri("/v1/files/" + fileId + "/content"))
                .header("Authorization", "Bearer " + key).GET().build()).body();
    }

    private static List<JsonNode> contentLines(String fileId) {
        HttpResponse<String> r = server.get("/v1/files/" + fileId + "/content");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        r.body().lines().forEach(l -> out.add(ServerFixture.parse(l)));
        return out;
    }

    @Test
    void aBatchAnswersAsItsRequestsWouldAndSplitsRefusalsIntoTheErrorFile() throws Exception {
        String fileId = uploaded(List.of(
                chatLine("a", "Hello", 6),
                chatLine("b", "The switchyard", 4),
                "{\"custom_id\":\"bad\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"messages\":"
                        + "[{\"role\":\"user\",\"content\":\"x\"}],\"top_p\":7}}",
                chatLine("c", "Once", 5)));
        double completedBefore = server.metric("switchyard_batch_requests_total{model=\"tiny\",outcome=\"completed\"}");
        double failedBefore = server.metric("switchyard_batch_requests_total{model=\"tiny\",outcome=\"failed\"}");
        double batchesBefore = server.metric("switchyard_batches_total{model=\"tiny\",status=\"completed\"}");
        JsonNode created = create(fileId, "/v1/chat/completions");
        assertThat(created.get("object").asText()).isEqualTo("batch");
        assertThat(created.get("status").asText()).isIn("validating", "in_progress");
        assertThat(created.get("input_file_id").asText()).isEqualTo(fileId);
        assertThat(created.get("metadata").get("job").asText()).isEqualTo("nightly");
        assertThat(created.get("expires_at").asLong() - created.get("created_at").asLong()).isEqualTo(24 * 3600);

        JsonNode done = ended(created.get("id").asText());
        assertThat(done.get("status").asText()).isEqualTo("completed");
        assertThat(done.get("request_counts").get("total").asInt()).isEqualTo(4);
        assertThat(done.get("request_counts").get("completed").asInt()).isEqualTo(3);
        assertThat(done.get("request_counts").get("failed").asInt()).isEqualTo(1);
        assertThat(server.metric("switchyard_batch_requests_total{model=\"tiny\",outcome=\"completed\"}"))
                .isEqualTo(completedBefore + 3);
        assertThat(server.metric("switchyard_batch_requests_total{model=\"tiny\",outcome=\"failed\"}"))
                .isEqualTo(failedBefore + 1);
        String ended = "switchyard_batches_total{model=\"tiny\",status=\"completed\"}";
        for (int i = 0; i < 100 && server.metric(ended) < batchesBefore + 1; i++) {
            Thread.sleep(20); // counted just after the batch shows its end
        }
        assertThat(server.metric(ended)).isEqualTo(batchesBefore + 1);
        for (String at : List.of("in_progress_at", "finalizing_at", "completed_at")) {
            assertThat(done.get(at).isNumber()).as(at).isTrue();
        }

        List<JsonNode> answers = contentLines(done.get("output_file_id").asText());
        assertThat(answers).extracting(l -> l.get("custom_id").asText()).containsExactly("a", "b", "c");
        long input = 0;
        long output = 0;
        for (JsonNode line : answers) {
            assertThat(line.get("id").asText()).startsWith("batch_req_");
            assertThat(line.get("error").isNull()).isTrue();
            assertThat(line.get("response").get("status_code").asInt()).isEqualTo(200);
            input += line.at("/response/body/usage/prompt_tokens").asLong();
            output += line.at("/response/body/usage/completion_tokens").asLong();
        }
        assertThat(done.at("/usage/input_tokens").asLong()).isEqualTo(input);
        assertThat(done.at("/usage/output_tokens").asLong()).isEqualTo(output).isEqualTo(6 + 4 + 5);
        assertThat(done.at("/usage/total_tokens").asLong()).isEqualTo(input + output);

        // a batch's request answers as the same request sent by a client does
        JsonNode direct = server.ok("/v1/chat/completions", ServerFixture.parse(chatLine("a", "Hello", 6)).get("body")
                .toString());
        assertThat(answers.getFirst().at("/response/body/choices/0/message/content").asText())
                .isEqualTo(direct.at("/choices/0/message/content").asText());

        List<JsonNode> refused = contentLines(done.get("error_file_id").asText());
        assertThat(refused).hasSize(1);
        assertThat(refused.getFirst().get("custom_id").asText()).isEqualTo("bad");
        assertThat(refused.getFirst().at("/response/status_code").asInt()).isEqualTo(400);
        assertThat(refused.getFirst().at("/response/body/error/param").asText()).isEqualTo("top_p");

        JsonNode outputFile = ServerFixture.parse(server.get("/v1/files/" + done.get("output_file_id").asText()).body());
        assertThat(outputFile.get("purpose").asText()).isEqualTo("batch_output");
        assertThat(outputFile.get("filename").asText()).isEqualTo(done.get("id").asText() + "_output.jsonl");
    }

    @Test
    void anInputWithProblemsFailsBeforeAnythingRuns() throws Exception {
        String fileId = uploaded(List.of(
                chatLine("same", "Hello", 4),
                chatLine("same", "Hello", 4),
                "{\"custom_id\":\"other\",\"method\":\"POST\",\"url\":\"/v1/completions\",\"body\":{\"prompt\":\"x\"}}",
                "not json",
                "{\"custom_id\":\"streamed\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"stream\":true}}"));
        double before = server.metric("switchyard_generation_tokens_total{model=\"tiny\"}");
        JsonNode done = ended(create(fileId, "/v1/chat/completions").get("id").asText());
        assertThat(done.get("status").asText()).isEqualTo("failed");
        assertThat(done.get("failed_at").isNumber()).isTrue();
        assertThat(done.get("output_file_id").isNull()).isTrue();
        JsonNode errors = done.get("errors").get("data");
        assertThat(errors).extracting(e -> e.get("code").asText()).containsExactly("duplicate_custom_id",
                "mismatched_endpoint", "invalid_request", "invalid_request");
        assertThat(errors).extracting(e -> e.get("line").asInt()).containsExactly(2, 3, 4, 5);
        assertThat(server.metric("switchyard_generation_tokens_total{model=\"tiny\"}")).isEqualTo(before);
    }

    @Test
    void aCancelledBatchStopsAndKeepsWhatFinished() throws Exception {
        String fileId = uploaded(IntStream.range(0, 40).mapToObj(i -> chatLine("r" + i, "Count " + i, 48)).toList());
        String id = create(fileId, "/v1/chat/completions").get("id").asText();
        for (int i = 0; i < 600; i++) {
            JsonNode b = ServerFixture.parse(server.get("/v1/batches/" + id).body());
            if (b.at("/request_counts/completed").asInt() >= 1) {
                break;
            }
            Thread.sleep(50);
        }
        JsonNode cancelling = server.ok("/v1/batches/" + id + "/cancel", "");
        assertThat(cancelling.get("status").asText()).isIn("cancelling", "cancelled");
        assertThat(cancelling.get("cancelling_at").isNumber()).isTrue();
        JsonNode done = ended(id);
        assertThat(done.get("status").asText()).isEqualTo("cancelled");
        int completed = done.at("/request_counts/completed").asInt();
        assertThat(completed).isBetween(1, 39);
        // the requests that finished, in the input's order (one still running when it was cancelled is not)
        assertThat(contentLines(done.get("output_file_id").asText())).hasSize(completed)
                .extracting(l -> Integer.parseInt(l.get("custom_id").asText().substring(1)))
                .isSorted().doesNotHaveDuplicates().allSatisfy(i -> assertThat(i).isBetween(0, 39));
        HttpResponse<String> again = server.post("/v1/batches/" + id + "/cancel", "");
        assertThat(again.statusCode()).as(again.body()).isEqualTo(400);
        assertThat(again.body()).contains("cancelled");
    }

    @Test
    void filesAreListedReadAndDeleted() {
        byte[] content = (chatLine("x", "Hi", 2) + "\n").getBytes(StandardCharsets.UTF_8);
        HttpResponse<String> r = server.send(upload(server, "mine.jsonl", "batch", content));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode file = ServerFixture.parse(r.body());
        String id = file.get("id").asText();
        assertThat(id).startsWith("file-");
        assertThat(file.get("object").asText()).isEqualTo("file");
        assertThat(file.get("bytes").asLong()).isEqualTo(content.length);
        assertThat(file.get("filename").asText()).isEqualTo("mine.jsonl");
        assertThat(file.get("purpose").asText()).isEqualTo("batch");

        assertThat(server.get("/v1/files/" + id + "/content").body().getBytes(StandardCharsets.UTF_8)).isEqualTo(content);
        assertThat(ServerFixture.parse(server.get("/v1/files/" + id).body())).isEqualTo(file);
        JsonNode listed = ServerFixture.parse(server.get("/v1/files?purpose=batch&limit=100").body());
        assertThat(listed.get("object").asText()).isEqualTo("list");
        assertThat(listed.get("data")).extracting(f -> f.get("id").asText()).contains(id);
        assertThat(ServerFixture.parse(server.get("/v1/files?purpose=batch_output&limit=100").body()).get("data"))
                .extracting(f -> f.get("id").asText()).doesNotContain(id);

        HttpResponse<String> deleted = server.send(HttpRequest.newBuilder(server.uri("/v1/files/" + id)).DELETE().build());
        assertThat(ServerFixture.parse(deleted.body()).get("deleted").asBoolean()).isTrue();
        assertThat(server.get("/v1/files/" + id).statusCode()).isEqualTo(404);
        assertThat(server.get("/v1/files/" + id + "/content").statusCode()).isEqualTo(404);
    }

    @Test
    void misuseGetsItsErrorAndTheConnectionStaysUsable() {
        HttpResponse<String> purpose = server.send(upload(server, "a.jsonl", "fine-tune", "{}".getBytes()));
        assertThat(purpose.statusCode()).isEqualTo(400);
        assertThat(ServerFixture.parse(purpose.body()).at("/error/param").asText()).isEqualTo("purpose");
        HttpResponse<String> noPurpose = server.send(upload(server, "a.jsonl", null, "{}".getBytes()));
        assertThat(noPurpose.statusCode()).isEqualTo(400);
        HttpResponse<String> notMultipart = server.post("/v1/files", "{\"purpose\":\"batch\"}");
        assertThat(notMultipart.statusCode()).isEqualTo(400);
        assertThat(notMultipart.body()).contains("multipart/form-data");
        HttpResponse<String> tooLarge = server.send(upload(server, "big.jsonl", "batch", new byte[SPACE + 1]));
        assertThat(tooLarge.statusCode()).as(tooLarge.body()).isEqualTo(413);
        assertThat(ServerFixture.parse(tooLarge.body()).at("/error/code").asText()).isEqualTo("file_too_large");
        assertThat(server.get("/health").statusCode()).isEqualTo(200);

        String fileId = uploaded(List.of(chatLine("a", "Hi", 2)));
        assertThat(server.post("/v1/batches", "{\"input_file_id\":\"file-missing\",\"endpoint\":\"/v1/chat/completions\","
                + "\"completion_window\":\"24h\"}").statusCode()).isEqualTo(404);
        HttpResponse<String> endpoint = server.post("/v1/batches", "{\"input_file_id\":\"" + fileId
                + "\",\"endpoint\":\"/v1/models\",\"completion_window\":\"24h\"}");
        assertThat(endpoint.statusCode()).isEqualTo(400);
        assertThat(ServerFixture.parse(endpoint.body()).at("/error/param").asText()).isEqualTo("endpoint");
        HttpResponse<String> window = server.post("/v1/batches", "{\"input_file_id\":\"" + fileId
                + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"1h\"}");
        assertThat(ServerFixture.parse(window.body()).at("/error/param").asText()).isEqualTo("completion_window");
        HttpResponse<String> unknown = server.post("/v1/batches", "{\"input_file_id\":\"" + fileId
                + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"webhook\":\"x\"}");
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(server.get("/v1/batches/batch_missing").statusCode()).isEqualTo(404);
        assertThat(server.post("/v1/batches/batch_missing/cancel", "").statusCode()).isEqualTo(404);
        assertThat(server.get("/v1/files/file-missing").statusCode()).isEqualTo(404);
        assertThat(server.send(HttpRequest.newBuilder(server.uri("/v1/batches/x")).DELETE().build()).statusCode())
                .isEqualTo(405);
    }

    @Test
    void anUploadLargerThanTheBodyLimitIsWrittenAsItArrives() throws Exception {
        byte[] content = new byte[HttpServerConfig.DEFAULT_MAX_BODY + 12345];
        new java.util.Random(7).nextBytes(content);
        HttpRequest plain = upload(server, "large.bin", "batch", content);
        HttpRequest expecting = HttpRequest.newBuilder(plain, (name, value) -> true).expectContinue(true).build();
        HttpResponse<String> r = server.send(expecting);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        String id = ServerFixture.parse(r.body()).get("id").asText();
        HttpResponse<byte[]> back = server.client.send(HttpRequest.newBuilder(server.uri("/v1/files/" + id + "/content"))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(back.body()).isEqualTo(content);
        server.send(HttpRequest.newBuilder(server.uri("/v1/files/" + id)).DELETE().build());

        HttpResponse<String> garbled = server.send(HttpRequest.newBuilder(server.uri("/v1/files"))
                .header("Content-Type", "multipart/form-data; boundary=" + BOUNDARY)
                .POST(HttpRequest.BodyPublishers.ofString("this is no multipart body")).build());
        assertThat(garbled.statusCode()).as(garbled.body()).isEqualTo(400);
        assertThat(server.get("/health").statusCode()).isEqualTo(200);
    }

    @Test
    void filesAndABatchsResultsExpireAsAsked() throws Exception {
        byte[] content = (chatLine("x", "Hi", 1) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        HttpResponse<String> r = server.send(upload(server, "in.jsonl", "batch", java.util.Map.of(
                "expires_after[anchor]", "created_at", "expires_after[seconds]", "7200"), content));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode file = ServerFixture.parse(r.body());
        assertThat(file.get("expires_at").asLong()).isEqualTo(file.get("created_at").asLong() + 7200);
        for (var bad : List.of(java.util.Map.of("expires_after[anchor]", "created_at", "expires_after[seconds]", "60"),
                java.util.Map.of("expires_after[anchor]", "last_active_at", "expires_after[seconds]", "7200"),
                java.util.Map.of("expires_after[seconds]", "7200"), java.util.Map.of("colour", "blue"))) {
            HttpResponse<String> refused = server.send(upload(server, "in.jsonl", "batch", bad, content));
            assertThat(refused.statusCode()).as(bad.toString()).isEqualTo(400);
        }

        JsonNode made = server.ok("/v1/batches", "{\"input_file_id\":\"" + file.get("id").asText() + "\",\"endpoint\":"
                + "\"/v1/chat/completions\",\"completion_window\":\"24h\",\"output_expires_after\":{\"anchor\":"
                + "\"created_at\",\"seconds\":3600}}");
        JsonNode done = ended(made.get("id").asText());
        JsonNode output = ServerFixture.parse(server.get("/v1/files/" + done.get("output_file_id").asText()).body());
        assertThat(output.get("expires_at").asLong()).isEqualTo(output.get("created_at").asLong() + 3600);
        HttpResponse<String> badBatch = server.post("/v1/batches", "{\"input_file_id\":\"" + file.get("id").asText()
                + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\",\"output_expires_after\":"
                + "{\"anchor\":\"created_at\",\"seconds\":\"soon\"}}");
        assertThat(badBatch.statusCode()).isEqualTo(400);
        assertThat(ServerFixture.parse(badBatch.body()).at("/error/param").asText()).isEqualTo("output_expires_after.seconds");
    }

    @Test
    void aBatchWaitsOutAServerWhoseQueueIsFullInsteadOfFailing() throws Exception {
        // one sequence running, one waiting: of a batch's four requests at once, two are turned away (429)
        try (ServerFixture busy = ServerFixture.start(ServerFixture.engine(1, 0, 1),
                HttpServerConfig.loopback(0).withBatches(HttpServerConfig.BatchConfig.temporary(4)))) {
            String lines = IntStream.range(0, 6).mapToObj(i -> chatLine("q" + i, "Count " + i, 8))
                    .collect(java.util.stream.Collectors.joining("\n")) + "\n";
            HttpResponse<String> r = busy.send(upload(busy, "in.jsonl", "batch",
                    lines.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            String file = ServerFixture.parse(r.body()).get("id").asText();
            String id = busy.ok("/v1/batches", "{\"input_file_id\":\"" + file + "\",\"endpoint\":"
                    + "\"/v1/chat/completions\",\"completion_window\":\"24h\"}").get("id").asText();
            JsonNode done = null;
            for (int i = 0; i < 1200; i++) {
                done = ServerFixture.parse(busy.get("/v1/batches/" + id).body());
                if (done.get("status").asText().equals("completed")) {
                    break;
                }
                Thread.sleep(50);
            }
            assertThat(done.get("status").asText()).isEqualTo("completed");
            assertThat(done.at("/request_counts/completed").asInt()).isEqualTo(6);
            assertThat(done.at("/request_counts/failed").asInt()).isZero();
        }
    }

    @Test
    void batchesAreListedNewestFirst() throws Exception {
        String fileId = uploaded(List.of(chatLine("a", "Hi", 1)));
        String first = create(fileId, "/v1/chat/completions").get("id").asText();
        String second = create(fileId, "/v1/chat/completions").get("id").asText();
        ended(first);
        ended(second);
        JsonNode page = ServerFixture.parse(server.get("/v1/batches?limit=1").body());
        assertThat(page.get("data")).extracting(b -> b.get("id").asText()).containsExactly(second);
        assertThat(page.get("has_more").asBoolean()).isTrue();
        JsonNode next = ServerFixture.parse(server.get("/v1/batches?limit=1&after=" + second).body());
        assertThat(next.get("data")).extracting(b -> b.get("id").asText()).containsExactly(first);
    }
}
