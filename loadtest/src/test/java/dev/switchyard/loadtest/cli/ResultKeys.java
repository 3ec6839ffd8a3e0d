package dev.switchyard.loadtest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The keys RESULTS.md documents, by section ("Top level", "`config`", "Run object", ...), and the check that a result file has exactly those. */
final class ResultKeys {

    private static final Pattern ROW = Pattern.compile("^\\| `([a-z0-9_]+)` \\|");

    private static final Set<String> LATENCY_KEYS = Set.of("count", "mean", "p50", "p90", "p99", "min", "max");

    private ResultKeys() {
    }

    static Map<String, Set<String>> read() throws IOException {
        Map<String, Set<String>> sections = new LinkedHashMap<>();
        String section = null;
        for (String line : Files.readAllLines(Path.of("RESULTS.md"))) {
            if (line.startsWith("## ")) {
                section = line.substring(3).strip();
                continue;
            }
            Matcher m = ROW.matcher(line);
            if (section != null && m.find()) {
                sections.computeIfAbsent(section, k -> new LinkedHashSet<>()).add(m.group(1));
            }
        }
        return sections;
    }

    /** Every key in the file is in RESULTS.md and every documented key is in the file. */
    static void assertDocumented(JsonNode r, boolean sweep) throws Exception {
        Map<String, Set<String>> doc = ResultKeys.read();
        Set<String> top = new LinkedHashSet<>(doc.get("Top level"));
        top.remove("sweep");
        Set<String> expectedTop = new LinkedHashSet<>(top);
        if (sweep) {
            expectedTop.add("sweep");
        } else {
            expectedTop.addAll(doc.get("Run object"));
        }
        assertThat(names(r)).isEqualTo(expectedTop);
        assertThat(names(r.get("config"))).isEqualTo(doc.get("`config`"));
        assertThat(names(r.get("input_tokens"))).isEqualTo(doc.get("`input_tokens`"));
        for (JsonNode run : sweep ? r.get("sweep") : java.util.List.of(r)) {
            if (sweep) {
                assertThat(names(run)).isEqualTo(doc.get("Run object"));
            }
            for (String latency : new String[] {"ttft_ms", "tpot_ms", "itl_ms", "e2e_ms"}) {
                assertThat(names(run.get(latency))).isEqualTo(LATENCY_KEYS);
            }
            assertThat(names(run.get("server_metrics"))).isEqualTo(doc.get("`server_metrics`"));
        }
    }

    private static Set<String> names(JsonNode node) {
        Set<String> names = new HashSet<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }
}
