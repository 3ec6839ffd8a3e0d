package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch running when the server stops, where the files are kept across restarts
 * ({@code --files-dir}): the stopping server leaves it as it stands instead of cancelling it, and
 * the next server goes on from the results written, so every request is answered once, as it would
 * have been without the restart.
 */
class BatchesAcrossRestartsTest {

    private static final int REQUESTS = 12;

    private static HttpServerConfig keptIn(Path dir) {
        return HttpServerConfig.loopback(0).withBatches(new HttpServerConfig.BatchConfig(dir, 8L << 20, 1));
    }

    private static String body(int i) {
        return "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"request " + i + " of the night\"}],"
                + "\"max_tokens\":48,\"temperature\":0,\"ignore_eos\":true}";
    }

    private static JsonNode batch(ServerFixture server, String id) {
        return ServerFixture.parse(server.get("/v1/batches/" + id).body());
    }

    @Test
    void aBatchRunningWhenTheServerStopsGoesOnUnderTheNextOne(@TempDir Path dir) throws Exception {
        String id;
        ServerFixture first = ServerFixture.start(ServerFixture.engine(8, 0, 64), keptIn(dir));
        try {
            StringBuilder input = new StringBuilder();
            for (int i = 0; i < REQUESTS; i++) {
                input.append("{\"custom_id\":\"q").append(i).append("\",\"method\":\"POST\",\"url\":"
                        + "\"/v1/chat/completions\",\"body\":").append(body(i)).append("}\n");
            }
            HttpResponse<String> uploaded = first.send(BatchesApiTest.upload(first, "night.jsonl", "batch",
                    input.toString().getBytes(StandardCharsets.UTF_8)));
            assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(200);
            id = first.ok("/v1/batches", "{\"input_file_id\":\"" + ServerFixture.parse(uploaded.body()).get("id")
                    .asText() + "\",\"endpoint\":\"/v1/chat/completions\",\"completion_window\":\"24h\"}")
                    .get("id").asText();
            for (int i = 0; i < 3000 && batch(first, id).at("/request_counts/completed").asInt() < 2; i++) {
                Thread.sleep(10);
            }
            first.server.shutdown(Duration.ofSeconds(10));
        } finally {
            first.close();
        }
        JsonNode left = ServerFixture.JSON.readTree(dir.resolve(id + ".json").toFile());
        assertThat(left.get("status").asText()).as("left to the next server, not cancelled").isEqualTo("in_progress");
        int answeredBefore = Files.readAllLines(dir.resolve(".running").resolve(id + "_output.jsonl")).size();
        assertThat(answeredBefore).as("answers written before the stop").isBetween(2, REQUESTS - 1);

        ServerFixture second = ServerFixture.start(ServerFixture.engine(8, 0, 64), keptIn(dir));
        try {
            JsonNode done = null;
            for (int i = 0; i < 1200; i++) {
                done = batch(second, id);
                if (done.get("status").asText().equals("completed")) {
                    break;
                }
                Thread.sleep(50);
            }
            assertThat(done.get("status").asText()).isEqualTo("completed");
            assertThat(done.at("/request_counts/completed").asInt()).isEqualTo(REQUESTS);
            assertThat(done.at("/request_counts/failed").asInt()).isZero();
            assertThat(done.at("/usage/output_tokens").asInt()).isEqualTo(REQUESTS * 48);
            HttpResponse<String> content = second.get("/v1/files/" + done.get("output_file_id").asText() + "/content");
            List<JsonNode> answers = new ArrayList<>();
            content.body().lines().forEach(l -> answers.add(ServerFixture.parse(l)));
            assertThat(answers).extracting(a -> a.get("custom_id").asText())
                    .containsExactlyElementsOf(IntStream.range(0, REQUESTS).mapToObj(i -> "q" + i).toList());
            // an answer from before the restart and one from after are those of the request sent directly
            for (int i : new int[] {0, REQUESTS - 1}) {
                assertThat(answers.get(i).at("/response/body/choices/0/message/content").asText())
                        .isEqualTo(second.ok("/v1/chat/completions", body(i)).at("/choices/0/message/content").asText());
            }
        } finally {
            second.close();
        }
    }
}
