package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
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
        int hardwareBits = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        Assumptions.assumeTrue(bits <= hardwareBits, "this machine's vectors are " + hardwareBits + " bits");
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = List.of(java, "--add-modules", "jdk.incubator.vector", "-XX:MaxVectorSize=" + bits / 8,
                "-Xbatch", "-XX:+UseSerialGC", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                KernelAllocationCheck.class.getName());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        // its output is a line or two, well within the pipe's buffer, so it can be read after the wait
        boolean finished = p.waitFor(300, TimeUnit.SECONDS);
        if (!finished) {
            p.destroyForcibly();
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(finished).as("child JVM finished").isTrue();
        assertThat(output).as("child JVM output").contains("OK " + bits + "-bit");
        assertThat(p.exitValue()).isZero();
    }
}
