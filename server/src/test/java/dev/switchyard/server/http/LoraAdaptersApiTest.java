package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.server.TinyAdapters;
import dev.switchyard.server.TinyModelFile;
import dev.switchyard.server.serving.AdapterSpec;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Serving LoRA adapters: a request applies the server's default scales, the adapter its
 * {@code model} names (as vLLM serves adapters), or the scales its {@code lora} list gives (as
 * llama-server does), on every API that generates or embeds; {@code /lora-adapters} lists and
 * sets the default scales; {@code /v1/models} lists the adapters; bad ids and lists are 400s.
 */
class LoraAdaptersApiTest {

    private static TinyAdapters adapters;
    private static ServerFixture adapted;
    private static ServerFixture plain;

    @BeforeAll
    static void start() throws Exception {
        adapters = TinyAdapters.write("switchyard-lora");
        // style applied by default, terse loaded for requests that ask for it
        adapted = ServerFixture.servingWith(TinyModelFile.path(), ServerFixture.engine(8, 0, 64)
                .withAdapters(List.of(new AdapterSpec("style", adapters.style(), 1f),
                        new AdapterSpec("terse", adapters.terse(), 0f))));
        plain = ServerFixture.servingWith(TinyModelFile.path(), ServerFixture.engine(8, 0, 64));
    }

    @AfterAll
    static void stop() throws Exception {
        adapted.close();
        plain.close();
        adapters.close();
    }

    private static String completion(String extra) {
        return "{\"prompt\":\"The switchyard sorts wagons\",\"max_tokens\":24,\"temperature\":0,\"logprobs\":2" + extra + "}";
    }

    private static JsonNode choice(ServerFixture server, String body) {
        return server.ok("/v1/completions", body).get("choices").get(0);
    }

    @Test
    void aRequestAppliesTheAdapterItsModelNamesOrItsLoraList() {
        JsonNode base = choice(plain, completion(""));
        JsonNode defaults = choice(adapted, completion(""));
        JsonNode styleByList = choice(adapted, completion(",\"lora\":[{\"id\":0,\"scale\":1}]"));
        JsonNode styleByName = choice(adapted, completion(",\"model\":\"style\""));
        JsonNode none = choice(adapted, completion(",\"lora\":[]"));
        JsonNode terse = choice(adapted, completion(",\"model\":\"terse\""));
        JsonNode terseByList = choice(adapted, completion(",\"lora\":[{\"id\":1,\"scale\":1.0}]"));
        assertThat(defaults).isEqualTo(styleByList).isEqualTo(styleByName);
        assertThat(none).as("an empty list applies no adapter").isEqualTo(base);
        assertThat(terse).isEqualTo(terseByList);
        assertThat(defaults.get("logprobs")).isNotEqualTo(base.get("logprobs"));
        assertThat(terse.get("logprobs")).isNotEqualTo(base.get("logprobs")).isNotEqualTo(defaults.get("logprobs"));
    }

