package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * llama.cpp's own API, for clients written against llama-server: {@code /completion} answers as
 * {@code /v1/completions} does for the same settings (llama-server's defaults where a field is
 * absent), streamed as whole, with its token ids, probabilities, stop types and timings;
 * {@code /props}; {@code /tokenize} and {@code /detokenize} in its shapes.
 */
class LlamaCppApiTest {

    private static ServerFixture tiny;

    @BeforeAll
    static void start() throws Exception {
        tiny = ServerFixture.start();
    }

    @AfterAll
    static void stop() {
        tiny.close();
    }

    private static final String PROMPT = "\"prompt\":\"The switchyard\"";

    /** The ids and text of a /v1/completions reply with these fields. */
    private static JsonNode openAi(String fields) {
        return tiny.ok("/v1/completions", "{" + PROMPT + ",\"logprobs\":2,\"return_tokens_as_token_ids\":true,"
                + "\"ignore_eos\":true," + fields + "}").at("/choices/0");
    }

    private static List<Integer> ids(JsonNode openAiChoice) {
        List<Integer> ids = new ArrayList<>();
        openAiChoice.at("/logprobs/tokens").forEach(t -> ids.add(Integer.parseInt(t.asText().substring(9))));
        return ids;
    }

    private static List<Integer> ints(JsonNode array) {
        List<Integer> out = new ArrayList<>();
        array.forEach(v -> out.add(v.asInt()));
        return out;
    }

    @Test
    void aCompletionAnswersAsTheOpenAiEndpointDoes() {
        JsonNode r = tiny.ok("/completion", "{" + PROMPT + ",\"n_predict\":8,\"temperature\":0,\"ignore_eos\":true,"
                + "\"return_tokens\":true,\"n_probs\":2}");
        JsonNode same = openAi("\"max_tokens\":8,\"temperature\":0");
        assertThat(r.get("content").asText()).isEqualTo(same.get("text").asText());
        assertThat(ints(r.get("tokens"))).isEqualTo(ids(same)).hasSize(8);
        assertThat(r.get("stop").asBoolean()).isTrue();
        assertThat(r.get("stop_type").asText()).isEqualTo("limit");
        assertThat(r.get("tokens_predicted").asInt()).isEqualTo(8);
        assertThat(r.get("model").asText()).isEqualTo(ServerFixture.MODEL_NAME);
        assertThat(r.get("prompt").asText()).contains("The switchyard");
        JsonNode probs = r.get("completion_probabilities");
        assertThat(probs).hasSize(8);
        for (int i = 0; i < 8; i++) {
            assertThat(probs.get(i).get("id").asInt()).isEqualTo(ids(same).get(i));
            assertThat(probs.get(i).get("logprob").asDouble())
                    .isEqualTo(same.at("/logprobs/token_logprobs/" + i).asDouble());
            assertThat(probs.get(i).get("top_logprobs")).hasSize(2);
        }
        JsonNode timings = r.get("timings");
        assertThat(timings.get("predicted_n").asInt()).isEqualTo(8);
        assertThat(timings.get("prompt_n").asInt() + r.get("tokens_cached").asInt())
                .isEqualTo(r.get("tokens_evaluated").asInt());
        assertThat(timings.get("predicted_ms").asDouble()).isPositive();
        JsonNode settings = r.get("generation_settings");
        assertThat(settings.get("temperature").asDouble()).isZero();
        assertThat(settings.get("top_k").asInt()).as("llama-server's default").isEqualTo(40);
        assertThat(settings.get("n_predict").asInt()).isEqualTo(8);
    }

    @Test
    void absentFieldsTakeLlamaServersDefaults() {
        JsonNode r = tiny.ok("/completion", "{" + PROMPT + ",\"n_predict\":24,\"seed\":11,\"ignore_eos\":true,"
                + "\"return_tokens\":true}");
        JsonNode same = openAi("\"max_tokens\":24,\"seed\":11,\"temperature\":0.8,\"top_k\":40,\"top_p\":0.95,"
                + "\"min_p\":0.05,\"repeat_last_n\":64");
        assertThat(ints(r.get("tokens"))).isEqualTo(ids(same));
        JsonNode random = tiny.ok("/completion", "{" + PROMPT + ",\"n_predict\":2,\"seed\":-1}");
        assertThat(random.at("/generation_settings/seed").asLong()).as("llama.cpp's random seed").isEqualTo(0xFFFFFFFFL);
    }

