package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.SymbolLookup;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Builds a C++ harness of {@code kernels/src/test/cuda} (CUDA sources compiled for the host, with
 * the shims of {@code kernels/src/test/cuda/host}) into a shared library and opens it, for tests
 * that check kernel code where no GPU is. The test is skipped, with the reason, where no C++
 * compiler is on the PATH or the source tree is not above the working directory.
 */
final class HostHarness {

    private static final List<String> COMPILERS = List.of("g++", "c++", "clang++");

    private HostHarness() {
    }

    /**
     * Compiles {@code harness} (a path from the source root) with {@code -ffp-contract=off}, as nvcc
     * -fmad=false builds the fatbins, into {@code dir}, and returns its symbols.
     */
    static SymbolLookup build(String harness, Path dir, String... flags) throws IOException, InterruptedException {
        Optional<Path> root = Optional.empty();
        for (Path d = Path.of("").toAbsolutePath(); d != null && root.isEmpty(); d = d.getParent()) {
            if (Files.isRegularFile(d.resolve(harness))) {
                root = Optional.of(d);
            }
        }
        Optional<String> cxx = Optional.empty();
        String path = System.getenv("PATH");
        for (String c : COMPILERS) {
            for (String d : path == null ? new String[0] : path.split(":")) {
                if (cxx.isEmpty() && !d.isEmpty() && Files.isExecutable(Path.of(d, c))) {
                    cxx = Optional.of(c);
                }
            }
        }
        assumeTrue(cxx.isPresent(), "no C++ compiler (" + String.join(", ", COMPILERS) + ") on the PATH to build " + harness);
        assumeTrue(root.isPresent(), harness + " is not above " + Path.of("").toAbsolutePath());
        Path library = dir.resolve(Path.of(harness).getFileName().toString().replace(".cpp", ".so"));
        // common.cuh includes the IQ grids, which the build writes from the codecs' copy of them.
        Path generated = Files.createDirectories(dir.resolve("generated"));
        run(List.of("bash", root.get().resolve("kernels/iq-grids.sh").toString(),
                generated.resolve("iq_grids.inc").toString()), "writing the IQ grids for " + harness);
        List<String> command = new ArrayList<>(List.of(cxx.get(), "-O2", "-ffp-contract=off", "-shared", "-fPIC",
                "-I", root.get().resolve("kernels/src/test/cuda/host").toString(),
                "-I", root.get().resolve("kernels/src/main/cuda").toString(),
                "-I", generated.toString()));
        command.addAll(List.of(flags));
        command.addAll(List.of("-o", library.toString(), root.get().resolve(harness).toString()));
        run(command, "building " + harness);
        return SymbolLookup.libraryLookup(library, Arena.global());
    }

    private static void run(List<String> command, String what) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(180, TimeUnit.SECONDS) && p.exitValue() == 0)
                .as("%s:%n%s%n%s", what, String.join(" ", command), out).isTrue();
    }
}
