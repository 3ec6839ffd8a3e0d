package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.cache.residency.ExpertMemory;
import dev.switchyard.engine.forward.ExpertOffload;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Serving with the routed experts offloaded answers exactly as serving them in place, with or
 * without hybrid execution, and the expert cache's figures appear on {@code /metrics} (only then),
 * hybrid execution's beside them.
 */
class OffloadedServingTest {

    private static ServerFixture inPlace;
    private static ServerFixture offloaded;
    private static ServerFixture predicted;
    private static ServerFixture hybrid;

    @BeforeAll
    static void start() throws Exception {
        inPlace = ServerFixture.start();
        // the tiny model has 2 layers x 8 experts: 25% is 4 slots, where the cache must evict
        offloaded = ServerFixture.offloaded(new ExpertOffload(ExpertMemory.parse("25%"), 0, "none", 1));
        predicted = ServerFixture.offloaded(new ExpertOffload(ExpertMemory.parse("50%"), 0, "affinity", 1));
        // over a 10 KB/s link (40 s a copy) every miss is cheaper on the host: computed there, never copied
        hybrid = ServerFixture.offloaded(new ExpertOffload(ExpertMemory.parse("25%"), 1e4, "none", 1, true));
    }

    @AfterAll
    static void stop() {
        inPlace.close();
        offloaded.close();
        predicted.close();
        hybrid.close();
    }

    private static String completion(String prompt) {
        return "{\"model\":\"tiny\",\"prompt\":\"" + prompt + "\",\"max_tokens\":24,\"temperature\":0,\"ignore_eos\":true,"
                + "\"logprobs\":2}";
    }

    @Test
    void greedyCompletionsAreTheSameAsWithEveryExpertInPlace() {
        for (String prompt : new String[] {"The switchyard", "Hello there", "Once upon a time"}) {
            JsonNode expected = inPlace.ok("/v1/completions", completion(prompt)).get("choices").get(0);
            for (ServerFixture server : new ServerFixture[] {offloaded, predicted, hybrid}) {
                JsonNode choice = server.ok("/v1/completions", completion(prompt)).get("choices").get(0);
                assertThat(choice.get("text").asText()).as(prompt).isEqualTo(expected.get("text").asText());
                assertThat(choice.get("logprobs")).as(prompt).isEqualTo(expected.get("logprobs"));
            }
        }
        String metrics = offloaded.get("/metrics").body();
        assertThat(sum(metrics, "switchyard_expert_cache_hits_total")).isPositive();
        assertThat(sum(metrics, "switchyard_expert_cache_misses_total")).isPositive();
        assertThat(sum(metrics, "switchyard_expert_cache_evictions_total")).isPositive();
        assertThat(sum(metrics, "switchyard_expert_cache_h2d_bytes_total")).isPositive();
        assertThat(sum(metrics, "switchyard_expert_cache_stall_seconds_total")).isPositive();
        assertThat(sum(metrics, "switchyard_expert_cache_prefetch_issued_total")).as("no predictor").isZero();
        assertThat(metrics).contains("switchyard_expert_cache_slots{model=\"tiny\"} 4.0")
                .contains("switchyard_expert_cache_hits_total{layer=\"1\",model=\"tiny\"}")
                .doesNotContain("switchyard_expert_cache_predictor_precision");

        assertThat(metrics).doesNotContain("switchyard_hybrid");

        String host = hybrid.get("/metrics").body();
        assertThat(sum(host, "switchyard_hybrid_host_experts_total")).isPositive();
        assertThat(sum(host, "switchyard_hybrid_copied_experts_total")).isZero();
        assertThat(sum(host, "switchyard_expert_cache_h2d_bytes_total")).as("no copy started").isZero();
        assertThat(sum(host, "switchyard_expert_cache_misses_total")).isZero();
        assertThat(host).contains("switchyard_hybrid_host_experts_total{layer=\"1\",model=\"tiny\"}");

        String withPredictor = predicted.get("/metrics").body();
        assertThat(sum(withPredictor, "switchyard_expert_cache_prefetch_issued_total")).isPositive();
        assertThat(withPredictor).contains("switchyard_expert_cache_predictor_precision{layer=\"1\",model=\"tiny\"}")
                .contains("switchyard_expert_cache_predictor_recall{layer=\"1\",model=\"tiny\"}");
    }

    @Test
    void expertCacheFiguresOnlyWhenOffloading() {
        assertThat(inPlace.get("/metrics").body()).doesNotContain("switchyard_expert_cache");
    }

    /** A metric summed over its label sets, as a Prometheus {@code sum()} would. */
    private static double sum(String page, String name) {
        Matcher m = Pattern.compile("(?m)^" + name + "\\{[^}]*} (\\S+)$").matcher(page);
        double total = 0;
        boolean found = false;
        while (m.find()) {
            total += Double.parseDouble(m.group(1));
            found = true;
        }
        assertThat(found).as(name + " on the page").isTrue();
        return total;
    }
}
