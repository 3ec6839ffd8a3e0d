package dev.switchyard.kernels.cpu;

/*
 * Mamba2's selective scan on the CPU backend, one layer of Granite-4.0-H-Tiny's shape (48 heads of
 * 64 channels, states of 128, one group): one step of `sequences` x `chunk` tokens, each sequence
 * going on from position 100 on its own state (a decode step with chunk 1, a prompt's chunk with more).
 *
 * Build and run, from the repository root:
 *
 *   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 mvn -q -B -o -pl kernels -Pjmh package -DskipTests
 *   /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -jar kernels/target/benchmarks.jar SelectiveScanBenchmark \
 *       -f 1 -wi 3 -i 5 -w 1s -r 1s
 *
 * The score is microseconds per layer. Each token reads its sequence's state of the layer (48 x 128
 * x 64 floats, 1.5 MiB) once and writes it once; a sequence's tokens of one step find it in cache
 * after the first.
 */

import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.RecurrentStates;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx3g", "-XX:+UseParallelGC"})
public class SelectiveScanBenchmark {

    private static final int HEADS = 48;
    private static final int CHANNELS = 64;
    private static final int STATE = 128;
    private static final int GROUPS = 1;

    @Param({"1", "8"})
    public int sequences;

    @Param({"1", "64"})
    public int chunk;

    @Param("2")
    public int threads;

    private CpuBackend backend;
    private RecurrentStates states;
    private RecurrentStep step;
    private FloatMatrix xbc;
    private FloatMatrix dt;
    private FloatMatrix out;
    private float[] dtBias;
    private float[] decay;
    private float[] skip;

    @Setup(Level.Trial)
    public void setUp() {
        backend = new CpuBackend(threads);
        states = backend.allocateStates(1, sequences, HEADS, STATE, CHANNELS);
        step = new RecurrentStep(sequences, chunk);
        Random random = new Random(5);
        xbc = RecurrentStep.filled(backend, step.tokens, HEADS * CHANNELS + 2 * GROUPS * STATE, random, 1f);
        dt = RecurrentStep.filled(backend, step.tokens, HEADS, random, 1f);
        out = backend.allocate(step.tokens, HEADS * CHANNELS);
        dtBias = new float[HEADS];
        decay = new float[HEADS];
        skip = new float[HEADS];
        for (int h = 0; h < HEADS; h++) {
            decay[h] = -0.1f - 0.05f * random.nextFloat();
            skip[h] = 1f;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        states.close();
        backend.close();
    }

    @Benchmark
    public FloatMatrix selectiveScan() {
        backend.selectiveScan(states, 0, step.sequenceOf, step.positionOf, xbc, dt, dtBias, decay, skip, GROUPS, out,
                step.tokens);
        return out;
    }
}
