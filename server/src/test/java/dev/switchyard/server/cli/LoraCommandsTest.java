package dev.switchyard.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.server.serving.AdapterSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code make-lora}, {@code export-lora} and the {@code --lora} flags: an adapter applied by
 * {@code generate} writes what the model with it merged writes; bad adapters and flags are one-line
 * errors naming the problem.
 */
class LoraCommandsTest {

    @TempDir
    static Path dir;

    private static Path model;
    private static Path adapter;

    @BeforeAll
    static void write() {
        model = dir.resolve("f32.gguf");
        CliRun made = CliRun.of("make-model", "--arch", "mixtral", "--layers", "2", "--context", "256", "--dtype", "f32",
                "-o", model.toString());
        assertThat(made.exitCode()).as(made.err()).isZero();
        adapter = dir.resolve("style.gguf");
        CliRun lora = CliRun.of("make-lora", "-m", model.toString(), "--targets", "all", "--rank", "8", "-o",
                adapter.toString());
        assertThat(lora.exitCode()).as(lora.err()).isZero();
        assertThat(lora.out()).contains("wrote " + adapter, "rank 8", "alpha 32.0", "f16");
    }

    private static String tokens(Path file, String... extra) {
        String[] base = {"generate", "--model", file.toString(), "--prompt", "The yard", "--max-tokens", "12",
                "--temperature", "0", "--json", "--threads", "1"};
        String[] args = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        CliRun run = CliRun.of(args);
        assertThat(run.exitCode()).as(run.err()).isZero();
        return run.out().lines().filter(l -> l.startsWith("{")).map(l -> l.replaceAll(".*\"id\":(\\d+).*", "$1"))
                .reduce("", (a, b) -> a + " " + b);
    }

    @Test
    void generateWithAnAdapterWritesWhatTheMergedModelWrites() {
        Path merged = dir.resolve("merged.gguf");
        CliRun export = CliRun.of("export-lora", "-m", model.toString(), "--lora-scaled", adapter + ":0.5", "-o",
                merged.toString());
        assertThat(export.exitCode()).as(export.err()).isZero();
        assertThat(export.out()).contains("1 adapter(s) merged");
        String applied = tokens(model, "--lora-scaled", adapter + ":0.5");
        assertThat(applied).isEqualTo(tokens(merged));
        assertThat(applied).isNotEqualTo(tokens(model));
        assertThat(tokens(model, "--lora", adapter.toString(), "--lora-init-without-apply")).isEqualTo(tokens(model));
    }

    @Test
    void inspectSaysWhatAnAdapterAdapts() throws Exception {
        CliRun text = CliRun.of("inspect", adapter.toString());
        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out()).contains("adapter:", "type: lora", "architecture: llama", "alpha: 32.0",
                "ranks: [8]", "runnable: no (an adapter, not a model: load it beside its model with --lora)");
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(CliRun.of("inspect", "--json", adapter.toString()).out());
        assertThat(json.at("/adapter/targets").toString()).contains("\"attn_q\"", "\"ffn_down_exps\"", "\"output\"");
        assertThat(json.at("/adapter/matrices").asInt()).isPositive();
        assertThat(json.get("runnable").asBoolean()).isFalse();
    }

    @Test
    void badAdaptersAndFlagsAreOneLineErrors() {
        CliRun target = CliRun.of("make-lora", "-m", model.toString(), "--targets", "token_embd", "-o",
                dir.resolve("x.gguf").toString());
        assertThat(target.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(target.err()).contains("--targets: no matrix an adapter can change is called 'token_embd'");
        CliRun noScale = CliRun.of("generate", "--model", model.toString(), "--prompt", "x", "--lora-scaled",
                adapter.toString());
        assertThat(noScale.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(noScale.err()).contains("--lora-scaled takes FILE:SCALE");
        CliRun missing = CliRun.of("generate", "--model", model.toString(), "--prompt", "x", "--lora",
                dir.resolve("none.gguf").toString());
        assertThat(missing.err()).contains("--lora: no file");
        // an adapter for a model of another architecture
        Path qwen = dir.resolve("qwen.gguf");
        assertThat(CliRun.of("make-model", "--arch", "qwen3", "--layers", "1", "-o", qwen.toString()).exitCode()).isZero();
        CliRun other = CliRun.of("generate", "--model", qwen.toString(), "--prompt", "x", "--lora", adapter.toString());
        assertThat(other.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(other.err()).contains("LoRA adapter style.gguf: made for architecture 'llama', but the model is "
                + "'qwen3'").doesNotContain("Exception");
        CliRun notAdapter = CliRun.of("export-lora", "-m", model.toString(), "--lora", model.toString(), "-o",
                dir.resolve("y.gguf").toString());
        assertThat(notAdapter.err()).contains("not an adapter");
    }

    @Test
    void loraFlagsReadNamesFilesAndScalesAndHaveEnvironmentTwins() {
        ServeCommand command = new ServeCommand();
        new picocli.CommandLine(command).setDefaultValueProvider(new EnvironmentDefaults(Map.of(
                "SWITCHYARD_LORA", "sql=" + adapter + "," + adapter)::get)).parseArgs("--lora-scaled",
                "chat=" + adapter + ":0.25");
        List<AdapterSpec> specs = command.lora.adapters();
        assertThat(specs).extracting(AdapterSpec::name).containsExactly("sql", "style", "chat");
        assertThat(specs).extracting(AdapterSpec::scale).containsExactly(1f, 1f, 0.25f);
        assertThat(specs.get(1).file()).isEqualTo(adapter);
        ServeCommand off = new ServeCommand();
        new picocli.CommandLine(off).parseArgs("--lora", adapter.toString(), "--lora-init-without-apply");
        assertThat(off.lora.adapters()).extracting(AdapterSpec::scale).containsExactly(0f);
        assertThat(AdapterSpec.parse("/models/a=b/x.gguf", 1).name()).as("a path with '=' in it").isEqualTo("x");
    }
}
