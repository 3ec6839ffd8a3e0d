package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.DeviceUnavailableException;
import dev.switchyard.kernels.Devices;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPU fallback, proven without a GPU: a stub libcuda.so.1 built with gcc (whose cuInit fails,
 * or which reports no device) is put first on the library path of a child JVM, which then probes,
 * opens {@code --device auto} and tries {@code --device cuda}.
 */
class CudaFallbackTest {

    @TempDir
    Path dir;

    @Test
    void stubDriverWhoseInitFailsMakesAutoUseTheCpuAndCudaFailWithTheReason() throws Exception {
        String out = runWithStub(List.of());
        String reason = "CUDA unavailable: cuInit failed: CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)";
        assertThat(out).contains("probe: " + reason);
        assertThat(out).contains("switchyard: " + reason + "; using the CPU backend (1 threads)");
        assertThat(out).contains("auto: cpu");
        assertThat(out).contains("cuda: refused: " + reason);
    }

    @Test
    void stubDriverWithoutDevicesIsUnavailableToo() throws Exception {
        String out = runWithStub(List.of("-DSTUB_NO_DEVICES"));
        assertThat(out).contains("probe: CUDA unavailable: no CUDA device found");
        assertThat(out).contains("auto: cpu");
        assertThat(out).contains("cuda: refused: CUDA unavailable: no CUDA device found");
    }

    @Test
    void withoutADriverAutoLogsOneLineAndUsesTheCpu() {
        CudaProbe.Result probe = CudaProbe.probe();
        assumeFalse(probe.available(), "this machine has a usable GPU");
        StringWriter log = new StringWriter();
        try (Backend backend = Devices.open("auto", 2, new PrintWriter(log))) {
            assertThat(backend.name()).isEqualTo("cpu");
        }
        assertThat(log.toString().lines()).containsExactly(
                "switchyard: " + probe.describe() + "; using the CPU backend (2 threads)");
        assertThatThrownBy(() -> Devices.open("cuda:1", 2, new PrintWriter(log)))
                .isInstanceOf(DeviceUnavailableException.class)
                .hasMessage(probe.describe());
    }

    @Test
    void deviceNamesAreParsed() {
        assertThat(Devices.Choice.parse("auto")).isEqualTo(new Devices.Choice(Devices.Choice.Kind.AUTO, 0));
        assertThat(Devices.Choice.parse("CPU")).isEqualTo(new Devices.Choice(Devices.Choice.Kind.CPU, 0));
        assertThat(Devices.Choice.parse("cuda")).isEqualTo(new Devices.Choice(Devices.Choice.Kind.CUDA, 0));
        assertThat(Devices.Choice.parse("cuda:3")).isEqualTo(new Devices.Choice(Devices.Choice.Kind.CUDA, 3));
        for (String bad : new String[] {"gpu", "cuda:", "cuda:-1", "cuda:x", ""}) {
            assertThatThrownBy(() -> Devices.Choice.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("--device must be auto, cpu, cuda or cuda:N");
        }
        try (Backend cpu = Devices.open("cpu", 1, new PrintWriter(new StringWriter()))) {
            assertThat(cpu.name()).isEqualTo("cpu");
        }
    }

    /** Builds the stub with {@code defines}, runs DeviceChoiceMain against it, returns its output. */
    private String runWithStub(List<String> defines) throws Exception {
        assumeTrue(onPath("gcc"), "gcc is needed to build the stub driver");
        Path source = dir.resolve("libcuda-stub.c");
        try (InputStream in = CudaFallbackTest.class.getResourceAsStream("libcuda-stub.c")) {
            Files.write(source, in.readAllBytes());
        }
        Path lib = dir.resolve("libcuda.so.1");
        List<String> gcc = new ArrayList<>(List.of("gcc", "-shared", "-fPIC", "-Wl,-soname,libcuda.so.1"));
        gcc.addAll(defines);
        gcc.addAll(List.of("-o", lib.toString(), source.toString()));
        run(new ProcessBuilder(gcc), "gcc");

        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        ProcessBuilder pb = new ProcessBuilder(java.toString(), "--add-modules", "jdk.incubator.vector",
                "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                DeviceChoiceMain.class.getName());
        String old = System.getenv("LD_LIBRARY_PATH");
        pb.environment().put("LD_LIBRARY_PATH", dir + (old != null && !old.isEmpty() ? ":" + old : ""));
        return run(pb, "the child JVM");
    }

    private static String run(ProcessBuilder pb, String what) throws IOException, InterruptedException {
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(what + " finished").isTrue();
        assertThat(p.exitValue()).as(what + " output:\n" + out).isZero();
        return out;
    }

    private static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String d : path.split(":")) {
            if (Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }
}
