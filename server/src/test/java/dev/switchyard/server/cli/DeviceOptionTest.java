package dev.switchyard.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.switchyard.kernels.cuda.CudaProbe;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --device} on generate and bench: the CPU fallback of auto, and a clean refusal of an unavailable cuda. */
class DeviceOptionTest {

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() {
        model = dir.resolve("tiny.gguf");
        CliRun.mixtral(model, 1, 128);
    }

    @Test
    void explicitCudaWithoutAGpuFailsWithTheReasonAndNoStackTrace() {
        CudaProbe.Result probe = CudaProbe.probe();
        assumeFalse(probe.available(), "this machine has a usable GPU");
        for (String command : new String[] {"generate", "bench"}) {
            CliRun run = command.equals("generate")
                    ? CliRun.of("generate", "--model", model.toString(), "--prompt", "x", "--device", "cuda:0")
                    : CliRun.of("bench", "--model", model.toString(), "--device", "cuda");
            assertThat(run.exitCode()).as(command).isEqualTo(1);
            assertThat(run.err().strip().lines()).as(command)
                    .containsExactly("switchyard " + command + ": error: " + probe.describe());
        }
    }

    @Test
    void autoFallsBackToTheCpuWithOneLogLine() {
        CudaProbe.Result probe = CudaProbe.probe();
        assumeFalse(probe.available(), "this machine has a usable GPU");
        CliRun run = CliRun.of("generate", "--model", model.toString(), "--prompt", "x", "--max-tokens", "2",
                "--temperature", "0", "--threads", "1");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.err().lines().filter(l -> l.contains("CUDA"))).containsExactly(
                "switchyard: " + probe.describe() + "; using the CPU backend (1 threads)");
    }

    @Test
    void cpuIsSilentAndAnUnknownDeviceIsABadArgument() {
        CliRun cpu = CliRun.of("generate", "--model", model.toString(), "--prompt", "x", "--max-tokens", "2",
                "--temperature", "0", "--threads", "1", "--device", "cpu");
        assertThat(cpu.exitCode()).as(cpu.err()).isZero();
        assertThat(cpu.err()).doesNotContain("CUDA");
        CliRun bad = CliRun.of("generate", "--model", model.toString(), "--prompt", "x", "--device", "gpu");
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.err()).contains("--device must be auto, cpu, cuda or cuda:N, got 'gpu'");
    }
}
