package dev.switchyard.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gguf-split} with llama-gguf-split's flags: a model cut into parts is generated from and
 * inspected by its first part as the whole file is, merges back byte for byte, and what cannot
 * work is refused with a message, not a stack trace.
 */
class GgufSplitCommandTest {

    @TempDir
    Path dir;

    @Test
    void aModelSplitByTheCommandRunsFromItsFirstPartAndMergesBack() throws Exception {
        Path model = CliRun.mixtral(dir.resolve("m.gguf"), 2, 128);
        CliRun dry = CliRun.of("gguf-split", "--split-max-tensors", "10", "--dry-run", model.toString(),
                dir.resolve("m-split").toString());
        assertThat(dry.exitCode()).as(dry.err()).isZero();
        assertThat(dry.out()).contains("m-split-00001-of-00003.gguf: 10 tensors");
        assertThat(Files.list(dir).count()).as("a dry run writes nothing").isEqualTo(1);

        CliRun split = CliRun.of("gguf-split", "--split-max-tensors", "10", model.toString(), dir.resolve("m-split").toString());
        assertThat(split.exitCode()).as(split.err()).isZero();
        Path first = dir.resolve("m-split-00001-of-00003.gguf");
        assertThat(split.out()).contains("3 parts", "open the model as " + first);
        assertThat(dir.resolve("m-split-00003-of-00003.gguf")).exists();

        String[] generate = {"generate", "--prompt", "The yard", "--max-tokens", "6", "--temperature", "0", "--threads", "1",
                "--model"};
        CliRun whole = CliRun.of(with(generate, model.toString()));
        CliRun parts = CliRun.of(with(generate, first.toString()));
        assertThat(parts.exitCode()).as(parts.err()).isZero();
        assertThat(parts.out()).isEqualTo(whole.out());

        CliRun inspect = CliRun.of("inspect", "--json", first.toString());
        assertThat(inspect.exitCode()).as(inspect.err()).isZero();
        JsonNode report = new ObjectMapper().readTree(inspect.out());
        assertThat(report.get("parts")).hasSize(3);
        assertThat(report.get("parts").get(2).get("file").asText()).endsWith("m-split-00003-of-00003.gguf");
        assertThat(report.at("/tensors/12/part").asInt()).isEqualTo(2);
        assertThat(report.get("runnable").asBoolean()).isTrue();
        assertThat(CliRun.of("inspect", first.toString()).out()).contains("parts (offsets count from each part's start)");

        Path merged = dir.resolve("merged.gguf");
        CliRun merge = CliRun.of("gguf-split", "--merge", first.toString(), merged.toString());
        assertThat(merge.exitCode()).as(merge.err()).isZero();
        assertThat(Files.mismatch(merged, model)).isEqualTo(-1);
    }

    @Test
    void whatCannotWorkIsRefusedNamingWhy() throws Exception {
        Path model = CliRun.mixtral(dir.resolve("m.gguf"), 1, 64);
        CliRun both = CliRun.of("gguf-split", "--split-max-tensors", "4", "--split-max-size", "1MiB", model.toString(),
                dir.resolve("x").toString());
        assertThat(both.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(both.err()).contains("not both");
        CliRun split = CliRun.of("gguf-split", "--split-max-size", "100KiB", model.toString(), dir.resolve("p").toString());
        assertThat(split.exitCode()).as(split.err()).isZero();
        long parts;
        try (var files = Files.list(dir)) {
            parts = files.filter(p -> p.getFileName().toString().startsWith("p-")).count();
        }
        assertThat(parts).isGreaterThan(1);
        Path second = dir.resolve(String.format("p-00002-of-%05d.gguf", parts));
        CliRun later = CliRun.of("generate", "--model", second.toString(), "--prompt", "x", "--max-tokens", "1");
        assertThat(later.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(later.err()).contains("is part 2 of " + parts, String.format("p-00001-of-%05d.gguf", parts))
                .doesNotContain("Exception", "\tat ");
        Files.delete(second);
        CliRun missing = CliRun.of("inspect", dir.resolve(String.format("p-00001-of-%05d.gguf", parts)).toString());
        assertThat(missing.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(missing.err()).contains("part 2 of " + parts, "is missing");
    }

    private static String[] with(String[] args, String last) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = last;
        return all;
    }
}
