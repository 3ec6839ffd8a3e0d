package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.cache.residency.ExpertMemory;
import dev.switchyard.engine.forward.ExpertOffload;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard ({@code deploy/grafana}) and the alert rules ({@code deploy/kubernetes})
 * ask only for series a server exports: every metric their queries name is in the scrape of a
 * server that offloads experts with a predictor and hybrid execution and has answered requests and
 * a batch, so a renamed metric fails here rather than emptying a panel or silencing an alert.
 */
class MonitoringFilesTest {

    private static final Pattern METRIC = Pattern.compile("switchyard_[a-z0-9_]+");

    private static Path deployed(String file) {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve(file))) {
            dir = dir.getParent();
        }
        assertThat(dir).as(file + " above the working directory").isNotNull();
        return dir.resolve(file);
    }

    @Test
    void everyMetricTheDashboardAndTheAlertsQueryIsExported() throws Exception {
        JsonNode board = ServerFixture.JSON.readTree(deployed("deploy/grafana/switchyard-dashboard.json").toFile());
        List<String> queries = new ArrayList<>();
        board.findValues("expr").forEach(e -> queries.add(e.asText()));
        queries.add(board.at("/templating/list/1/definition").asText());
        assertThat(board.findValues("panels").getFirst()).allSatisfy(p -> assertThat(p.get("title").asText()).isNotBlank());
        JsonNode rules = new com.fasterxml.jackson.dataformat.yaml.YAMLMapper().readTree(
                deployed("deploy/kubernetes/prometheus-rules.yaml").toFile());
        assertThat(rules.get("kind").asText()).isEqualTo("PrometheusRule");
        JsonNode alerts = rules.at("/spec/groups/0/rules");
        assertThat(alerts.size()).isGreaterThanOrEqualTo(5);
        for (JsonNode alert : alerts) {
            assertThat(alert.get("alert").asText()).startsWith("Switchyard");
            assertThat(alert.at("/annotations/summary").asText()).isNotBlank();
            queries.add(alert.get("expr").asText());
        }
        Set<String> asked = new TreeSet<>();
        for (String q : queries) {
            Matcher m = METRIC.matcher(q);
            while (m.find()) {
                asked.add(m.group());
            }
        }
        assertThat(asked).hasSizeGreaterThan(20);

        try (ServerFixture server = ServerFixture.offloaded(new ExpertOffload(ExpertMemory.parse("50%"), 1e9,
                "affinity", 1, true))) {
            // per-key series come with --api-key-file (ApiKeysServingTest runs them through requests)
            server.served.metrics().keyUsed("alice", "ok", 3, 2);
            for (int i = 0; i < 3; i++) {
                server.ok("/v1/completions", "{\"prompt\":\"Once upon a time " + i + "\",\"max_tokens\":6,"
                        + "\"ignore_eos\":true}");
            }
            String upload = server.send(BatchesApiTest.upload(server, "in.jsonl", "batch", ("{\"custom_id\":\"a\","
                    + "\"method\":\"POST\",\"url\":\"/v1/completions\",\"body\":{\"prompt\":\"Hi\",\"max_tokens\":2}}\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8))).body();
            String batch = server.ok("/v1/batches", "{\"input_file_id\":\"" + ServerFixture.parse(upload).get("id")
                    .asText() + "\",\"endpoint\":\"/v1/completions\",\"completion_window\":\"24h\"}").get("id").asText();
            for (int i = 0; i < 400 && !ServerFixture.parse(server.get("/v1/batches/" + batch).body()).get("status")
                    .asText().equals("completed"); i++) {
                Thread.sleep(25);
            }
            String scrape = server.get("/metrics").body();
            Set<String> exported = new TreeSet<>();
            for (String line : scrape.split("\n")) {
                Matcher m = METRIC.matcher(line);
                if (!line.startsWith("#") && m.lookingAt()) {
                    exported.add(m.group());
                }
            }
            assertThat(exported).as("the series the dashboard and the alerts ask for").containsAll(asked);
        }
    }
}
