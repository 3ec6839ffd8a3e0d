package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The kernels at every vector width they support: each width runs {@link VectorWidthCheck} in a
 * child JVM whose {@code -XX:MaxVectorSize} makes the preferred species 128, 256 or (where the
 * hardware has it) 512 bits. A width wider than this machine's vectors is skipped.
 */
class VectorWidthTest {

    @ParameterizedTest
    @ValueSource(ints = {128, 256, 512})
    void kernelsHoldTheirInvariantsAtThisWidth(int bits) throws IOException, InterruptedException {
        int hardwareBits = jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize();
        org.junit.jupiter.api.Assumptions.assumeTrue(bits <= hardwareBits, "this machine's vectors are " + hardwareBits + " bits");
        if (bits == Vec.F.vectorBitSize()) {
            VectorWidthCheck.check(bits);
            return;
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = List.of(java, "--add-modules", "jdk.incubator.vector", "-XX:MaxVectorSize=" + bits / 8,
                "-XX:+UseSerialGC", "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                VectorWidthCheck.class.getName(), Integer.toString(bits));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        boolean finished = p.waitFor(120, TimeUnit.SECONDS);
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!finished) {
            p.destroyForcibly();
        }
        assertThat(finished).as("child JVM finished").isTrue();
        assertThat(output).as("child JVM output").contains("OK " + bits + "-bit");
        assertThat(p.exitValue()).isZero();
    }
}