    /** The tokens /completion writes with these fields (24 of them, seeded). */
    private static List<Integer> completionTokens(String fields) {
        return ints(tiny.ok("/completion", "{" + PROMPT + ",\"n_predict\":24,\"seed\":5,\"ignore_eos\":true,"
                + "\"return_tokens\":true" + (fields.isEmpty() ? "" : "," + fields) + "}").get("tokens"));
    }

    @Test
    void samplersLeftOutOfTheChainDoNotRun() {
        // only the temperature: llama-server's default top-k, top-p, min-p and penalties do not run
        List<Integer> onlyTemperature = completionTokens("\"samplers\":[\"temperature\"],\"top_k\":1");
        assertThat(onlyTemperature).isEqualTo(ids(openAi("\"max_tokens\":24,\"seed\":5,\"temperature\":0.8")));
        assertThat(completionTokens("\"samplers\":\"t\",\"top_k\":1")).as("by letter").isEqualTo(onlyTemperature);
        assertThat(completionTokens("\"samplers\":[\"tfs_z\",\"temp\"],\"top_k\":1"))
                .as("an unknown name is passed over, as llama.cpp does").isEqualTo(onlyTemperature);
        // top-k 1 listed: the best token every time, whatever the temperature
        assertThat(completionTokens("\"samplers\":[\"top_k\",\"temperature\"],\"top_k\":1,\"temperature\":1.5"))
                .isEqualTo(ids(openAi("\"max_tokens\":24,\"temperature\":0")));
        // the default chain, spelled out, changes nothing
        assertThat(completionTokens("\"samplers\":[\"penalties\",\"dry\",\"top_n_sigma\",\"top_k\",\"typ_p\","
                + "\"top_p\",\"min_p\",\"xtc\",\"temperature\"]")).isEqualTo(completionTokens(""));
        // the temperature before top-p: the nucleus is taken from the hotter distribution
        List<Integer> hotFirst = completionTokens("\"samplers\":[\"temperature\",\"top_p\"],\"temperature\":3,"
                + "\"top_p\":0.3");
        List<Integer> hotLast = completionTokens("\"samplers\":[\"top_p\",\"temperature\"],\"temperature\":3,"
                + "\"top_p\":0.3");
        assertThat(hotFirst).isNotEqualTo(hotLast);
        assertThat(completionTokens("\"samplers\":\"tp\",\"temperature\":3,\"top_p\":0.3")).isEqualTo(hotFirst);
        for (String[] bad : new String[][] {{"\"samplers\":5", "samplers"}, {"\"samplers\":[1]", "samplers[0]"}}) {
            HttpResponse<String> r = tiny.post("/completion", "{" + PROMPT + "," + bad[0] + "}");
            assertThat(r.statusCode()).as(bad[0]).isEqualTo(400);
            assertThat(ServerFixture.parse(r.body()).at("/error/param").asText()).isEqualTo(bad[1]);
        }
    }

    @Test
    void editorPluginsLimitsEndTheReplyAsLlamaServerEndsIt() {
        String grammar = ",\"grammar\":\"root ::= \\\"x\\\\n    y\\\\n z\\\\n w\\\"\"";
        JsonNode whole = tiny.ok("/completion", "{" + PROMPT + ",\"n_predict\":40,\"temperature\":0" + grammar + "}");
        assertThat(whole.get("content").asText()).isEqualTo("x\n    y\n z\n w");
        JsonNode cut = tiny.ok("/completion", "{" + PROMPT + ",\"n_predict\":40,\"temperature\":0,\"n_indent\":4"
                + grammar + "}");
        assertThat(cut.get("content").asText()).isEqualTo("x\n    y\n ");
        assertThat(cut.get("stop_type").asText()).isEqualTo("limit");
        // streamed alike
        HttpResponse<String> streamed = tiny.post("/completion", "{" + PROMPT + ",\"n_predict\":40,\"temperature\":0,"
                + "\"n_indent\":4,\"stream\":true" + grammar + "}");
        StringBuilder text = new StringBuilder();
        for (String line : streamed.body().split("\n")) {
            if (line.startsWith("data: ")) {
                text.append(ServerFixture.parse(line.substring(6)).path("content").asText());
            }
        }
        assertThat(text).hasToString("x\n    y\n ");
        // a token more than 1 ms after the first, once a new line is written, is the last
        String lines = ",\"grammar\":\"root ::= \\\"a\\\\n\\\" [b]{200}\"";
        JsonNode timed = tiny.ok("/completion", "{" + PROMPT + ",\"n_predict\":150,\"temperature\":0,"
                + "\"t_max_predict_ms\":1" + lines + "}");
        assertThat(timed.get("stop_type").asText()).isEqualTo("limit");
        assertThat(timed.get("tokens_predicted").asInt()).isLessThan(150);
        assertThat(timed.get("content").asText()).startsWith("a\n");
        for (String bad : new String[] {"n_indent", "t_max_predict_ms"}) {
            HttpResponse<String> r = tiny.post("/completion", "{" + PROMPT + ",\"" + bad + "\":-1}");
            assertThat(r.statusCode()).isEqualTo(400);
            assertThat(ServerFixture.parse(r.body()).at("/error/param").asText()).isEqualTo(bad);
        }
    }

