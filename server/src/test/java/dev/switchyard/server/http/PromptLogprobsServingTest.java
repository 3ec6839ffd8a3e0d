package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A prompt's own log-probabilities, as evaluation harnesses ask for them (a completion with
 * {@code echo} and {@code logprobs}, OpenAI's legacy way to score a text) and as vLLM returns them
 * ({@code prompt_logprobs}): a text scored as a prompt gets exactly the log-probabilities its tokens
 * had when they were generated, streamed equals whole, and both spellings agree.
 */
class PromptLogprobsServingTest {

    private static ServerFixture server;

    @BeforeAll
    static void start() throws Exception {
        server = ServerFixture.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static List<Integer> tokens(String text) {
        List<Integer> ids = new ArrayList<>();
        server.ok("/tokenize", "{\"prompt\":\"" + text + "\"}").get("tokens").forEach(id -> ids.add(id.asInt()));
        return ids;
    }

    private static JsonNode completion(List<Integer> prompt, String extra) {
        return server.ok("/v1/completions", "{\"prompt\":" + prompt + ",\"temperature\":0,\"ignore_eos\":true" + extra + "}");
    }

    @Test
    void aTextScoredAsPromptGetsTheLogprobsItsTokensWereGeneratedWith() {
        List<Integer> start = tokens("The switchyard sorts the trains");
        JsonNode generated = completion(start, ",\"max_tokens\":8,\"logprobs\":2,\"return_tokens_as_token_ids\":true")
                .at("/choices/0/logprobs");
        List<Integer> whole = new ArrayList<>(start);
        for (JsonNode t : generated.get("tokens")) {
            assertThat(t.asText()).startsWith("token_id:");
            whole.add(Integer.parseInt(t.asText().substring("token_id:".length())));
        }
        // lm-evaluation-harness's request: token ids, echo, logprobs, one token more
        JsonNode scored = completion(whole, ",\"max_tokens\":1,\"echo\":true,\"logprobs\":2,"
                + "\"return_tokens_as_token_ids\":true");
        JsonNode lp = scored.at("/choices/0/logprobs");
        assertThat(lp.get("tokens")).hasSize(whole.size() + 1);
        assertThat(lp.get("token_logprobs").get(0).isNull()).as("nothing predicts the first token").isTrue();
        assertThat(lp.get("top_logprobs").get(0).isNull()).isTrue();
        for (int i = 0; i < whole.size(); i++) {
            assertThat(lp.get("tokens").get(i).asText()).isEqualTo("token_id:" + whole.get(i));
        }
        for (int i = 0; i < 8; i++) {
            int at = start.size() + i;
            assertThat(lp.get("token_logprobs").get(at)).as("token %d", i).isEqualTo(generated.get("token_logprobs").get(i));
            assertThat(lp.get("top_logprobs").get(at)).isEqualTo(generated.get("top_logprobs").get(i));
            // a greedy token is the most probable one, as the harness's is_greedy check reads it
            assertThat(lp.get("token_logprobs").get(at).asDouble()).isEqualTo(maxValue(lp.get("top_logprobs").get(at)));
        }
        for (int i = 1; i < whole.size(); i++) {
            assertThat(lp.get("token_logprobs").get(i).asDouble()).isLessThanOrEqualTo(0);
            assertThat(lp.get("top_logprobs").get(i).size()).isBetween(1, 2);
        }
        // offsets run over the texts of the tokens, the echoed prompt's included
        JsonNode texts = completion(whole, ",\"max_tokens\":1,\"echo\":true,\"logprobs\":2").at("/choices/0");
        int offset = 0;
        StringBuilder joined = new StringBuilder();
        for (int i = 0; i < texts.at("/logprobs/tokens").size(); i++) {
            assertThat(texts.at("/logprobs/text_offset").get(i).asInt()).isEqualTo(offset);
            String piece = texts.at("/logprobs/tokens").get(i).asText();
            offset += piece.length();
            joined.append(piece);
        }
        assertThat(texts.at("/logprobs/token_logprobs")).isEqualTo(lp.get("token_logprobs"));
        assertThat(texts.get("text").asText()).endsWith(texts.at("/logprobs/tokens").get(whole.size()).asText());
        assertThat(scored.at("/usage/completion_tokens").asInt()).isEqualTo(1);
        // only the prompt: max_tokens 0
        JsonNode only = completion(whole, ",\"max_tokens\":0,\"echo\":true,\"logprobs\":2");
        assertThat(only.at("/choices/0/logprobs/token_logprobs")).hasSize(whole.size());
        for (int i = 0; i < whole.size(); i++) {
            assertThat(only.at("/choices/0/logprobs/token_logprobs").get(i)).isEqualTo(lp.get("token_logprobs").get(i));
        }
        assertThat(only.at("/choices/0/finish_reason").asText()).isEqualTo("length");
        assertThat(only.at("/usage/completion_tokens").asInt()).isZero();
    }

    private static double maxValue(JsonNode object) {
        double max = Double.NEGATIVE_INFINITY;
        for (Iterator<JsonNode> it = object.elements(); it.hasNext(); ) {
            max = Math.max(max, it.next().asDouble());
        }
        return max;
    }

    @Test
    void streamedEchoedLogprobsEqualTheWholeResponse() {
        List<Integer> prompt = tokens("Freight cars wait on the siding");
        for (int maxTokens : new int[] {0, 5}) {
            String body = "{\"prompt\":" + prompt + ",\"temperature\":0,\"ignore_eos\":true,\"echo\":true,\"logprobs\":3,"
                    + "\"max_tokens\":" + maxTokens;
            JsonNode whole = server.ok("/v1/completions", body + "}").at("/choices/0/logprobs");
            List<JsonNode> chunks = server.stream("/v1/completions", body + ",\"stream\":true}");
            Map<String, ArrayNode> joined = Map.of("tokens", ServerFixture.JSON.createArrayNode(),
                    "token_logprobs", ServerFixture.JSON.createArrayNode(),
                    "top_logprobs", ServerFixture.JSON.createArrayNode(),
                    "text_offset", ServerFixture.JSON.createArrayNode());
            for (JsonNode c : chunks) {
                JsonNode lp = c.at("/choices/0/logprobs");
                if (!lp.isMissingNode() && !lp.isNull()) {
                    joined.forEach((field, into) -> into.addAll((ArrayNode) lp.get(field)));
                }
            }
            assertThat(whole.get("tokens")).hasSize(prompt.size() + maxTokens);
            joined.forEach((field, values) -> assertThat(values).as("%s, max_tokens %d", field, maxTokens)
                    .isEqualTo(whole.get(field)));
            assertThat(ServerFixture.streamedText(chunks, 0))
                    .isEqualTo(server.ok("/v1/completions", body + "}").at("/choices/0/text").asText());
        }
    }

    @Test
    void vllmsPromptLogprobsAgreeWithTheEchoedOnesOnCompletionsAndChat() {
        List<Integer> prompt = tokens("Signals turn green");
        JsonNode echoed = completion(prompt, ",\"max_tokens\":2,\"echo\":true,\"logprobs\":2").at("/choices/0/logprobs");
        JsonNode choice = completion(prompt, ",\"max_tokens\":2,\"prompt_logprobs\":2").at("/choices/0");
        assertThat(choice.get("logprobs").isNull()).as("prompt_logprobs alone asks for no sampled logprobs").isTrue();
        JsonNode scores = choice.get("prompt_logprobs");
        assertThat(scores).hasSize(prompt.size());
        assertThat(scores.get(0).isNull()).isTrue();
        for (int i = 1; i < prompt.size(); i++) {
            JsonNode entry = scores.get(i);
            String id = Integer.toString(prompt.get(i));
            assertThat(entry.fieldNames().next()).as("the prompt token's own entry comes first").isEqualTo(id);
            JsonNode own = entry.get(id);
            assertThat(own.get("logprob")).isEqualTo(echoed.get("token_logprobs").get(i));
            assertThat(own.get("decoded_token").asText()).isEqualTo(echoed.get("tokens").get(i).asText());
            assertThat(own.get("rank").asInt()).isPositive();
            // the prompt token, and the two most probable where it is not among them
            assertThat(entry.size()).isBetween(2, 3);
            List<Integer> ranks = new ArrayList<>();
            entry.forEach(e -> ranks.add(e.get("rank").asInt()));
            assertThat(ranks.subList(1, ranks.size())).isSubsetOf(1, 2);
        }
        String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"Which track?\"}],\"max_completion_tokens\":3,"
                + "\"temperature\":0,\"prompt_logprobs\":1,\"n\":2}";
        JsonNode reply = server.ok("/v1/chat/completions", chat);
        assertThat(reply.get("prompt_logprobs")).as("once for the request's one prompt")
                .hasSize(reply.at("/usage/prompt_tokens").asInt());
        assertThat(reply.at("/choices/0/prompt_logprobs").isMissingNode()).isTrue();
        JsonNode without = server.ok("/v1/chat/completions", chat.replace(",\"prompt_logprobs\":1", ""));
        assertThat(without.has("prompt_logprobs")).isFalse();
        assertThat(reply.get("choices")).as("scoring the prompt changes no reply").isEqualTo(without.get("choices"));
    }
}
