package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.schedule.Speculation;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.server.serving.EngineConfig;
import dev.switchyard.server.serving.ReasoningFormat;
import dev.switchyard.server.serving.SpeculativeDraft;
import dev.switchyard.server.TinyModelFile;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A server that decodes speculatively answers exactly as one that does not: the same texts,
 * log-probabilities and finishes, whole and streamed, greedy and sampled, held to a grammar or not;
 * and its metrics count the tokens it proposed and kept.
 */
class SpeculativeServingTest {

    private static ServerFixture plain;
    private static ServerFixture speculating;
    /** Proposals from a draft model: the served model itself, whose greedy proposals are all kept. */
    private static ServerFixture drafting;

    @BeforeAll
    static void start() throws Exception {
        plain = ServerFixture.start();
        DispatchConfig dispatch = DispatchConfig.defaults(true);
        EngineConfig engine = new EngineConfig(1, 8, EngineConfig.defaultBatchTokens(8, dispatch), 0, 64, Duration.ZERO,
                dispatch, ReasoningFormat.AUTO, true, KvCacheType.F16, Speculation.lookup(4, 1, 3));
        speculating = ServerFixture.start(engine, HttpServerConfig.loopback(0));
        drafting = ServerFixture.start(engine.withDraft(new SpeculativeDraft(TinyModelFile.path(), 0)),
                HttpServerConfig.loopback(0));
    }

    @AfterAll
    static void stop() {
        plain.close();
        speculating.close();
        drafting.close();
    }

    /** The prompt's own tokens favoured, so that replies repeat it and proposals are kept. */
    private static String echoing(String prompt) {
        JsonNode ids = plain.ok("/tokenize", "{\"prompt\":\"" + prompt + "\"}").get("tokens");
        StringBuilder bias = new StringBuilder("{");
        for (JsonNode id : ids) {
            bias.append(bias.length() > 1 ? "," : "").append('"').append(id.asInt()).append("\":9");
        }
        return bias.append('}').toString();
    }

    @Test
    void repliesAreTheSameWithAndWithoutSpeculation() {
        String prompt = "one two three one two three one two";
        List<String> bodies = List.of(
                "{\"prompt\":\"" + prompt + "\",\"max_tokens\":40,\"temperature\":0,\"logprobs\":2}",
                "{\"prompt\":\"" + prompt + "\",\"max_tokens\":40,\"temperature\":0.8,\"seed\":3,\"n\":3,\"logprobs\":1,"
                        + "\"logit_bias\":" + echoing(prompt) + "}",
                "{\"prompt\":\"" + prompt + "\",\"max_tokens\":40,\"temperature\":0,\"logit_bias\":" + echoing(prompt)
                        + ",\"stop\":[\"three one\"]}",
                "{\"prompt\":\"" + prompt + "\",\"max_tokens\":40,\"temperature\":0.7,\"seed\":8,\"guided_grammar\":"
                        + "\"root ::= (\\\"one \\\" | \\\"two \\\" | \\\"three \\\"){3,12}\"}");
        for (String body : bodies) {
            JsonNode a = plain.ok("/v1/completions", body).get("choices");
            String streamed = body.substring(0, body.length() - 1) + ",\"stream\":true}";
            List<JsonNode> sa = plain.stream("/v1/completions", streamed);
            for (ServerFixture other : List.of(speculating, drafting)) {
                assertThat(other.ok("/v1/completions", body).get("choices")).as(body).isEqualTo(a);
                assertThat(texts(other.stream("/v1/completions", streamed))).as(streamed).isEqualTo(texts(sa));
            }
        }
        String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"" + prompt + "\"}],\"max_tokens\":40,"
                + "\"temperature\":0.9,\"seed\":5,\"logit_bias\":" + echoing(prompt) + "}";
        JsonNode expected = plain.ok("/v1/chat/completions", chat).get("choices");
        assertThat(speculating.ok("/v1/chat/completions", chat).get("choices")).isEqualTo(expected);
        assertThat(drafting.ok("/v1/chat/completions", chat).get("choices")).isEqualTo(expected);
        String metrics = speculating.get("/metrics").body();
        assertThat(counter(metrics, "switchyard_spec_decode_draft_tokens_total")).isPositive();
        assertThat(counter(metrics, "switchyard_spec_decode_accepted_tokens_total")).isPositive();
        assertThat(counter(plain.get("/metrics").body(), "switchyard_spec_decode_draft_tokens_total")).isZero();
        String drafted = drafting.get("/metrics").body();
        assertThat(counter(drafted, "switchyard_spec_decode_draft_tokens_total")).isPositive();
        assertThat(counter(drafted, "switchyard_spec_decode_accepted_tokens_total")).isPositive();
    }

    @Test
    void theModelAsItsOwnDraftHasEveryGreedyProposalKept() {
        String metricsBefore = drafting.get("/metrics").body();
        double drafted = counter(metricsBefore, "switchyard_spec_decode_draft_tokens_total");
        double kept = counter(metricsBefore, "switchyard_spec_decode_accepted_tokens_total");
        String body = "{\"prompt\":\"The switchyard\",\"max_tokens\":30,\"temperature\":0,\"ignore_eos\":true}";
        assertThat(drafting.ok("/v1/completions", body).get("choices")).isEqualTo(plain.ok("/v1/completions", body)
                .get("choices"));
        String metrics = drafting.get("/metrics").body();
        double newlyDrafted = counter(metrics, "switchyard_spec_decode_draft_tokens_total") - drafted;
        assertThat(newlyDrafted).isPositive();
        assertThat(counter(metrics, "switchyard_spec_decode_accepted_tokens_total") - kept).isEqualTo(newlyDrafted);
    }

    /** Each choice's streamed text and finish (how chunks of several choices interleave is the steps'). */
    private static java.util.Map<Integer, String> texts(List<JsonNode> chunks) {
        java.util.Map<Integer, String> texts = new java.util.TreeMap<>();
        for (JsonNode chunk : chunks) {
            for (JsonNode choice : chunk.path("choices")) {
                texts.merge(choice.path("index").asInt(), choice.path("text").asText()
                        + (choice.path("finish_reason").isTextual() ? "|" + choice.path("finish_reason").asText() : ""),
                        String::concat);
            }
        }
        return texts;
    }

    private static double counter(String metrics, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{[^}]*} ([0-9.eE+-]+)$").matcher(metrics);
        assertThat(m.find()).as(name + " in the metrics").isTrue();
        return Double.parseDouble(m.group(1));
    }
}
