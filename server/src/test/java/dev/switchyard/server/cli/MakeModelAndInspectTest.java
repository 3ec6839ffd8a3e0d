package dev.switchyard.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MakeModelAndInspectTest {

    @TempDir
    Path dir;

    @Test
    void helpListsTheCommands() {
        CliRun run = CliRun.of("--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("make-model", "inspect");
    }

    @Test
    void makeModelHelpListsThePresetsAndGpuBenchIsTakenByName() throws Exception {
        CliRun help = CliRun.of("make-model", "--help");
        assertThat(help.exitCode()).isZero();
        assertThat(help.out()).contains("gpu-bench  Mixtral-8x7B cut to 4 layers", "tiny, small, bench or gpu-bench");
        // the preset's name reaches the generator; the shape is cut down here, so the file stays tiny
        Path model = dir.resolve("g.gguf");
        CliRun make = CliRun.of("make-model", "--arch", "mixtral", "--preset", "gpu-bench", "--layers", "1", "--dim", "256",
                "--heads", "8", "--kv-heads", "2", "--expert-ffn", "256", "--context", "256", "--dtype", "bf16",
                "-o", model.toString());
        assertThat(make.exitCode()).as(make.err()).isZero();
        assertThat(make.out()).contains("8 experts top-2", "bf16");
        try (GgufFile f = GgufFile.open(model)) {
            assertThat(f.metadata().requireString("general.name")).isEqualTo("switchyard-mixtral-gpu-bench");
        }
        CliRun bad = CliRun.of("make-model", "--arch", "mixtral", "--preset", "huge", "-o", dir.resolve("x.gguf").toString());
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.err()).contains("tiny, small, bench, gpu-bench");
    }

    @Test
    void madeModelIsReadBackByInspectWithEveryTensorAndKey() throws Exception {
        Path model = dir.resolve("m.gguf");
        CliRun make = CliRun.of("make-model", "--arch", "mixtral", "--preset", "tiny", "--layers", "2",
                "--dtype", "f32", "--seed", "9", "-o", model.toString());
        assertThat(make.exitCode()).as(make.err()).isZero();
        assertThat(make.out()).contains("wrote", "mixtral", "8 experts top-2");

        CliRun inspect = CliRun.of("inspect", "--json", model.toString());
        assertThat(inspect.exitCode()).as(inspect.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(inspect.out());
        try (GgufFile f = GgufFile.open(model)) {
            List<String> keys = new ArrayList<>();
            json.get("metadata").fieldNames().forEachRemaining(keys::add);
            assertThat(keys).containsExactlyElementsOf(f.metadata().keys());
            assertThat(json.get("tensors")).hasSize(f.tensors().size());
            for (int i = 0; i < f.tensors().size(); i++) {
                GgufTensorInfo t = f.tensors().get(i);
                JsonNode row = json.get("tensors").get(i);
                assertThat(row.get("name").asText()).isEqualTo(t.name());
                assertThat(row.get("type").asText()).isEqualTo(t.type().name());
                assertThat(row.get("bytes").asLong()).isEqualTo(t.byteSize());
                assertThat(row.get("offset").asLong()).isEqualTo(t.absoluteOffset());
            }
        }
        assertThat(json.get("runnable").asBoolean()).isTrue();
        assertThat(json.get("config").get("experts").asInt()).isEqualTo(8);
        assertThat(json.get("config").get("layers").asInt()).isEqualTo(2);
        JsonNode config = json.get("config");
        long elements = 2L * config.get("kv_heads").asLong()
                * (config.get("head_dim_k").asLong() + config.get("head_dim_v").asLong());
        assertThat(config.get("kv_bytes_per_position").get("f16").asLong()).isEqualTo(2 * elements);
        assertThat(config.get("kv_bytes_per_position").get("f32").asLong()).isEqualTo(4 * elements);
        assertThat(json.get("metadata").get("tokenizer.ggml.tokens").get("length").asInt())
                .isEqualTo(json.get("config").get("vocab_size").asInt());
    }

    @Test
    void textInspectSummarisesArraysAndPrintsTheConfiguration() {
        Path model = dir.resolve("q.gguf");
        assertThat(CliRun.of("make-model", "--arch", "qwen2moe", "--layers", "1", "--dtype", "f32", "-o", model.toString())
                .exitCode()).isZero();
        CliRun inspect = CliRun.of("inspect", "--array-items", "3", model.toString());
        assertThat(inspect.exitCode()).isZero();
        assertThat(inspect.out())
                .contains("GGUF v3")
                .containsPattern("tokenizer\\.ggml\\.tokens = \\[string x \\d+\\] \\[\"[^\"]*\", \"[^\"]*\", \"[^\"]*\", \\.\\.\\.\\]")
                .contains("blk.0.ffn_gate_inp_shexp.weight")
                .contains("architecture: qwen2moe")
                .contains("runnable: yes");
    }

    @Test
    void gptOssInMxfp4IsMadeAndInspectedWithItsWindowedBlocks() throws Exception {
        Path model = dir.resolve("oss.gguf");
        CliRun make = CliRun.of("make-model", "--arch", "gpt-oss", "--layers", "3", "--dtype", "mxfp4", "-o",
                model.toString());
        assertThat(make.exitCode()).as(make.err()).isZero();
        assertThat(make.out()).contains("gpt-oss", "mxfp4");
        JsonNode json = new ObjectMapper().readTree(CliRun.of("inspect", "--json", model.toString()).out());
        assertThat(json.get("runnable").asBoolean()).isTrue();
        assertThat(json.get("config").get("sliding_window").asInt()).isEqualTo(16);
        assertThat(json.get("config").get("windowed_blocks").toString()).isEqualTo("[0,2]");
        assertThat(json.get("config").get("attention_sinks").asBoolean()).isTrue();
        assertThat(json.get("metadata").get("general.file_type").toString()).as("MXFP4_MOE").contains("38");
        // one full block grows with each position; the two windowed ones hold a window's worth apart
        JsonNode config = json.get("config");
        long perLayer = 2L * config.get("kv_heads").asLong() * config.get("head_dim_k").asLong() * 2;
        assertThat(config.get("kv_bytes_per_position").get("f16").asLong()).isEqualTo(perLayer);
        assertThat(config.get("windowed_kv_bytes_per_position").get("f16").asLong()).isEqualTo(2 * perLayer);
        assertThat(config.get("windowed_kv_bytes_per_position").get("f32").asLong()).isEqualTo(4 * perLayer);
    }

    @Test
    void gridFormatModelsAreMadeInspectedAndGenerateWithHalfTheExpertsResident() throws Exception {
        // IQ1_M and IQ2_XXS: the two layouts furthest apart (d spread over the scale words; seven
        // sign bits with the eighth implied), each through make-model, inspect and generate
        for (String dtype : new String[] {"iq1_m", "iq2_xxs"}) {
            Path model = dir.resolve(dtype + ".gguf");
            CliRun make = CliRun.of("make-model", "--arch", "qwen3moe", "--layers", "2", "--dtype", dtype, "-o",
                    model.toString());
            assertThat(make.exitCode()).as(make.err()).isZero();
            assertThat(make.out()).contains(dtype);
            CliRun inspect = CliRun.of("inspect", model.toString());
            assertThat(inspect.out()).contains(dtype.toUpperCase(java.util.Locale.ROOT));
            generatesFourTokens(model, "--expert-memory", "50%");
        }
    }

    @Test
    void graniteMoeIsMadeAndInspectedWithItsMultipliersAndGenerates() throws Exception {
        Path model = dir.resolve("granite.gguf");
        JsonNode config = madeAndInspected(model, "--arch", "granitemoe", "--layers", "2");
        assertThat(config.get("architecture").asText()).isEqualTo("granitemoe");
        assertThat(config.get("embedding_scale").asDouble()).isEqualTo(12.0);
        assertThat(config.get("residual_scale").floatValue()).isEqualTo(0.22f);
        assertThat(config.get("expert_weights_scale").floatValue()).isEqualTo(0.22f);
        assertThat(config.get("attention_scale").asDouble()).isEqualTo(1.0 / 32);
        assertThat(config.get("logit_scale").asDouble()).isEqualTo(6.0);
        generatesFourTokens(model);
    }

    @Test
    void llama4IsMadeWithItsBlockPatternAndGeneratesWithItsExpertsOffloaded() throws Exception {
        Path model = dir.resolve("llama4.gguf");
        JsonNode config = madeAndInspected(model, "--arch", "llama4");
        assertThat(config.get("architecture").asText()).isEqualTo("llama4");
        assertThat(config.get("routed_blocks").toString()).as("every other block of 4").isEqualTo("[1,3]");
        assertThat(config.get("unrotated_blocks").toString()).isEqualTo("[3]");
        assertThat(config.get("expert_weights_on").asText()).isEqualTo("inputs");
        assertThat(config.get("experts_used").asInt()).as("one routed expert per token").isEqualTo(1);
        generatesFourTokens(model,
                "--expert-memory", "50%");
    }

    @Test
    void qwen3VlIsMadeAndInspectedWithItsRotarySectionsAndGenerates() throws Exception {
        Path model = dir.resolve("qwen3vl.gguf");
        JsonNode config = madeAndInspected(model, "--arch", "qwen3vlmoe", "--layers", "2");
        assertThat(config.get("architecture").asText()).isEqualTo("qwen3vlmoe");
        // heads of 32: 16 rotating pairs, 8 by time and 4 each by height and width
        assertThat(config.get("rope_sections").toString()).isEqualTo("[8,4,4,0]");
        assertThat(config.get("rope_pairs_still_for_text").toString()).isEqualTo("[13,14]");
        generatesFourTokens(model);
    }

    @Test
    void afmoeIsMadeAndInspectedWithItsWindowsAndGenerates() throws Exception {
        Path model = dir.resolve("afmoe.gguf");
        JsonNode config = madeAndInspected(model, "--arch", "afmoe", "--layers", "4");
        assertThat(config.get("architecture").asText()).isEqualTo("afmoe");
        assertThat(config.get("windowed_blocks").toString()).isEqualTo("[0,1,2]");
        assertThat(config.get("unrotated_blocks").toString()).isEqualTo("[3]");
        assertThat(config.get("embedding_scale").asDouble()).as("sqrt(256)").isEqualTo(16.0);
        assertThat(config.get("attention_output_gate").asBoolean()).isTrue();
        generatesFourTokens(model,
                "--expert-memory", "50%");
    }

    @Test
    void lfm2MoeIsMadeAndInspectedWithItsConvolutionBlocksAndGenerates() throws Exception {
        Path model = dir.resolve("lfm2moe.gguf");
        JsonNode config = madeAndInspected(model, "--arch", "lfm2moe", "--layers", "4");
        assertThat(config.get("architecture").asText()).isEqualTo("lfm2moe");
        assertThat(config.get("convolution_blocks").toString()).isEqualTo("[0,1,3]");
        assertThat(config.get("convolution_length").asInt()).isEqualTo(3);
        // one attention block of four holds keys and values (2 heads of 32) per position; three float rows of 256 go to the window pool
        assertThat(config.get("kv_bytes_per_position").get("f32").asLong()).isEqualTo(2L * 2 * 32 * 4);
        assertThat(config.get("windowed_kv_bytes_per_position").get("f32").asLong()).isEqualTo(3L * 256 * 4);
        generatesFourTokens(model,
                "--expert-memory", "50%");
    }

    @Test
    void qwen35MoeIsMadeAndInspectedWithItsDeltaNetAndGeneratesSpeculatively() throws Exception {
        Path model = dir.resolve("qwen35moe.gguf");
        JsonNode config = madeAndInspected(model, "--arch", "qwen35moe");
        assertThat(config.get("architecture").asText()).isEqualTo("qwen35moe");
        assertThat(config.get("convolution_blocks").toString()).isEqualTo("[0,1,2]");
        assertThat(config.get("delta_net_key_heads").asInt()).isEqualTo(2);
        assertThat(config.get("delta_net_value_heads").asInt()).isEqualTo(4);
        assertThat(config.get("delta_net_head_width").asInt()).isEqualTo(32);
        assertThat(config.get("delta_net_value_heads_read_keys").asText()).isEqualTo("tiled");
        // three blocks' states of four 32 x 32 heads, whatever a sequence's length
        assertThat(config.get("recurrent_state_bytes_per_sequence").asLong()).isEqualTo(3L * 4 * 32 * 32 * 4);
        // the one attention block's keys and values (2 heads of 32); three blocks' convolution inputs of 256
        assertThat(config.get("kv_bytes_per_position").get("f32").asLong()).isEqualTo(2L * 2 * 32 * 4);
        assertThat(config.get("windowed_kv_bytes_per_position").get("f32").asLong()).isEqualTo(3L * 256 * 4);
        generatesFourTokens(model,
                "--expert-memory", "50%");
        // speculation takes each sequence's state back where the sampler rejects a proposal
        generatesFourTokens(model, "--speculative-tokens", "3");
    }

    @Test
    void graniteHybridIsMadeAndInspectedWithItsMamba2BlocksAndGeneratesSpeculatively() throws Exception {
        Path model = dir.resolve("granitehybrid.gguf");
        JsonNode config = madeAndInspected(model, "--arch", "granitehybrid");
        assertThat(config.get("architecture").asText()).isEqualTo("granitehybrid");
        assertThat(config.get("convolution_blocks").toString()).isEqualTo("[0,1,3]");
        assertThat(config.get("unrotated_blocks").toString()).as("its attention block").isEqualTo("[2]");
        assertThat(config.get("mamba2_heads").asInt()).isEqualTo(16);
        assertThat(config.get("mamba2_head_width").asInt()).isEqualTo(32);
        assertThat(config.get("mamba2_state_size").asInt()).isEqualTo(64);
        assertThat(config.get("mamba2_groups").asInt()).isEqualTo(2);
        assertThat(config.get("embedding_scale").asDouble()).isEqualTo(12.0);
        // three blocks' states of sixteen 64 x 32 heads, whatever a sequence's length
        assertThat(config.get("recurrent_state_bytes_per_sequence").asLong()).isEqualTo(3L * 16 * 64 * 32 * 4);
        // the one attention block's keys and values (2 heads of 32); three blocks' x, B and C (512 + 2 x 2 x 64)
        assertThat(config.get("kv_bytes_per_position").get("f32").asLong()).isEqualTo(2L * 2 * 32 * 4);
        assertThat(config.get("windowed_kv_bytes_per_position").get("f32").asLong()).isEqualTo(3L * 768 * 4);
        generatesFourTokens(model,
                "--expert-memory", "50%");
        generatesFourTokens(model, "--speculative-tokens", "3");
    }

    @Test
    void nemotronHMoeIsMadeAndInspectedWithItsOnePartBlocksAndGenerates() throws Exception {
        Path model = dir.resolve("nemotron_h_moe.gguf");
        JsonNode config = madeAndInspected(model, "--arch", "nemotron_h_moe", "--layers", "6");
        assertThat(config.get("architecture").asText()).isEqualTo("nemotron_h_moe");
        // M E * E M E: Mamba2, routed experts, attention
        assertThat(config.get("convolution_blocks").toString()).isEqualTo("[0,4]");
        assertThat(config.get("feed_forward_blocks").toString()).isEqualTo("[1,3,5]");
        assertThat(config.get("unrotated_blocks").toString()).isEqualTo("[2]");
        assertThat(config.get("activation").asText()).isEqualTo("squared ReLU, no gate");
        assertThat(config.get("mamba2_groups").asInt()).isEqualTo(8);
        // two blocks' states of sixteen 64 x 32 heads
        assertThat(config.get("recurrent_state_bytes_per_sequence").asLong()).isEqualTo(2L * 16 * 64 * 32 * 4);
        // the one attention block's keys and values (2 heads of 32)
        assertThat(config.get("kv_bytes_per_position").get("f32").asLong()).isEqualTo(2L * 2 * 32 * 4);
        generatesFourTokens(model,
                "--expert-memory", "50%");
        generatesFourTokens(model, "--speculative-tokens", "3");
    }

    @Test
    void kimiLinearIsMadeAndInspectedWithItsDeltaAttentionAndGenerates() throws Exception {
        Path model = dir.resolve("kimi-linear.gguf");
        JsonNode config = madeAndInspected(model, "--arch", "kimi-linear", "--layers", "4");
        assertThat(config.get("architecture").asText()).isEqualTo("kimi-linear");
        // three delta-attention blocks, then latent attention without rotary positions
        assertThat(config.get("convolution_blocks").toString()).isEqualTo("[0,1,2]");
        assertThat(config.get("unrotated_blocks").toString()).isEqualTo("[3]");
        assertThat(config.get("delta_net_decay").asText()).isEqualTo("per key channel");
        assertThat(config.has("attention_output_gate")).isFalse();
        // three blocks' states of eight 64 x 64 heads
        assertThat(config.get("recurrent_state_bytes_per_sequence").asLong()).isEqualTo(3L * 8 * 64 * 64 * 4);
        // the one attention block's cached latent and rotary key (64 + 16)
        assertThat(config.get("kv_bytes_per_position").get("f32").asLong()).isEqualTo(80L * 4);
        generatesFourTokens(model, "--expert-memory", "50%");
        generatesFourTokens(model, "--speculative-tokens", "3");
    }

    @Test
    void mimo2IsMadeAndInspectedWithWindowedBlocksOfTheirOwnAndGenerates() throws Exception {
        Path model = dir.resolve("mimo2.gguf");
        JsonNode config = madeAndInspected(model, "--arch", "mimo2", "--layers", "4");
        assertThat(config.get("architecture").asText()).isEqualTo("mimo2");
        assertThat(config.get("windowed_blocks").toString()).isEqualTo("[1,2,3]");
        assertThat(config.get("kv_heads").asInt()).isEqualTo(2);
        assertThat(config.get("window_kv_heads").asInt()).isEqualTo(4);
        assertThat(config.get("window_rope_freq_base").asDouble()).isEqualTo(10000.0);
        assertThat(config.get("attention_value_scale").asDouble()).isEqualTo(0.707f);
        // the full block's 2 heads of keys (48) and values (32); the windowed blocks' 4 each, apart
        assertThat(config.get("kv_bytes_per_position").get("f32").asLong()).isEqualTo(2L * (48 + 32) * 4);
        assertThat(config.get("windowed_kv_bytes_per_position").get("f32").asLong()).isEqualTo(3L * 4 * (48 + 32) * 4);
        generatesFourTokens(model, "--expert-memory", "50%");
        generatesFourTokens(model, "--speculative-tokens", "3");
    }

    /** Makes {@code model} with the make-model arguments given, checks that inspect finds it runnable, and returns its config. */
    private static JsonNode madeAndInspected(Path model, String... makeArgs) throws Exception {
        List<String> command = new ArrayList<>(List.of("make-model"));
        command.addAll(List.of(makeArgs));
        command.addAll(List.of("-o", model.toString()));
        CliRun make = CliRun.of(command.toArray(String[]::new));
        assertThat(make.exitCode()).as(make.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(CliRun.of("inspect", "--json", model.toString()).out());
        assertThat(json.get("runnable").asBoolean()).isTrue();
        return json.get("config");
    }

    /** Generates four tokens greedily from {@code model}, with the extra generate arguments given. */
    private static void generatesFourTokens(Path model, String... extra) {
        List<String> command = new ArrayList<>(List.of("generate", "-m", model.toString(), "-p", "The yard", "-n", "4",
                "--temperature", "0"));
        command.addAll(List.of(extra));
        CliRun run = CliRun.of(command.toArray(String[]::new));
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err()).contains("4 generated");
    }

    @Test
    void badFlagIsOneLineAndExitCodeTwo() {
        CliRun run = CliRun.of("make-model", "--arch", "mixtral", "--bogus", "-o", dir.resolve("x.gguf").toString());
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err().strip().lines()).hasSize(1);
        assertThat(run.err()).contains("--bogus");
    }

    @Test
    void unknownArchitectureAndDtypeAreNamed() {
        CliRun arch = CliRun.of("make-model", "--arch", "gpt5", "-o", dir.resolve("x.gguf").toString());
        assertThat(arch.exitCode()).isEqualTo(1);
        assertThat(arch.err().strip()).contains("unknown architecture 'gpt5'").contains("mixtral").doesNotContain("\n");
        CliRun dtype = CliRun.of("make-model", "--arch", "mixtral", "--dtype", "tq1_0", "-o", dir.resolve("x.gguf").toString());
        assertThat(dtype.exitCode()).isEqualTo(1);
        assertThat(dtype.err()).contains("unsupported --dtype 'tq1_0'");
        assertThat(dir.resolve("x.gguf")).doesNotExist();
    }

    @Test
    void missingFileIsNamedWithoutStackTrace() {
        CliRun run = CliRun.of("inspect", dir.resolve("nope.gguf").toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("no such file").contains("nope.gguf").doesNotContain("\tat ");
        assertThat(run.err().strip().lines()).hasSize(1);
    }

    @Test
    void malformedFileIsOneLineNamingFieldAndOffset() throws Exception {
        Path bad = dir.resolve("bad.gguf");
        Files.write(bad, new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0, 1});
        CliRun run = CliRun.of("inspect", bad.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("malformed GGUF file").contains("tensor_count").contains("offset 8");
        assertThat(run.err().strip().lines()).hasSize(1);
    }

    @Test
    void verbosePrintsTheStackTrace() throws Exception {
        Path bad = dir.resolve("bad.gguf");
        Files.write(bad, new byte[] {'N', 'O', 'P', 'E', 3, 0, 0, 0});
        CliRun run = CliRun.of("inspect", "--verbose", bad.toString());
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("not a GGUF file").contains("\tat ");
    }

    @Test
    void vocabularyOnlyFileIsListedButNotRunnable() throws Exception {
        Path vocabOnly = dir.resolve("vocab.gguf");
        new dev.switchyard.engine.gguf.GgufWriter()
                .putString("general.architecture", "llama")
                .putArray("tokenizer.ggml.tokens", dev.switchyard.engine.gguf.GgufArray.ofStrings("a", "b"))
                .write(vocabOnly);
        CliRun run = CliRun.of("inspect", vocabOnly.toString());
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("runnable: no").contains("llama.embedding_length");
    }
}
