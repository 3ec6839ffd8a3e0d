package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.server.TinyAdapters;
import dev.switchyard.server.TinyModelFile;
import dev.switchyard.server.serving.AdapterSpec;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * vLLM's {@code /v1/load_lora_adapter} and {@code /v1/unload_lora_adapter}: with
 * {@code --allow-runtime-lora-updating}, an adapter loaded while serving is named by requests and
 * listed; unloading one that a running request applies is a 409, and once unloaded its name is a
 * 404; without the flag both refuse with 403.
 */
class RuntimeLoraUpdatingTest {

    private static TinyAdapters adapters;
    private static Path extra;
    private static ServerFixture server;

    @BeforeAll
    static void start() throws Exception {
        adapters = TinyAdapters.write("switchyard-runtime-lora");
        extra = adapters.terse();
        server = ServerFixture.start(ServerFixture.engine(8, 0, 64).withAdapters(List.of(
                new AdapterSpec("style", adapters.style(), 1f))), HttpServerConfig.loopback(0).withRuntimeLora(true));
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        adapters.close();
    }

    private static String completion(String extraFields) {
        return "{\"prompt\":\"The switchyard sorts wagons\",\"max_tokens\":16,\"temperature\":0,\"logprobs\":1"
                + extraFields + "}";
    }

    private static JsonNode choice(String body) {
        return server.ok("/v1/completions", body).get("choices").get(0);
    }

    @Test
    void anAdapterLoadedWhileServingIsNamedListedAndUnloaded() {
        JsonNode before = choice(completion(""));
        HttpResponse<String> loaded = server.post("/v1/load_lora_adapter",
                "{\"lora_name\":\"extra\",\"lora_path\":\"" + extra + "\"}");
        assertThat(loaded.statusCode()).as(loaded.body()).isEqualTo(200);
        assertThat(loaded.body()).isEqualTo("Success: LoRA adapter 'extra' added successfully.");
        // loaded at scale 0 by default: requests that say nothing are unchanged
        assertThat(choice(completion(""))).isEqualTo(before);
        JsonNode byName = choice(completion(",\"model\":\"extra\""));
        assertThat(byName).isEqualTo(choice(completion(",\"lora\":[{\"id\":1,\"scale\":1}]")));
        assertThat(byName.get("logprobs")).isNotEqualTo(choice(completion(",\"lora\":[]")).get("logprobs"));
        assertThat(ServerFixture.parse(server.get("/v1/models").body()).get("data")).hasSize(3);
        assertThat(ServerFixture.parse(server.get("/lora-adapters").body()).get(1).get("name").asText()).isEqualTo("extra");

        HttpResponse<String> again = server.post("/v1/load_lora_adapter",
                "{\"lora_name\":\"extra\",\"lora_path\":\"" + extra + "\"}");
        assertThat(again.statusCode()).isEqualTo(400);
        assertThat(again.body()).contains("already loaded");

        HttpResponse<String> unloaded = server.post("/v1/unload_lora_adapter", "{\"lora_name\":\"extra\"}");
        assertThat(unloaded.statusCode()).as(unloaded.body()).isEqualTo(200);
        assertThat(unloaded.body()).isEqualTo("Success: LoRA adapter 'extra' removed successfully.");
        assertThat(server.post("/v1/completions", completion(",\"model\":\"extra\"")).statusCode()).isEqualTo(404);
        assertThat(server.post("/v1/completions", completion(",\"lora\":[{\"id\":1,\"scale\":1}]")).statusCode())
                .isEqualTo(400);
        assertThat(server.post("/v1/unload_lora_adapter", "{\"lora_name\":\"extra\"}").statusCode()).isEqualTo(404);

        // loaded again, it takes a new number and computes as before
        assertThat(server.post("/v1/load_lora_adapter", "{\"lora_name\":\"extra\",\"lora_path\":\"" + extra + "\"}")
                .statusCode()).isEqualTo(200);
        assertThat(choice(completion(",\"lora\":[{\"id\":2,\"scale\":1}]"))).isEqualTo(byName);
        assertThat(server.post("/v1/unload_lora_adapter", "{\"lora_name\":\"extra\"}").statusCode()).isEqualTo(200);
    }

    @Test
    void anAdapterARunningRequestAppliesIsNotUnloaded() throws Exception {
        HttpRequest streamed = HttpRequest.newBuilder(server.uri("/v1/completions")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"Wagons\",\"max_tokens\":200,\"ignore_eos\":true,"
                        + "\"stream\":true,\"model\":\"style\"}")).build();
        HttpResponse<InputStream> r = server.client.send(streamed, HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
            String first;
            do {
                first = lines.readLine();
            } while (first != null && !first.startsWith("data: {"));
            assertThat(first).isNotNull();
            HttpResponse<String> busy = server.post("/v1/unload_lora_adapter", "{\"lora_name\":\"style\"}");
            assertThat(busy.statusCode()).as(busy.body()).isEqualTo(409);
            assertThat(ServerFixture.parse(busy.body()).at("/error/message").asText())
                    .contains("applied by 1 sequence(s) still waiting or running");
            // still served
            assertThat(server.post("/v1/completions", completion(",\"model\":\"style\"")).statusCode()).isEqualTo(200);
            while (lines.readLine() != null) {
                // the stream runs to its end
            }
        }
    }

    @Test
    void badLoadsAreClearErrors() {
        HttpResponse<String> missing = server.post("/v1/load_lora_adapter",
                "{\"lora_name\":\"x\",\"lora_path\":\"" + adapters.dir().resolve("none.gguf") + "\"}");
        assertThat(missing.statusCode()).isEqualTo(400);
        assertThat(missing.body()).contains("no such file");
        HttpResponse<String> model = server.post("/v1/load_lora_adapter",
                "{\"lora_name\":\"x\",\"lora_path\":\"" + TinyModelFile.path() + "\"}");
        assertThat(model.statusCode()).isEqualTo(400);
        assertThat(model.body()).contains("not an adapter");
        assertThat(server.post("/v1/load_lora_adapter", "{\"lora_path\":\"" + extra + "\"}").body())
                .contains("lora_name is required");
        assertThat(server.post("/v1/load_lora_adapter", "{\"lora_name\":\"tiny\",\"lora_path\":\"" + extra + "\"}").body())
                .contains("served model's own name");
    }

    @Test
    void withoutTheFlagBothRefuse() throws Exception {
        try (ServerFixture plain = ServerFixture.start()) {
            HttpResponse<String> load = plain.post("/v1/load_lora_adapter",
                    "{\"lora_name\":\"extra\",\"lora_path\":\"" + extra + "\"}");
            assertThat(load.statusCode()).isEqualTo(403);
            assertThat(load.body()).contains("--allow-runtime-lora-updating");
            assertThat(plain.post("/v1/unload_lora_adapter", "{\"lora_name\":\"x\"}").statusCode()).isEqualTo(403);
        }
    }
}