    @Test
    void everyApiThatGeneratesOrEmbedsAppliesTheRequestsAdapters() {
        String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"Sort the wagons\"}],\"max_tokens\":16,"
                + "\"temperature\":0";
        String plainChat = plain.ok("/v1/chat/completions", chat + "}").get("choices").get(0).get("message")
                .get("content").asText();
        String styleChat = adapted.ok("/v1/chat/completions", chat + ",\"model\":\"style\"}").get("choices").get(0)
                .get("message").get("content").asText();
        assertThat(adapted.ok("/v1/chat/completions", chat + ",\"lora\":[]}").get("choices").get(0).get("message")
                .get("content").asText()).isEqualTo(plainChat);
        assertThat(styleChat).isNotEqualTo(plainChat);
        // streamed, the same text
        assertThat(ServerFixture.streamedText(adapted.stream("/v1/chat/completions",
                chat + ",\"model\":\"style\",\"stream\":true}"), 0)).isEqualTo(styleChat);
        // llama.cpp's /completion reads the same lora list
        String text = choice(adapted, completion(",\"lora\":[{\"id\":1,\"scale\":0.5}]")).get("text").asText();
        JsonNode native_ = adapted.ok("/completion", "{\"prompt\":\"The switchyard sorts wagons\",\"n_predict\":24,"
                + "\"temperature\":0,\"lora\":[{\"id\":1,\"scale\":0.5}]}");
        assertThat(native_.get("content").asText()).isEqualTo(text);
        // the Responses and Messages APIs, by model name
        JsonNode response = adapted.ok("/v1/responses", "{\"model\":\"style\",\"input\":\"Sort the wagons\","
                + "\"max_output_tokens\":16,\"temperature\":0}");
        assertThat(response.get("object").asText()).isEqualTo("response");
        assertThat(response.get("output")).isNotEmpty();
        JsonNode message = adapted.ok("/v1/messages", "{\"model\":\"terse\",\"max_tokens\":8,\"temperature\":0,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Sort the wagons\"}]}");
        assertThat(message.get("type").asText()).isEqualTo("message");
        // embeddings of the adapted model differ from the base model's
        String input = "{\"input\":\"wagons on the hump\"";
        JsonNode baseVector = plain.ok("/v1/embeddings", input + "}").get("data").get(0).get("embedding");
        assertThat(adapted.ok("/v1/embeddings", input + ",\"lora\":[]}").get("data").get(0).get("embedding"))
                .isEqualTo(baseVector);
        assertThat(adapted.ok("/v1/embeddings", input + ",\"model\":\"terse\"}").get("data").get(0).get("embedding"))
                .isNotEqualTo(baseVector);
    }

    @Test
    void metricsCountTheSequencesThatApplyEachAdapter() {
        double before = appliedSequences("terse");
        adapted.ok("/v1/completions", completion(",\"model\":\"terse\",\"n\":2"));
        assertThat(appliedSequences("terse")).isEqualTo(before + 2);
        assertThat(appliedSequences("style")).isPositive();
    }

    private static double appliedSequences(String adapter) {
        String prefix = "switchyard_lora_requests_total{adapter=\"" + adapter + "\",model=\"tiny\"} ";
        return adapted.get("/metrics").body().lines().filter(l -> l.startsWith(prefix))
                .mapToDouble(l -> Double.parseDouble(l.substring(prefix.length()))).findFirst().orElse(-1);
    }

    @Test
    void repliesNameTheAdapterTheRequestNamedAsTheirModel() {
        assertThat(adapted.ok("/v1/completions", completion(",\"model\":\"style\"")).get("model").asText())
                .isEqualTo("style");
        assertThat(adapted.ok("/v1/completions", completion(",\"lora\":[{\"id\":1,\"scale\":1}]")).get("model")
                .asText()).isEqualTo("tiny");
        assertThat(adapted.ok("/v1/completions", completion("")).get("model").asText()).isEqualTo("tiny");
        String chat = "{\"model\":\"terse\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":4,"
                + "\"stream\":true}";
        assertThat(adapted.stream("/v1/chat/completions", chat)).allSatisfy(chunk ->
                assertThat(chunk.get("model").asText()).isEqualTo("terse"));
        assertThat(adapted.ok("/v1/embeddings", "{\"model\":\"terse\",\"input\":\"x\"}").get("model").asText())
                .isEqualTo("terse");
        assertThat(adapted.ok("/v1/messages", "{\"model\":\"style\",\"max_tokens\":4,\"messages\":[{\"role\":"
                + "\"user\",\"content\":\"Hi\"}]}").get("model").asText()).isEqualTo("style");
    }

