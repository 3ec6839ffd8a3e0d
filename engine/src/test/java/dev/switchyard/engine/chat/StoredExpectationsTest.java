package dev.switchyard.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stored jinja2 outputs under {@code chat/expected} are what {@code render_expected.py}
 * produces now from the shared templates and the stored conversations: regenerates them into a
 * temporary folder and compares, where python3 with jinja2 is installed.
 */
class StoredExpectationsTest {

    @Test
    void storedOutputsEqualFreshJinja2Renders(@TempDir Path out) throws Exception {
        Optional<Path> templates = ChatTestData.templatesDir();
        assumeTrue(templates.isPresent(), "shared chat-templates folder not found: nothing to regenerate from");
        assumeTrue(run(Path.of("."), "python3", "-c", "import jinja2") == 0,
                "python3 with jinja2 is not installed: stored jinja2 outputs not re-checked");
        Path resources = ChatTestData.resourceDir();
        int exit = run(resources, "python3", resources.resolve("render_expected.py").toString(),
                "--templates", templates.get().toString(), "--out", out.toString());
        assertThat(exit).as("render_expected.py exit status").isZero();
        assertThat(files(out)).as("regenerated (left) vs stored (right): run render_expected.py and commit")
                .isEqualTo(files(resources.resolve("expected")));
    }

    private static int run(Path dir, String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            return -1; // no python3
        }
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -2;
        }
        return p.exitValue();
    }

    /** relative path -> content, for every file under {@code root}. */
    private static Map<String, String> files(Path root) throws IOException {
        Map<String, String> contents = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                contents.put(root.relativize(p).toString(), Files.readString(p));
            }
        }
        return contents;
    }
}