    @Test
    void severalPromptsAreAnsweredApartAndIdsMixedWithTextAreOne() {
        String settings = ",\"n_predict\":6,\"temperature\":0,\"ignore_eos\":true,\"return_tokens\":true}";
        JsonNode first = tiny.ok("/completion", "{\"prompt\":\"The switchyard\"" + settings);
        JsonNode second = tiny.ok("/completion", "{\"prompt\":\"Hello there\"" + settings);
        JsonNode both = tiny.ok("/completion", "{\"prompt\":[\"The switchyard\",\"Hello there\"]" + settings);
        assertThat(both.isArray()).isTrue();
        assertThat(both).hasSize(2);
        for (int i = 0; i < 2; i++) {
            JsonNode alone = i == 0 ? first : second;
            assertThat(both.get(i).get("index").asInt()).isEqualTo(i);
            assertThat(both.get(i).get("content").asText()).isEqualTo(alone.get("content").asText());
            assertThat(both.get(i).get("tokens")).isEqualTo(alone.get("tokens"));
            assertThat(both.get(i).get("tokens_evaluated").asInt()).isEqualTo(alone.get("tokens_evaluated").asInt());
            assertThat(both.get(i).get("prompt").asText()).isEqualTo(alone.get("prompt").asText());
        }
        HttpResponse<String> streamed = tiny.post("/completion", "{\"prompt\":[\"The switchyard\",\"Hello there\"],"
                + "\"stream\":true" + settings);
        StringBuilder[] texts = {new StringBuilder(), new StringBuilder()};
        int ends = 0;
        for (String line : streamed.body().split("\n")) {
            if (line.startsWith("data: ")) {
                JsonNode chunk = ServerFixture.parse(line.substring(6));
                texts[chunk.get("index").asInt()].append(chunk.path("content").asText());
                ends += chunk.path("stop").asBoolean() ? 1 : 0;
            }
        }
        assertThat(texts[0]).hasToString(first.get("content").asText());
        assertThat(texts[1]).hasToString(second.get("content").asText());
        assertThat(ends).as("one end per prompt").isEqualTo(2);
        // a list of ids with texts among them is one prompt, the texts tokenized in place
        List<Integer> ids = new ArrayList<>();
        tiny.ok("/tokenize", "{\"prompt\":\"The switchyard\"}").get("tokens").forEach(t -> ids.add(t.asInt()));
        List<Integer> more = new ArrayList<>();
        tiny.ok("/tokenize", "{\"prompt\":\" keeps\",\"add_special_tokens\":false}").get("tokens")
                .forEach(t -> more.add(t.asInt()));
        List<Integer> all = new ArrayList<>(ids);
        all.addAll(more);
        JsonNode byIds = tiny.ok("/completion", "{\"prompt\":" + all + settings);
        JsonNode mixed = tiny.ok("/completion", "{\"prompt\":[\"The switchyard\"," + more.toString().substring(1,
                more.toString().length() - 1) + "]" + settings);
        assertThat(mixed.isObject()).isTrue();
        assertThat(mixed.get("tokens")).isEqualTo(byIds.get("tokens"));
        assertThat(mixed.get("tokens_evaluated").asInt()).isEqualTo(all.size());
    }

