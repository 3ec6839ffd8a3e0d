package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The row kernels and the matmul that calls them allocate nothing once compiled, at every vector
 * width this machine can run: 128 bits (as on ARM's NEON), 256 (AVX2) and 512 (AVX-512). Each width
 * runs {@link KernelAllocationCheck} in a child JVM narrowed by {@code -XX:MaxVectorSize}, compiling
 * in the foreground ({@code -Xbatch}) so that the measured calls run the JIT's final code.
 */
class KernelAllocationTest {

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void compiledKernelsAllocateNothingAtThisWidth(int bits) throws IOException, InterruptedException {
        String output = runCheck(bits);
        assertThat(output).as("child JVM output").contains("OK " + bits + "-bit");
    }

    /** The backend's other ops (norms, RoPE, the KV cache and attention, activations, row moves) likewise. */
    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void compiledOpsAllocateNothingAtThisWidth(int bits) throws IOException, InterruptedException {
        String output = runCheck(bits, "ops");
        assertThat(output).as("child JVM output").contains("OK " + bits + "-bit");
    }

    /**
     * A JVM started without the launcher's CompileCommand flags, as an application that embeds the
     * engine starts it: the first CPU backend adds {@link KernelInlining}'s directive, and the matmul
     * over Q4_K and Q6_K in turn (a Q4_K_M file's layers) allocates nothing, where without it the
     * loops that meet both formats inline both kernels and box their vectors.
     */
    @ParameterizedTest
    @ValueSource(ints = {256, 512})
    void theBackendsOwnDirectiveKeepsMixedFormatsFromAllocating(int bits) throws IOException, InterruptedException {
        String output = runCheck(bits, "mixed");
        assertThat(output).as("child JVM output").contains("OK " + bits + "-bit").contains("directive added");
    }

    /** With the launcher's flags, the backend adds nothing: the flags already say it, from the JVM's start. */
    @Test
    void theLaunchersFlagsStandInPlaceOfTheDirective() throws IOException, InterruptedException {
        int bits = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        String output = runCheck(bits, List.of("-XX:CompileCommand=quiet",
                "-XX:CompileCommand=dontinline,dev.switchyard.kernels.cpu.*::dot*",
                "-XX:CompileCommand=dontinline,dev.switchyard.kernels.cpu.*::decodeChunks"), "mixed");
        assertThat(output).as("child JVM output").contains("OK " + bits + "-bit")
                .contains("directive given by the command line");
    }

    private static String runCheck(int bits, String... args) throws IOException, InterruptedException {
        return runCheck(bits, List.of(), args);
    }

    /**
     * KernelAllocationCheck's output in a child JVM whose vectors are {@code bits} wide, started with
     * {@code flags}; checks it exits 0.
     */
    private static String runCheck(int bits, List<String> flags, String... args) throws IOException, InterruptedException {
        int hardwareBits = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        Assumptions.assumeTrue(bits <= hardwareBits, "this machine's vectors are " + hardwareBits + " bits");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector",
                "-XX:MaxVectorSize=" + bits / 8, "-Xbatch", "-XX:+UseSerialGC", "-Xmx256m"));
        command.addAll(flags);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), KernelAllocationCheck.class.getName()));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        // its output is a line or two, well within the pipe's buffer, so it can be read after the wait
        boolean finished = p.waitFor(300, TimeUnit.SECONDS);
        if (!finished) {
            p.destroyForcibly();
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(finished).as("child JVM finished").isTrue();
        assertThat(p.exitValue()).as("child JVM exit, output: %s", output).isZero();
        return output;
    }
}
