package dev.switchyard.server.http;

import static dev.switchyard.server.http.ServerFixture.finishReason;
import static dev.switchyard.server.http.ServerFixture.streamedText;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every endpoint and request field against a real server, streamed and not. */
class OpenAiEndpointsTest {

    private static ServerFixture server;

    @BeforeAll
    static void start() throws Exception {
        server = ServerFixture.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static String completion(String extra) {
        return "{\"model\":\"tiny\",\"prompt\":\"The switchyard\",\"max_tokens\":12,\"temperature\":0,\"ignore_eos\":true"
                + extra + "}";
    }

    private static String chat(String extra) {
        return "{\"model\":\"tiny\",\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},"
                + "{\"role\":\"user\",\"content\":\"Hello there\"}],\"max_completion_tokens\":10,\"temperature\":0,"
                + "\"ignore_eos\":true" + extra + "}";
    }

    @Test
    void completionHasOpenAiShape() {
        JsonNode r = server.ok("/v1/completions", completion(",\"user\":\"u1\",\"some_future_field\":{\"x\":1}"));
        assertThat(r.get("id").asText()).startsWith("cmpl-");
        assertThat(r.get("object").asText()).isEqualTo("text_completion");
        assertThat(r.get("created").asLong()).isPositive();
        assertThat(r.get("model").asText()).isEqualTo("tiny");
        JsonNode choice = r.get("choices").get(0);
        assertThat(choice.get("index").asInt()).isZero();
        assertThat(choice.get("text").asText()).isNotEmpty();
        assertThat(choice.get("logprobs").isNull()).isTrue();
        assertThat(choice.get("finish_reason").asText()).isEqualTo("length");
        JsonNode usage = r.get("usage");
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(12);
        assertThat(usage.get("total_tokens").asInt())
                .isEqualTo(usage.get("prompt_tokens").asInt() + usage.get("completion_tokens").asInt());
    }

    @Test
    void streamedCompletionReassemblesToTheSameText() {
        JsonNode whole = server.ok("/v1/completions", completion(""));
        List<JsonNode> chunks = server.stream("/v1/completions",
                completion(",\"stream\":true,\"stream_options\":{\"include_usage\":true}"));
        assertThat(streamedText(chunks, 0)).isEqualTo(whole.get("choices").get(0).get("text").asText());
        assertThat(finishReason(chunks, 0)).isEqualTo("length");
        JsonNode last = chunks.getLast();
        assertThat(last.get("choices")).isEmpty();
        assertThat(last.get("usage")).isEqualTo(whole.get("usage"));
        assertThat(chunks.getFirst().get("object").asText()).isEqualTo("text_completion");
        assertThat(chunks.getFirst().get("usage").isNull()).isTrue();
    }

    @Test
    void chatCompletionStreamedAndNotAgree() {
        JsonNode whole = server.ok("/v1/chat/completions", chat(""));
        assertThat(whole.get("id").asText()).startsWith("chatcmpl-");
        assertThat(whole.get("object").asText()).isEqualTo("chat.completion");
        JsonNode message = whole.get("choices").get(0).get("message");
        assertThat(message.get("role").asText()).isEqualTo("assistant");
        assertThat(whole.get("usage").get("completion_tokens").asInt()).isEqualTo(10);

        List<JsonNode> chunks = server.stream("/v1/chat/completions", chat(",\"stream\":true"));
        assertThat(chunks.getFirst().get("object").asText()).isEqualTo("chat.completion.chunk");
        assertThat(chunks.getFirst().get("choices").get(0).get("delta").get("role").asText()).isEqualTo("assistant");
        assertThat(chunks.getFirst().has("usage")).isFalse();
        assertThat(streamedText(chunks, 0)).isEqualTo(message.get("content").asText());
        assertThat(finishReason(chunks, 0)).isEqualTo("length");
    }

    @Test
    void maxTokensIsTheOlderSpellingForChat() {
        JsonNode r = server.ok("/v1/chat/completions", chat("").replace("max_completion_tokens", "max_tokens"));
        assertThat(r.get("usage").get("completion_tokens").asInt()).isEqualTo(10);
    }

    @Test
    void chatWithoutMaxTokensRunsToTheEndOfTheContext() {
        String longText = "Hello there, ".repeat(26);
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"" + longText
                + "\"}]}],\"temperature\":0,\"ignore_eos\":true}";
        JsonNode r = server.ok("/v1/chat/completions", body);
        assertThat(r.get("usage").get("prompt_tokens").asInt()).isGreaterThan(200);
        assertThat(r.get("usage").get("total_tokens").asInt()).isEqualTo(256);
        assertThat(r.get("choices").get(0).get("finish_reason").asText()).isEqualTo("length");
    }

    @Test
    void promptsAsTokenIdsAndListsGiveOneChoicePerPromptAndN() {
        JsonNode ids = server.ok("/tokenize", "{\"prompt\":\"The switchyard\"}");
        String tokens = ids.get("tokens").toString();
        JsonNode fromText = server.ok("/v1/completions", completion(""));
        JsonNode fromIds = server.ok("/v1/completions", completion("").replace("\"The switchyard\"", tokens));
        assertThat(fromIds.get("choices").get(0).get("text")).isEqualTo(fromText.get("choices").get(0).get("text"));

        JsonNode many = server.ok("/v1/completions", completion(",\"n\":2")
                .replace("\"The switchyard\"", "[\"The switchyard\",\"Another\"]"));
        assertThat(many.get("choices")).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(many.get("choices").get(i).get("index").asInt()).isEqualTo(i);
        }
        // greedy: both choices of a prompt agree, and prompt 0's equal the single-prompt run
        assertThat(many.get("choices").get(1).get("text")).isEqualTo(fromText.get("choices").get(0).get("text"));
        JsonNode lists = server.ok("/v1/completions", completion("").replace("\"The switchyard\"", "[" + tokens + "," + tokens + "]"));
        assertThat(lists.get("choices")).hasSize(2);
        assertThat(lists.get("usage").get("prompt_tokens").asInt()).isEqualTo(2 * ids.get("count").asInt());
    }