    @Test
    void postSamplingProbsAreTheSurvivorsRenormalized() {
        String fields = "{" + PROMPT + ",\"n_predict\":8,\"seed\":3,\"temperature\":0.8,\"top_k\":3,\"n_probs\":5,\"top_p\":1,\"min_p\":0,"
                + "\"ignore_eos\":true,\"return_tokens\":true";
        JsonNode raw = tiny.ok("/completion", fields + "}");
        JsonNode post = tiny.ok("/completion", fields + ",\"post_sampling_probs\":true}");
        assertThat(post.get("tokens")).as("the same draws").isEqualTo(raw.get("tokens"));
        for (JsonNode entry : post.get("completion_probabilities")) {
            assertThat(entry.has("logprob")).isFalse();
            JsonNode top = entry.get("top_probs");
            assertThat(top.size()).as("top_k 3 leaves three").isEqualTo(3);
            double sum = 0;
            double chosen = -1;
            for (int r = 0; r < top.size(); r++) {
                double p = top.get(r).get("prob").asDouble();
                sum += p;
                if (r > 0) {
                    assertThat(p).isLessThanOrEqualTo(top.get(r - 1).get("prob").asDouble());
                }
                if (top.get(r).get("id").asInt() == entry.get("id").asInt()) {
                    chosen = p;
                }
                assertThat(top.get(r).get("bytes").isArray()).isTrue();
            }
            assertThat(sum).isCloseTo(1, org.assertj.core.api.Assertions.within(1e-6));
            assertThat(entry.get("prob").asDouble()).isCloseTo(chosen, org.assertj.core.api.Assertions.within(1e-9));
        }
        JsonNode greedy = tiny.ok("/completion", "{" + PROMPT + ",\"n_predict\":2,\"temperature\":0,\"n_probs\":3,"
                + "\"post_sampling_probs\":true}");
        assertThat(greedy.at("/completion_probabilities/0/prob").asDouble()).isEqualTo(1.0);
    }

    @Test
    void applyTemplateGivesThePromptTextChatReads() {
        String messages = "\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"Hi\"}]";
        String prompt = tiny.ok("/apply-template", "{" + messages + "}").get("prompt").asText();
        StringBuilder pieces = new StringBuilder();
        tiny.ok("/tokenize", "{" + messages + ",\"with_pieces\":true}").get("tokens")
                .forEach(t -> pieces.append(t.get("piece").asText()));
        assertThat(prompt).contains("Be brief.").contains("Hi").endsWith(pieces.substring(pieces.length()
                - Math.min(pieces.length(), 10)));
        assertThat(pieces.toString()).endsWith(prompt);
        HttpResponse<String> bad = tiny.post("/apply-template", "{\"messages\":\"Hi\"}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(ServerFixture.parse(bad.body()).at("/error/param").asText()).startsWith("messages");
    }

    @Test
    void aStreamIsOneChunkPerTokenThenTheEnd() {
        HttpResponse<String> r = tiny.post("/completion", "{" + PROMPT + ",\"n_predict\":6,\"temperature\":0,"
                + "\"ignore_eos\":true,\"stream\":true,\"return_tokens\":true}");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).doesNotContain("[DONE]");
        List<JsonNode> chunks = r.body().lines().filter(l -> l.startsWith("data: "))
                .map(l -> ServerFixture.parse(l.substring("data: ".length()))).toList();
        JsonNode last = chunks.getLast();
        assertThat(last.get("stop").asBoolean()).isTrue();
        assertThat(last.get("stop_type").asText()).isEqualTo("limit");
        StringBuilder text = new StringBuilder();
        List<Integer> tokens = new ArrayList<>();
        for (JsonNode c : chunks.subList(0, chunks.size() - 1)) {
            assertThat(c.get("stop").asBoolean()).isFalse();
            text.append(c.get("content").asText());
            tokens.addAll(ints(c.path("tokens")));
        }
        JsonNode whole = tiny.ok("/completion", "{" + PROMPT + ",\"n_predict\":6,\"temperature\":0,\"ignore_eos\":true,"
                + "\"return_tokens\":true}");
        assertThat(text.toString()).isEqualTo(whole.get("content").asText());
        assertThat(tokens).isEqualTo(ints(whole.get("tokens")));
    }

