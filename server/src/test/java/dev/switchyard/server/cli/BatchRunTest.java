package dev.switchyard.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve --batch-input}: a file of OpenAI Batch API lines runs through the server's own
 * endpoints and its results come out one line per request in the input's order, answers with their
 * status and body, refusals with the server's error, lines that cannot be sent with an error of their own.
 */
class BatchRunTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() {
        model = CliRun.mixtral(dir.resolve("tiny.gguf"), 2, 256);
    }

    @Test
    void aBatchRunsThroughTheEndpointsInTheInputsOrder() throws Exception {
        Path input = dir.resolve("in.jsonl");
        Path output = dir.resolve("out.jsonl");
        Files.write(input, List.of(
                "{\"custom_id\":\"chat-1\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"messages\":"
                        + "[{\"role\":\"user\",\"content\":\"Hello\"}],\"max_tokens\":6,\"temperature\":0,\"ignore_eos\":true}}",
                "{\"custom_id\":\"cmpl-1\",\"method\":\"POST\",\"url\":\"/v1/completions\",\"body\":{\"prompt\":"
                        + "\"The switchyard\",\"max_tokens\":5,\"temperature\":0,\"ignore_eos\":true}}",
                "{\"custom_id\":\"bad-1\",\"method\":\"POST\",\"url\":\"/v1/completions\",\"body\":{\"prompt\":\"x\","
                        + "\"top_p\":7}}",
                "{oops",
                "",
                "{\"custom_id\":\"stream-1\",\"method\":\"POST\",\"url\":\"/v1/completions\",\"body\":{\"prompt\":\"x\","
                        + "\"stream\":true}}",
                "{\"custom_id\":\"llama-1\",\"method\":\"POST\",\"url\":\"/completion\",\"body\":{\"prompt\":"
                        + "\"The switchyard\",\"n_predict\":5,\"temperature\":0,\"ignore_eos\":true}}"));
        CliRun run = CliRun.of("serve", "--model", model.toString(), "--threads", "1", "--batch-input", input.toString(),
                "--batch-output", output.toString(), "--batch-concurrency", "2");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("batch of 6 requests").contains("3 answered, 3 refused or failed");

        List<JsonNode> lines = new ArrayList<>();
        for (String line : Files.readAllLines(output)) {
            lines.add(JSON.readTree(line));
        }
        assertThat(lines).hasSize(6);
        List<String> ids = lines.stream().map(l -> l.path("custom_id").asText("")).toList();
        assertThat(ids).containsExactly("chat-1", "cmpl-1", "bad-1", "", "stream-1", "llama-1");
        for (JsonNode line : lines) {
            assertThat(line.get("id").asText()).startsWith("batch_req_");
        }
        JsonNode chat = lines.get(0).get("response");
        assertThat(chat.get("status_code").asInt()).isEqualTo(200);
        assertThat(chat.get("request_id").asText()).startsWith("req_");
        assertThat(chat.at("/body/object").asText()).isEqualTo("chat.completion");
        assertThat(chat.at("/body/usage/completion_tokens").asInt()).isEqualTo(6);
        assertThat(lines.get(0).get("error").isNull()).isTrue();
        String completed = lines.get(1).at("/response/body/choices/0/text").asText();
        assertThat(completed).isNotEmpty();
        assertThat(lines.get(6 - 1).at("/response/body/content").asText())
                .as("llama.cpp's endpoint, greedy on the same prompt").isEqualTo(completed);

        JsonNode refused = lines.get(2).get("response");
        assertThat(refused.get("status_code").asInt()).isEqualTo(400);
        assertThat(refused.at("/body/error/param").asText()).isEqualTo("top_p");
        assertThat(lines.get(3).get("response").isNull()).isTrue();
        assertThat(lines.get(3).at("/error/message").asText()).contains("line 4 is not JSON");
        assertThat(lines.get(4).at("/error/message").asText()).contains("stream");
    }

    @Test
    void batchSettingsAreCheckedBeforeAnythingStarts() {
        CliRun alone = CliRun.of("serve", "--model", model.toString(), "--batch-input", dir.resolve("in.jsonl").toString());
        assertThat(alone.exitCode()).isNotZero();
        assertThat(alone.err()).contains("--batch-input and --batch-output go together");
        CliRun missing = CliRun.of("serve", "--model", model.toString(), "--batch-input", dir.resolve("none.jsonl").toString(),
                "--batch-output", dir.resolve("o.jsonl").toString());
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.err()).contains("--batch-input: no file");
    }
}