    @Test
    void theModelListShowsEachAdapterAsAModelOfItsParent() {
        JsonNode data = ServerFixture.parse(adapted.get("/v1/models").body()).get("data");
        assertThat(data).hasSize(3);
        assertThat(data.get(0).get("id").asText()).isEqualTo("tiny");
        assertThat(data.get(1).get("id").asText()).isEqualTo("style");
        assertThat(data.get(1).get("parent").asText()).isEqualTo("tiny");
        assertThat(data.get(1).get("root").asText()).endsWith("style.gguf");
        HttpResponse<String> one = adapted.get("/v1/models/terse");
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(ServerFixture.parse(one.body()).get("parent").asText()).isEqualTo("tiny");
        assertThat(adapted.get("/v1/models/other").statusCode()).isEqualTo(404);
        assertThat(ServerFixture.parse(plain.get("/v1/models").body()).get("data")).hasSize(1);
    }

    @Test
    void loraAdaptersListsAndSetsTheDefaultScales() {
        JsonNode listed = ServerFixture.parse(adapted.get("/lora-adapters").body());
        assertThat(listed).hasSize(2);
        assertThat(listed.get(0).get("id").asInt()).isZero();
        assertThat(listed.get(0).get("name").asText()).isEqualTo("style");
        assertThat(listed.get(0).get("scale").asDouble()).isEqualTo(1.0);
        assertThat(listed.get(1).get("scale").asDouble()).isEqualTo(0.0);
        JsonNode half = choice(adapted, completion(",\"lora\":[{\"id\":1,\"scale\":0.5}]"));
        try {
            assertThat(adapted.ok("/lora-adapters", "[{\"id\":1,\"scale\":0.5}]").get("success").asBoolean()).isTrue();
            JsonNode now = ServerFixture.parse(adapted.get("/lora-adapters").body());
            assertThat(now.get(0).get("scale").asDouble()).as("left out: 0").isEqualTo(0.0);
            assertThat(now.get(1).get("scale").asDouble()).isEqualTo(0.5);
            assertThat(choice(adapted, completion(""))).isEqualTo(half);
        } finally {
            adapted.ok("/lora-adapters", "[{\"id\":0,\"scale\":1}]");
        }
        assertThat(ServerFixture.parse(adapted.get("/lora-adapters").body()).get(0).get("scale").asDouble()).isEqualTo(1.0);
    }

    private static void badRequest(ServerFixture server, String path, String body, String fragment) {
        HttpResponse<String> r = server.post(path, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
        JsonNode error = ServerFixture.parse(r.body()).get("error");
        assertThat(error.get("message").asText()).contains(fragment);
        assertThat(error.get("param").asText()).isEqualTo("lora");
    }

    @Test
    void badAdapterListsAreClearErrors() {
        badRequest(adapted, "/v1/completions", completion(",\"lora\":[{\"id\":5,\"scale\":1}]"),
                "no LoRA adapter has id 5; ids are 0, 1");
        badRequest(adapted, "/v1/completions", completion(",\"lora\":{\"id\":0}"), "lora must be a list");
        badRequest(adapted, "/v1/completions", completion(",\"lora\":[{\"id\":\"x\",\"scale\":1}]"), "lora[0]");
        badRequest(adapted, "/v1/completions", completion(",\"lora\":[{\"id\":0},{\"id\":0}]"), "listed twice");
        badRequest(plain, "/completion", "{\"prompt\":\"x\",\"lora\":[{\"id\":0,\"scale\":1}]}", "this server has none loaded");
        badRequest(adapted, "/lora-adapters", "{\"id\":0}", "takes a list");
        HttpResponse<String> unknown = adapted.post("/v1/completions", completion(",\"model\":\"nope\""));
        assertThat(unknown.statusCode()).isEqualTo(404);
        HttpResponse<String> put = adapted.send(HttpRequest.newBuilder(adapted.uri("/lora-adapters"))
                .PUT(HttpRequest.BodyPublishers.ofString("[]")).build());
        assertThat(put.statusCode()).isEqualTo(405);
        // the server serves on
        assertThat(choice(adapted, completion("")).get("text").asText()).isNotEmpty();
    }
}