    @Test
    void stopWordsAndLogitBiasInLlamaCppsShapes() {
        JsonNode plain = tiny.ok("/completion", "{" + PROMPT + ",\"n_predict\":12,\"temperature\":0,\"ignore_eos\":true,"
                + "\"return_tokens\":true}");
        String content = plain.get("content").asText();
        String word = content.substring(content.length() / 2, content.length() / 2 + 2);
        JsonNode stopped = tiny.ok("/completion", "{" + PROMPT + ",\"n_predict\":12,\"temperature\":0,\"ignore_eos\":true,"
                + "\"stop\":[" + ServerFixture.JSON.valueToTree(word) + "]}");
        assertThat(stopped.get("stop_type").asText()).isEqualTo("word");
        assertThat(stopped.get("stopping_word").asText()).isEqualTo(word);
        assertThat(stopped.get("content").asText()).isEqualTo(content.substring(0, content.indexOf(word)));

        int first = plain.get("tokens").get(0).asInt();
        JsonNode banned = tiny.ok("/completion", "{" + PROMPT + ",\"n_predict\":1,\"temperature\":0,\"return_tokens\":true,"
                + "\"logit_bias\":[[" + first + ",false]]}");
        assertThat(banned.get("tokens").get(0).asInt()).isNotEqualTo(first);
    }

    @Test
    void whatCannotBeHonouredIsRefusedByName() {
        for (String[] bad : new String[][] {{"\"n_predict\":0", "n_predict"}, {"\"n_probs\":21", "n_probs"},
{"\"logit_bias\":[[\"hi\",1]]", "logit_bias[0]"},
                {"\"mirostat\":7", "mirostat"}, {"\"post_sampling_probs\":true,\"mirostat\":2", "post_sampling_probs"}}) {
            HttpResponse<String> r = tiny.post("/completion", "{" + PROMPT + "," + bad[0] + "}");
            assertThat(r.statusCode()).as(bad[0]).isEqualTo(400);
            assertThat(ServerFixture.parse(r.body()).at("/error/param").asText()).isEqualTo(bad[1]);
        }
        HttpResponse<String> shapeless = tiny.post("/completion", "{\"prompt\":[{\"a\":1}]}");
        assertThat(shapeless.statusCode()).isEqualTo(400);
        assertThat(ServerFixture.parse(shapeless.body()).at("/error/param").asText()).isEqualTo("prompt[0]");
        assertThat(tiny.post("/completion", "{\"n_predict\":1}").statusCode()).isEqualTo(400);
    }

    @Test
    void propsTokenizeAndDetokenizeInLlamaCppsShapes() {
        HttpResponse<String> r = tiny.get("/props");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode props = ServerFixture.parse(r.body());
        JsonNode model = ServerFixture.parse(tiny.get("/v1/models").body()).at("/data/0");
        assertThat(props.at("/default_generation_settings/n_ctx").asInt()).isEqualTo(model.get("max_model_len").asInt());
        assertThat(props.get("total_slots").asInt()).isPositive();
        assertThat(props.get("chat_template").asText()).isNotEmpty();

        JsonNode plain = tiny.ok("/tokenize", "{\"prompt\":\"Hello yard\",\"add_special_tokens\":false}");
        JsonNode content = tiny.ok("/tokenize", "{\"content\":\"Hello yard\"}");
        assertThat(content.get("tokens")).as("llama.cpp adds no special tokens by default").isEqualTo(plain.get("tokens"));
        JsonNode pieces = tiny.ok("/tokenize", "{\"content\":\"Hello yard\",\"with_pieces\":true}");
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < pieces.get("tokens").size(); i++) {
            JsonNode p = pieces.get("tokens").get(i);
            assertThat(p.get("id").asInt()).isEqualTo(plain.get("tokens").get(i).asInt());
            text.append(p.get("piece").asText());
        }
        assertThat(text.toString()).isEqualTo("Hello yard");
        JsonNode back = tiny.ok("/detokenize", "{\"tokens\":" + plain.get("tokens") + "}");
        assertThat(back.get("content").asText()).isEqualTo("Hello yard").isEqualTo(back.get("prompt").asText());
    }
}
