package dev.switchyard.loadtest.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The keys RESULTS.md documents, by section ("Top level", "`config`", "Run object", ...). */
final class ResultKeys {

    private static final Pattern ROW = Pattern.compile("^\\| `([a-z0-9_]+)` \\|");

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
}
