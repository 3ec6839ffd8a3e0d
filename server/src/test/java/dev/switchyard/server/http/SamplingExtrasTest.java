package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * vLLM's sampling extras, each doing what vLLM's documentation says: {@code min_tokens},
 * {@code allowed_token_ids}, {@code bad_words}, {@code include_stop_str_in_output} and
 * {@code truncate_prompt_tokens}, on completions and chat.
 */
class SamplingExtrasTest {

    private static ServerFixture server;

    @BeforeAll
    static void start() throws Exception {
        server = ServerFixture.start();
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    private static List<Integer> tokens(String text, boolean special) {
        List<Integer> ids = new ArrayList<>();
        server.ok("/tokenize", "{\"prompt\":\"" + text + "\",\"add_special_tokens\":" + special + "}").get("tokens")
                .forEach(id -> ids.add(id.asInt()));
        return ids;
    }

    private static JsonNode completion(String extra) {
        return server.ok("/v1/completions", "{\"prompt\":\"The switchyard\",\"temperature\":0" + extra + "}")
                .at("/choices/0");
    }

    /** The ids a completion generated, read from its logprobs. */
    private static List<Integer> ids(JsonNode choice) {
        List<Integer> ids = new ArrayList<>();
        choice.at("/logprobs/tokens").forEach(t -> ids.add(Integer.parseInt(t.asText().substring("token_id:".length()))));
        return ids;
    }

    private static final String IDS = ",\"logprobs\":0,\"return_tokens_as_token_ids\":true";

    @Test
    void minTokensHoldsBackAStopTokenUntilEnoughAreWritten() {
        int first = ids(completion(",\"max_tokens\":1,\"ignore_eos\":true" + IDS)).getFirst();
        JsonNode stopped = completion(",\"max_tokens\":8,\"stop_token_ids\":[" + first + "]" + IDS);
        assertThat(ids(stopped)).containsExactly(first);
        assertThat(stopped.get("finish_reason").asText()).isEqualTo("stop");
        JsonNode held = completion(",\"max_tokens\":8,\"min_tokens\":3,\"ignore_eos\":true,\"stop_token_ids\":[" + first
                + "]" + IDS);
        List<Integer> written = ids(held);
        assertThat(written.size()).isGreaterThanOrEqualTo(3);
        assertThat(written.subList(0, 3)).doesNotContain(first);
    }

    @Test
    void onlyAllowedTokensAreWritten() {
        Set<Integer> allowed = Set.of(40, 41, 42, 43, 44);
        JsonNode choice = completion(",\"max_tokens\":24,\"temperature\":1.2,\"seed\":3,\"ignore_eos\":true,"
                + "\"allowed_token_ids\":[40,41,42,43,44]" + IDS);
        assertThat(ids(choice)).hasSize(24).allSatisfy(id -> assertThat(allowed).contains(id));
        JsonNode chat = server.ok("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"max_completion_tokens\":12,\"ignore_eos\":true,\"temperature\":0,\"allowed_token_ids\":[40,41],"
                + "\"logprobs\":true,\"return_tokens_as_token_ids\":true}");
        chat.at("/choices/0/logprobs/content").forEach(t -> assertThat(t.get("token").asText()).isIn("token_id:40",
                "token_id:41"));
    }

    @Test
    void aBadWordIsNeverWritten() {
        JsonNode plain = completion(",\"max_tokens\":12,\"ignore_eos\":true" + IDS);
        int first = ids(plain).getFirst();
        String word = server.ok("/detokenize", "{\"tokens\":[" + first + "]}").get("prompt").asText();
        assumeTrue(!word.isBlank() && tokens(word.strip(), false).size() == 1,
                "the greedy first token is not a word of its own: " + word);
        List<Integer> banned = tokens(word.strip(), false);
        List<Integer> spaced = tokens(" " + word.strip(), false);
        JsonNode without = completion(",\"max_tokens\":12,\"ignore_eos\":true,\"bad_words\":[\"" + word.strip() + "\"]"
                + IDS);
        List<Integer> written = ids(without);
        assertThat(written).hasSize(12);
        if (banned.size() == 1) {
            assertThat(written).doesNotContain(banned.getFirst());
        }
        if (spaced.size() == 1) {
            assertThat(written).doesNotContain(spaced.getFirst());
        }
        assertThat(written.getFirst()).isNotEqualTo(first);
    }

    @Test
    void aStopStringStaysInTheOutputWhenAskedFor() {
        String text = completion(",\"max_tokens\":16,\"ignore_eos\":true").get("text").asText();
        assumeTrue(text.length() >= 6, "a reply long enough to cut: " + text);
        String stop = text.substring(3, 5);
        String body = ",\"max_tokens\":16,\"ignore_eos\":true,\"stop\":[" + ServerFixture.JSON.valueToTree(stop) + "]";
        JsonNode left = completion(body);
        JsonNode kept = completion(body + ",\"include_stop_str_in_output\":true");
        assertThat(left.get("text").asText()).isEqualTo(text.substring(0, text.indexOf(stop)));
        assertThat(kept.get("text").asText()).isEqualTo(left.get("text").asText() + stop);
        assertThat(kept.get("finish_reason").asText()).isEqualTo("stop");
        List<JsonNode> chunks = server.stream("/v1/completions", "{\"prompt\":\"The switchyard\",\"temperature\":0"
                + body + ",\"include_stop_str_in_output\":true,\"stream\":true}");
        assertThat(ServerFixture.streamedText(chunks, 0)).isEqualTo(kept.get("text").asText());
    }

    @Test
    void aTruncatedPromptIsItsLastTokens() {
        List<Integer> prompt = tokens("Freight and passenger trains share the yard at night", true);
        assumeTrue(prompt.size() > 6, "a prompt of more than six tokens");
        List<Integer> tail = prompt.subList(prompt.size() - 4, prompt.size());
        String sampling = ",\"max_tokens\":6,\"temperature\":0,\"ignore_eos\":true,\"echo\":true";
        JsonNode cut = server.ok("/v1/completions", "{\"prompt\":" + prompt + sampling + ",\"truncate_prompt_tokens\":4}");
        JsonNode byHand = server.ok("/v1/completions", "{\"prompt\":" + tail + sampling + "}");
        assertThat(cut.at("/usage/prompt_tokens").asInt()).isEqualTo(4);
        assertThat(cut.get("choices")).isEqualTo(byHand.get("choices"));
        JsonNode whole = server.ok("/v1/completions", "{\"prompt\":" + prompt + sampling + ",\"truncate_prompt_tokens\":-1}");
        assertThat(whole.at("/usage/prompt_tokens").asInt()).as("-1: the model's limit").isEqualTo(prompt.size());
        JsonNode chat = server.ok("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello there, "
                + "how are the trains today?\"}],\"max_completion_tokens\":2,\"truncate_prompt_tokens\":5}");
        assertThat(chat.at("/usage/prompt_tokens").asInt()).isEqualTo(5);
    }

    @Test
    void llamaCppSamplersChangeTheOutputAndKeepASeededRunReproducible() {
        String greedy = ",\"max_tokens\":40,\"ignore_eos\":true" + IDS;
        List<Integer> plain = ids(completion(greedy));
        List<Integer> dry = ids(completion(greedy + ",\"dry_multiplier\":4,\"dry_allowed_length\":1"));
        assertThat(dry).as("a random-weight model repeats itself; DRY makes it stop").isNotEqualTo(plain);
        assertThat(ids(completion(greedy + ",\"dry_multiplier\":4,\"dry_allowed_length\":1"))).isEqualTo(dry);
        assertThat(ids(completion(greedy + ",\"dry_multiplier\":4,\"dry_penalty_last_n\":0")))
                .as("a window of 0 turns DRY off, as in llama.cpp").isEqualTo(plain);
        String sampled = ",\"max_tokens\":40,\"ignore_eos\":true,\"temperature\":1,\"seed\":5" + IDS;
        List<Integer> free = ids(server.ok("/v1/completions", "{\"prompt\":\"The switchyard\"" + sampled + "}").at("/choices/0"));
        String xtc = sampled + ",\"xtc_probability\":1,\"xtc_threshold\":0.05,\"typical_p\":0.95,\"top_n_sigma\":3";
        List<Integer> filtered = ids(server.ok("/v1/completions", "{\"prompt\":\"The switchyard\"" + xtc + "}").at("/choices/0"));
        assertThat(filtered).isNotEqualTo(free);
        assertThat(ids(server.ok("/v1/completions", "{\"prompt\":\"The switchyard\"" + xtc + "}").at("/choices/0")))
                .as("the same seed, the same tokens").isEqualTo(filtered);
    }

    private static List<Integer> sampledIds(String fields) {
        return ids(server.ok("/v1/completions", "{\"prompt\":\"The switchyard\",\"max_tokens\":30,\"ignore_eos\":true"
                + IDS + fields + "}").at("/choices/0"));
    }

    @Test
    void mirostatDynamicTemperatureAndThePenaltyWindowDoWhatLlamaCppsFieldsSay() {
        List<Integer> greedy = sampledIds(",\"temperature\":0");
        // a target of 0 bits with no learning keeps only the best token: greedy decoding
        assertThat(sampledIds(",\"temperature\":1,\"seed\":2,\"mirostat\":2,\"mirostat_tau\":0,\"mirostat_eta\":0"))
                .isEqualTo(greedy);
        List<Integer> mirostat = sampledIds(",\"temperature\":1,\"seed\":2,\"mirostat\":1,\"mirostat_tau\":8,\"top_k\":1");
        assertThat(mirostat).as("Mirostat replaces top_k").isNotEqualTo(greedy)
                .isEqualTo(sampledIds(",\"temperature\":1,\"seed\":2,\"mirostat\":1,\"mirostat_tau\":8,\"top_k\":1"));
        // an exponent of 0 draws at the top of the range: temperature + range
        assertThat(sampledIds(",\"temperature\":0.5,\"seed\":4,\"dynatemp_range\":0.25,\"dynatemp_exponent\":0"))
                .isEqualTo(sampledIds(",\"temperature\":0.75,\"seed\":4"));
        // a penalty below 1 favours the tokens seen, so the window shows in a greedy reply
        List<Integer> penalized = sampledIds(",\"temperature\":0,\"repetition_penalty\":0.3");
        assertThat(penalized).isNotEqualTo(greedy);
        assertThat(sampledIds(",\"temperature\":0,\"repeat_penalty\":0.3")).as("llama.cpp's name").isEqualTo(penalized);
        assertThat(sampledIds(",\"temperature\":0,\"repetition_penalty\":0.3,\"repeat_last_n\":-1")).isEqualTo(penalized);
        assertThat(sampledIds(",\"temperature\":0,\"repetition_penalty\":0.3,\"repeat_last_n\":0"))
                .as("a window of 0 turns the penalties off").isEqualTo(greedy);
        assertThat(sampledIds(",\"temperature\":0,\"repetition_penalty\":0.3,\"repeat_last_n\":2"))
                .as("two tokens back remember less than the whole text").isNotEqualTo(penalized);
    }

    /** The id of a control token of the chat template's, found in a rendered conversation so the test follows the vocabulary. */
    private static int control(String text) {
        JsonNode pieces = server.ok("/tokenize", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"with_pieces\":true}").get("tokens");
        for (JsonNode p : pieces) {
            if (p.get("piece").asText().equals(text)) {
                return p.get("id").asInt();
            }
        }
        throw new AssertionError(text + " is not among " + pieces);
    }

    private static JsonNode forced(int token, String extra) {
        return completion(",\"max_tokens\":3,\"logit_bias\":{\"" + token + "\":100}" + extra);
    }

    @Test
    void controlTokensTextIsOutputOnlyWhenSpecialTokensAreNotSkipped() {
        int start = control("<|im_start|>");
        assertThat(forced(start, "").get("text").asText()).isEmpty();
        assertThat(forced(start, ",\"skip_special_tokens\":true").get("text").asText()).isEmpty();
        JsonNode shown = forced(start, ",\"skip_special_tokens\":false");
        assertThat(shown.get("text").asText()).isEqualTo("<|im_start|>".repeat(3));
        assertThat(shown.get("finish_reason").asText()).isEqualTo("length");
        JsonNode named = forced(start, ",\"skip_special_tokens\":false,\"logprobs\":0").get("logprobs");
        assertThat(named.get("tokens").toString()).as("logprobs name tokens as the text shows them")
                .isEqualTo("[\"<|im_start|>\",\"<|im_start|>\",\"<|im_start|>\"]");
        assertThat(named.get("text_offset").toString()).isEqualTo("[0,12,24]");
        assertThat(forced(start, ",\"logprobs\":0").at("/logprobs/text_offset").toString()).isEqualTo("[0,0,0]");
        StringBuilder streamed = new StringBuilder();
        for (JsonNode chunk : server.stream("/v1/completions", "{\"prompt\":\"The switchyard\",\"temperature\":0,"
                + "\"max_tokens\":3,\"logit_bias\":{\"" + start + "\":100},\"skip_special_tokens\":false,"
                + "\"stream\":true}")) {
            chunk.at("/choices").forEach(c -> streamed.append(c.path("text").asText()));
        }
        assertThat(streamed).hasToString("<|im_start|>".repeat(3));
        JsonNode chat = server.ok("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"max_tokens\":2,\"temperature\":0,\"logit_bias\":{\"" + start + "\":100},"
                + "\"skip_special_tokens\":false}");
        assertThat(chat.at("/choices/0/message/content").asText()).isEqualTo("<|im_start|>".repeat(2));
    }

    @Test
    void anEndOfGenerationTokenTheReplyEndsOnStaysOutUnlessTheStopIsKept() {
        int end = control("<|im_end|>");
        JsonNode ended = forced(end, ",\"skip_special_tokens\":false");
        assertThat(ended.get("text").asText()).isEmpty();
        assertThat(ended.get("finish_reason").asText()).isEqualTo("stop");
        assertThat(forced(end, ",\"skip_special_tokens\":false,\"include_stop_str_in_output\":true").get("text")
                .asText()).isEqualTo("<|im_end|>");
        assertThat(forced(end, ",\"skip_special_tokens\":false,\"ignore_eos\":true").get("text").asText())
                .as("a token that does not end the reply is text like any other").isEqualTo("<|im_end|>".repeat(3));
    }
}