    @Test
    void seededChoiceIUsesSeedPlusI() {
        String sampled = ",\"temperature\":0.9,\"top_p\":0.95,\"top_k\":50,\"min_p\":0.01";
        JsonNode two = server.ok("/v1/completions", completion(sampled + ",\"seed\":40,\"n\":2"));
        JsonNode seed40 = server.ok("/v1/completions", completion(sampled + ",\"seed\":40"));
        JsonNode seed41 = server.ok("/v1/completions", completion(sampled + ",\"seed\":41"));
        assertThat(two.get("choices").get(0).get("text")).isEqualTo(seed40.get("choices").get(0).get("text"));
        assertThat(two.get("choices").get(1).get("text")).isEqualTo(seed41.get("choices").get(0).get("text"));
        assertThat(server.ok("/v1/completions", completion(sampled + ",\"seed\":40")).get("choices"))
                .isEqualTo(seed40.get("choices"));
    }

    @Test
    void stopStringEndsTheChoiceAndIsNotReturned() {
        String full = server.ok("/v1/completions", completion(",\"max_tokens\":24")).get("choices").get(0).get("text").asText();
        String stop = full.substring(full.length() / 2, full.length() / 2 + 2);
        String expected = full.substring(0, full.indexOf(stop));
        String body = completion(",\"max_tokens\":24,\"stop\":[\"\\u0000never\"," + ServerFixture.JSON.valueToTree(stop) + "]");
        JsonNode r = server.ok("/v1/completions", body);
        assertThat(r.get("choices").get(0).get("text").asText()).isEqualTo(expected);
        assertThat(r.get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
        List<JsonNode> chunks = server.stream("/v1/completions", body.replace("}", ",\"stream\":true}"));
        assertThat(streamedText(chunks, 0)).isEqualTo(expected);
        assertThat(finishReason(chunks, 0)).isEqualTo("stop");
        // a single string works too
        JsonNode single = server.ok("/v1/completions", completion(",\"max_tokens\":24,\"stop\":" + ServerFixture.JSON.valueToTree(stop)));
        assertThat(single.get("choices").get(0).get("text").asText()).isEqualTo(expected);
    }

    @Test
    void logitBiasForcesATokenAndStopTokenIdsStopOnIt() {
        JsonNode forced = server.ok("/v1/completions", completion(",\"max_tokens\":4,\"logit_bias\":{\"300\":100}"));
        JsonNode detok = server.ok("/detokenize", "{\"tokens\":[300,300,300,300]}");
        assertThat(forced.get("choices").get(0).get("text").asText()).isEqualTo(detok.get("prompt").asText());
        JsonNode stopped = server.ok("/v1/completions",
                completion(",\"max_tokens\":4,\"logit_bias\":{\"300\":100},\"stop_token_ids\":[300]"));
        assertThat(stopped.get("usage").get("completion_tokens").asInt()).isEqualTo(1);
        assertThat(stopped.get("choices").get(0).get("finish_reason").asText()).isEqualTo("stop");
        // as vLLM answers: the stop token's text is left out, unless the request keeps what stops it
        assertThat(stopped.get("choices").get(0).get("text").asText()).isEmpty();
        JsonNode kept = server.ok("/v1/completions", completion(",\"max_tokens\":4,\"logit_bias\":{\"300\":100},"
                + "\"stop_token_ids\":[300],\"include_stop_str_in_output\":true"));
        assertThat(kept.get("choices").get(0).get("text").asText())
                .isEqualTo(server.ok("/detokenize", "{\"tokens\":[300]}").get("prompt").asText()).isNotEmpty();
    }

    @Test
    void penaltiesAreAccepted() {
        JsonNode r = server.ok("/v1/completions",
                completion(",\"presence_penalty\":1.5,\"frequency_penalty\":1.0,\"repetition_penalty\":1.3"));
        assertThat(r.get("usage").get("completion_tokens").asInt()).isEqualTo(12);
    }

    @Test
    void completionLogprobsInTheLegacyShape() {
        JsonNode r = server.ok("/v1/completions", completion(",\"logprobs\":3"));
        JsonNode lp = r.get("choices").get(0).get("logprobs");
        assertThat(lp.get("tokens")).hasSize(12);
        assertThat(lp.get("token_logprobs")).hasSize(12);
        assertThat(lp.get("text_offset")).hasSize(12);
        assertThat(lp.get("top_logprobs").get(0).size()).isBetween(1, 3);
        for (JsonNode v : lp.get("token_logprobs")) {
            assertThat(v.asDouble()).isLessThanOrEqualTo(0);
        }
        StringBuilder joined = new StringBuilder();
        lp.get("tokens").forEach(t -> joined.append(t.asText()));
        assertThat(joined.toString()).isEqualTo(r.get("choices").get(0).get("text").asText());
        List<JsonNode> chunks = server.stream("/v1/completions", completion(",\"logprobs\":3,\"stream\":true"));
        long withLogprobs = chunks.stream().filter(c -> !c.get("choices").get(0).get("logprobs").isNull()).count();
        assertThat(withLogprobs).isEqualTo(12);
    }

    @Test
    void chatLogprobsWithTopAlternatives() {
        JsonNode r = server.ok("/v1/chat/completions", chat(",\"logprobs\":true,\"top_logprobs\":2"));
        JsonNode content = r.get("choices").get(0).get("logprobs").get("content");
        assertThat(content).hasSize(10);
        JsonNode first = content.get(0);
        assertThat(first.get("token").isTextual()).isTrue();
        assertThat(first.get("bytes").isArray()).isTrue();
        assertThat(first.get("top_logprobs")).hasSize(2);
        assertThat(first.get("top_logprobs").get(0).get("logprob").asDouble())
                .isGreaterThanOrEqualTo(first.get("logprob").asDouble());
        List<JsonNode> chunks = server.stream("/v1/chat/completions", chat(",\"logprobs\":true,\"stream\":true"));
        assertThat(chunks.stream().filter(c -> !c.get("choices").get(0).get("logprobs").isNull()).count()).isEqualTo(10);
    }

    @Test
    void echoPutsThePromptInFront() {
        JsonNode plain = server.ok("/v1/completions", completion(""));
        JsonNode echoed = server.ok("/v1/completions", completion(",\"echo\":true"));
        assertThat(echoed.get("choices").get(0).get("text").asText())
                .isEqualTo("The switchyard" + plain.get("choices").get(0).get("text").asText());
        JsonNode onlyPrompt = server.ok("/v1/completions", completion(",\"echo\":true,\"max_tokens\":0"));
        assertThat(onlyPrompt.get("choices").get(0).get("text").asText()).isEqualTo("The switchyard");
        List<JsonNode> chunks = server.stream("/v1/completions", completion(",\"echo\":true,\"stream\":true"));
        assertThat(streamedText(chunks, 0)).isEqualTo(echoed.get("choices").get(0).get("text").asText());
    }

    @Test
    void templateArgumentsTheTemplateDoesNotReadChangeNothing() {
        String plain = server.ok("/v1/chat/completions", chat("")).get("choices").get(0).get("message").get("content")
                .asText();
        JsonNode withArguments = server.ok("/v1/chat/completions",
                chat(",\"reasoning_effort\":\"low\",\"chat_template_kwargs\":{\"enable_thinking\":false}"));
        assertThat(withArguments.get("choices").get(0).get("message").get("content").asText()).isEqualTo(plain);
    }

    @Test
    void aRepeatedPromptIsServedFromThePrefixCacheAndAnswersTheSame() {
        String body = "{\"model\":\"tiny\",\"prompt\":\"" + "The yard sorts the trains. ".repeat(8)
                + "\",\"max_tokens\":8,\"temperature\":0,\"ignore_eos\":true}";
        JsonNode first = server.ok("/v1/completions", body);
        JsonNode again = server.ok("/v1/completions", body);
        int prompt = again.get("usage").get("prompt_tokens").asInt();
        int cached = again.get("usage").get("prompt_tokens_details").get("cached_tokens").asInt();
        assertThat(cached).as("whole 16-position blocks short of the last prompt token").isEqualTo((prompt - 1) / 16 * 16)
                .isPositive();
        assertThat(again.get("choices").get(0).get("text").asText())
                .isEqualTo(first.get("choices").get(0).get("text").asText());
        assertThat(server.get("/metrics").body()).containsPattern("switchyard_prefix_cache_tokens_total\\{[^}]*\\} [1-9]");
    }

    @Test
    void onlyRequestsWithTheSameCacheSaltShareCachedPrompts() {
        String prompt = "{\"model\":\"tiny\",\"prompt\":\"" + "Salted tracks run apart. ".repeat(8)
                + "\",\"max_tokens\":4,\"temperature\":0,\"ignore_eos\":true";
        String a = prompt + ",\"cache_salt\":\"tenant-a\"}";
        String b = prompt + ",\"cache_salt\":\"tenant-b\"}";
        JsonNode first = server.ok("/v1/completions", a);
        assertThat(cached(first)).isZero();
        assertThat(cached(server.ok("/v1/completions", b))).as("another tenant's salt").isZero();
        assertThat(cached(server.ok("/v1/completions", prompt + "}"))).as("no salt").isZero();
        JsonNode again = server.ok("/v1/completions", a);
        assertThat(cached(again)).as("the same salt").isPositive();
        assertThat(again.get("choices").get(0).get("text").asText())
                .isEqualTo(first.get("choices").get(0).get("text").asText());
    }

    private static int cached(JsonNode response) {
        return response.get("usage").get("prompt_tokens_details").get("cached_tokens").asInt();
    }

    @Test
    void chatEchoRepeatsAnAssistantPrefill() {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\",\"content\":\"Well,\"}],"
                + "\"max_tokens\":3,\"temperature\":0,\"echo\":true}";
        assertThat(server.ok("/v1/chat/completions", body).get("choices").get(0).get("message").get("content").asText())
                .startsWith("Well,");
    }

    @Test
    void retrievesTheServedModelByIdAndNoOther() throws Exception {
        JsonNode listed = ServerFixture.parse(server.get("/v1/models").body()).get("data").get(0);
        HttpResponse<String> one = server.get("/v1/models/tiny");
        assertThat(one.statusCode()).isEqualTo(200);
        assertThat(ServerFixture.parse(one.body())).isEqualTo(listed);

        HttpResponse<String> other = server.get("/v1/models/org%2Fother");
        assertThat(other.statusCode()).isEqualTo(404);
        JsonNode error = ServerFixture.parse(other.body()).get("error");
        assertThat(error.get("code").asText()).isEqualTo("model_not_found");
        assertThat(error.get("param").asText()).isEqualTo("model");
        assertThat(error.get("message").asText()).contains("'org/other'");

        assertThat(rawGet("/v1/models/%zz")).startsWith("HTTP/1.1 400");
        assertThat(server.post("/v1/models/tiny", "{}").statusCode()).isEqualTo(405);
    }

    /** A GET sent over a plain socket, for a path java.net.URI would refuse; answers the status line. */
    private static String rawGet(String path) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            String reply = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return reply.lines().findFirst().orElse("");
        }
    }

    @Test
    void modelsTokenizeDetokenizeHealthVersionMetrics() {
        JsonNode models = ServerFixture.parse(server.get("/v1/models").body());
        assertThat(models.get("object").asText()).isEqualTo("list");
        assertThat(models.get("data").get(0).get("id").asText()).isEqualTo("tiny");
        assertThat(models.get("data").get(0).get("max_model_len").asInt()).isEqualTo(256);

        JsonNode tokens = server.ok("/tokenize", "{\"model\":\"tiny\",\"prompt\":\"Hello world\"}");
        assertThat(tokens.get("count").asInt()).isEqualTo(tokens.get("tokens").size());
        JsonNode text = server.ok("/detokenize", "{\"tokens\":" + tokens.get("tokens") + "}");
        assertThat(text.get("prompt").asText()).isEqualTo("Hello world");
        JsonNode chatTokens = server.ok("/tokenize", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}]}");
        JsonNode chatUsage = server.ok("/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"}],\"max_tokens\":1}").get("usage");
        assertThat(chatTokens.get("count").asInt()).isEqualTo(chatUsage.get("prompt_tokens").asInt());

        assertThat(server.get("/health").statusCode()).isEqualTo(200);
        assertThat(ServerFixture.parse(server.get("/version").body()).get("version").isTextual()).isTrue();
        var metrics = server.get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        assertThat(metrics.body()).contains("switchyard_requests_running{model=\"tiny\"}")
                .contains("switchyard_generation_tokens_total{model=\"tiny\"}");
    }
}
