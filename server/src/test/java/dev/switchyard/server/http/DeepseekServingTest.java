package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.cache.residency.ExpertMemory;
import dev.switchyard.engine.forward.ExpertOffload;
import dev.switchyard.server.TinyModelFile;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A DeepSeek-V3-shaped model (a dense first block, two blocks that route, latent attention,
 * sigmoid routing over expert groups) serves with its routed experts offloaded exactly as with them
 * in place, and its expert metrics count the two routed layers, numbered 0 and 1, not the blocks.
 */
class DeepseekServingTest {

    private static ServerFixture inPlace;
    private static ServerFixture offloaded;

    @BeforeAll
    static void start() throws Exception {
        inPlace = ServerFixture.serving(TinyModelFile.deepseek(), null);
        // 2 routed layers x 8 experts: 25% is 4 slots, where the cache must evict
        offloaded = ServerFixture.serving(TinyModelFile.deepseek(),
                new ExpertOffload(ExpertMemory.parse("25%"), 0, "combined", 1));
    }

    @AfterAll
    static void stop() {
        inPlace.close();
        offloaded.close();
    }

    @Test
    void offloadedAnswersAreThoseInPlaceAndMetricsCountRoutedLayers() {
        for (String prompt : new String[] {"The switchyard", "Once upon a time"}) {
            String body = "{\"model\":\"tiny\",\"prompt\":\"" + prompt + "\",\"max_tokens\":16,\"temperature\":0,"
                    + "\"ignore_eos\":true,\"logprobs\":2}";
            JsonNode expected = inPlace.ok("/v1/completions", body).get("choices").get(0);
            JsonNode actual = offloaded.ok("/v1/completions", body).get("choices").get(0);
            assertThat(actual.get("text").asText()).as(prompt).isEqualTo(expected.get("text").asText());
            assertThat(actual.get("logprobs")).as(prompt).isEqualTo(expected.get("logprobs"));
        }
        String metrics = offloaded.get("/metrics").body();
        assertThat(metrics).contains("switchyard_expert_cache_slots{model=\"tiny\"} 4.0")
                .contains("switchyard_expert_cache_hits_total{layer=\"0\",model=\"tiny\"}")
                .contains("switchyard_expert_cache_hits_total{layer=\"1\",model=\"tiny\"}")
                .doesNotContain("switchyard_expert_cache_hits_total{layer=\"2\"");
        String load = inPlace.get("/metrics").body();
        assertThat(load).contains("layer=\"1\"").doesNotContain("layer=\"2\"");
    }
}
