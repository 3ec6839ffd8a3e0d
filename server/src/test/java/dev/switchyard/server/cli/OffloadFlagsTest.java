package dev.switchyard.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.forward.ExpertOffload;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The offloading flags: the link's default follows the device, and the tier is reported. */
class OffloadFlagsTest {

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() {
        model = dir.resolve("tiny.gguf");
        CliRun.mixtral(model, 2, 512);
    }

    private static ExpertOffload parse(String... args) {
        OffloadOptions options = new OffloadOptions();
        new CommandLine(options).parseArgs(args);
        return options.toOffload();
    }

    @Test
    void theLinkDefaultsToTheDevicesOwnAndAnExplicitRateIsKept() {
        ExpertOffload auto = parse("--expert-memory", "50%");
        assertThat(auto.linkBytesPerSecond()).isEqualTo(ExpertOffload.DEVICE_LINK);
        assertThat(auto.pacedBytesPerSecond(false)).as("the CPU models a 25 GB/s link").isEqualTo(25e9);
        assertThat(auto.pacedBytesPerSecond(true)).as("a GPU's real link goes unpaced").isZero();
        ExpertOffload explicit = parse("--expert-memory", "50%", "--link-bandwidth", "12GB/s");
        assertThat(explicit.pacedBytesPerSecond(false)).isEqualTo(12e9);
        assertThat(explicit.pacedBytesPerSecond(true)).isEqualTo(12e9);
        assertThat(parse("--expert-memory", "50%", "--link-bandwidth", "unlimited").pacedBytesPerSecond(false)).isZero();
        assertThat(parse()).as("no --expert-memory, no offloading").isNull();
    }

    @Test
    void hybridExecutionWithoutOffloadingIsRefused() {
        for (String command : new String[] {"generate", "bench"}) {
            CliRun run = command.equals("generate")
                    ? CliRun.of("generate", "--model", model.toString(), "--prompt", "The yard", "--max-tokens", "2",
                            "--threads", "1", "--device", "cpu", "--hybrid", "on")
                    : CliRun.of("bench", "--model", model.toString(), "--prompt-tokens", "4", "--gen-tokens", "2",
                            "--batch", "1", "--repeat", "1", "--threads", "1", "--device", "cpu", "--hybrid", "on");
            assertThat(run.exitCode()).as(command).isEqualTo(CliErrors.BAD_INPUT);
            assertThat(run.err()).as(command).isEqualTo("switchyard " + command + ": error: --hybrid on computes missing "
                    + "experts on the host instead of copying them, so it needs offloading: add --expert-memory below "
                    + "100% (e.g. --expert-memory 25%)" + System.lineSeparator());
        }
        CliRun bad = CliRun.of("generate", "--model", model.toString(), "--prompt", "x", "--expert-memory", "25%",
                "--hybrid", "maybe");
        assertThat(bad.exitCode()).isEqualTo(CliErrors.USAGE);
        assertThat(bad.err()).contains("--hybrid");
    }

    @Test
    void generateAndBenchComputeMissesOnTheHostWithHybridOn() throws Exception {
        // a 10 KB/s link (40 s a copy): every miss is cheaper on the host, and nothing is ever copied
        CliRun generate = CliRun.of("generate", "--model", model.toString(), "--prompt", "The yard", "--max-tokens", "4",
                "--temperature", "0", "--threads", "1", "--device", "cpu", "--expert-memory", "25%",
                "--link-bandwidth", "10KB/s", "--hybrid", "on");
        assertThat(generate.exitCode()).as(generate.err()).isZero();
        assertThat(generate.err()).containsPattern("hybrid: [1-9][0-9]* misses computed on the host, 0 copied")
                .contains("0.0 MiB moved");
        CliRun plain = CliRun.of("generate", "--model", model.toString(), "--prompt", "The yard", "--max-tokens", "4",
                "--temperature", "0", "--threads", "1", "--device", "cpu", "--expert-memory", "25%", "--hybrid", "off");
        assertThat(plain.exitCode()).as(plain.err()).isZero();
        assertThat(plain.out()).as("the same text either way").isEqualTo(generate.out());
        assertThat(plain.err()).doesNotContain("hybrid");

        CliRun bench = CliRun.of("bench", "--model", model.toString(), "--prompt-tokens", "8", "--gen-tokens", "3",
                "--batch", "1", "--repeat", "1", "--threads", "1", "--device", "cpu", "--json", "--expert-memory", "25%",
                "--link-bandwidth", "10KB/s", "--hybrid", "on");
        assertThat(bench.exitCode()).as(bench.err()).isZero();
        JsonNode decode = new ObjectMapper().readTree(bench.out()).get("offload_per_decode_token").get("1");
        assertThat(decode.get("host_experts_per_token").asDouble()).as(decode.toString()).isPositive();
        assertThat(decode.get("copied_experts_per_token").asDouble()).as(decode.toString()).isZero();
        assertThat(decode.get("mib_moved_per_token").asDouble()).as(decode.toString()).isZero();
    }

    @Test
    void generateAndBenchReportTheExpertTier() throws Exception {
        CliRun generate = CliRun.of("generate", "--model", model.toString(), "--prompt", "The yard", "--max-tokens", "4",
                "--temperature", "0", "--threads", "1", "--device", "cpu", "--expert-memory", "25%", "--predictor", "gate");
        assertThat(generate.exitCode()).as(generate.err()).isZero();
        assertThat(generate.err()).contains("experts: 4 slots").contains("expert tier: 4 slots of")
                .contains("host memory");

        CliRun bench = CliRun.of("bench", "--model", model.toString(), "--prompt-tokens", "8", "--gen-tokens", "3",
                "--batch", "1", "--repeat", "1", "--threads", "1", "--device", "cpu", "--json", "--expert-memory", "50%");
        assertThat(bench.exitCode()).as(bench.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(bench.out());
        assertThat(json.get("expert_slots").asInt()).isEqualTo(8);
        assertThat(json.get("expert_tier").asText()).contains("8 slots of");
        JsonNode decode = json.get("offload_per_decode_token").get("1");
        // the achieved link rate where decode copied anything, else null (never NaN, which JSON lacks)
        if (decode.get("mib_moved_per_token").asDouble() > 0) {
            assertThat(decode.get("link_gb_s").isNumber()).as(decode.toString()).isTrue();
            assertThat(decode.get("stall_link_bound_ms_per_token").isNumber()).as(decode.toString()).isTrue();
        } else {
            assertThat(decode.get("link_gb_s").isNull()).as(decode.toString()).isTrue();
            assertThat(decode.get("stall_link_bound_ms_per_token").isNull()).as(decode.toString()).isTrue();
        }
        // the stall against that bound, where decode missed (ResidencyCountersTest checks the figure)
        assertThat(decode.get("stall_over_link_bound").isNumber()).as(decode.toString())
                .isEqualTo(decode.get("demand_misses_per_token").asDouble() > 0);
    }
}
