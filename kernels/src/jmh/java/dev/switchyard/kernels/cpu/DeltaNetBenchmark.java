package dev.switchyard.kernels.cpu;

/*
 * The gated delta rule on the CPU backend, one layer of Qwen3.6-35B-A3B's shape (16 key heads, 32
 * value heads, each 128 wide; `gates` head) or of Kimi-Linear-48B-A3B's (32 key and value heads of
 * 128, a decay per key channel; `gates` channel): one step of `sequences` x `chunk` tokens, each
 * sequence going on from position 100 on its own state (a decode step with chunk 1, a prompt's
 * chunk with more).
 *
 * Build and run, from the repository root:
 *
 *   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 mvn -q -B -o -pl kernels -Pjmh package -DskipTests
 *   /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -jar kernels/target/benchmarks.jar DeltaNetBenchmark \
 *       -f 1 -wi 3 -i 5 -w 1s -r 1s
 *
 * The score is microseconds per layer. Each token reads its sequence's state of the layer (32 x 128
 * x 128 floats, 2 MiB) twice and writes it once; a sequence's tokens of one step find it in cache
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
public class DeltaNetBenchmark {

    private static final int KEY_HEADS = 16;
    private static final int HEADS = 32;
    private static final int WIDTH = 128;

    @Param({"1", "8"})
    public int sequences;

    @Param({"1", "64"})
    public int chunk;

    @Param("2")
    public int threads;

    @Param({"head", "channel"})
    public String gates;

    private int keyHeads;
    private CpuBackend backend;
    private RecurrentStates states;
    private FloatMatrix qkv;
    private FloatMatrix beta;
    private FloatMatrix alpha;
    private FloatMatrix out;
    private float[] dtBias;
    private float[] decay;
    private RecurrentStep step;

    @Setup(Level.Trial)
    public void setUp() {
        backend = new CpuBackend(threads);
        states = backend.allocateStates(1, sequences, HEADS, WIDTH, WIDTH);
        step = new RecurrentStep(sequences, chunk);
        boolean perChannel = gates.equals("channel");
        keyHeads = perChannel ? HEADS : KEY_HEADS;
        int width = 2 * keyHeads * WIDTH + HEADS * WIDTH;
        int gateCount = perChannel ? HEADS * WIDTH : HEADS;
        Random random = new Random(3);
        qkv = RecurrentStep.filled(backend, step.tokens, width, random, 1f);
        beta = RecurrentStep.filled(backend, step.tokens, HEADS, random, 1f);
        alpha = RecurrentStep.filled(backend, step.tokens, gateCount, random, 1f);
        out = backend.allocate(step.tokens, HEADS * WIDTH);
        dtBias = new float[gateCount];
        decay = new float[HEADS];
        for (int h = 0; h < HEADS; h++) {
            decay[h] = -0.1f - 0.05f * random.nextFloat();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        states.close();
        backend.close();
    }

    @Benchmark
    public FloatMatrix deltaNet() {
        backend.gatedDeltaNet(states, 0, step.sequenceOf, step.positionOf, qkv, beta, alpha, dtBias, decay, keyHeads,
                !gates.equals("channel"), 1e-6f, out, step.tokens);
        return out;
    }
}
