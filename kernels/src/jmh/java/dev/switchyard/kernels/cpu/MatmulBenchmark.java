package dev.switchyard.kernels.cpu;

/*
 * Matmul throughput of the CPU backend on an expert-sized weight, per format and batch size.
 *
 * Build and run, from the repository root (each parameter combination runs in a fresh JVM):
 *
 *   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 mvn -q -B -o -pl kernels -Pjmh package -DskipTests
 *   /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -jar kernels/target/benchmarks.jar MatmulBenchmark \
 *       -f 1 -wi 2 -i 3 -w 1s -r 1s
 *
 * The score is microseconds per matmul; the weights stream at gbPerS = weightBytes / time, where
 * weightBytes (per matrix) is, for 2816 x 1024 or 1024 x 2816: F32 11.53 MB, Q8_0 3.06 MB,
 * Q4_0 1.62 MB, Q5_0 1.98 MB, Q5_1 2.16 MB, Q2_K 0.95 MB, Q3_K 1.24 MB, Q4_K 1.62 MB, Q5_K 1.98 MB,
 * Q6_K 2.37 MB, MXFP4 1.53 MB. Each call uses the next matrix of a stack of
 * stackMiB (default 256 MiB, far beyond the caches), so T=1 reads weights from memory as a
 * decoding engine does. ReadBandwidthBenchmark gives the machine's read bandwidth for context.
 * A few seconds of calls in the trial setup let the JIT finish compiling the kernels first.
 */

import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.TensorCodecs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
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
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g", "-XX:+UseParallelGC"})
public class MatmulBenchmark {

    @Param({"F32", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS", "MXFP4", "IQ2_XXS",
        "IQ2_XS", "IQ2_S", "IQ3_XXS", "IQ3_S", "IQ1_S", "IQ1_M"})
    public String type;

    @Param({"1", "16"})
    public int tokens;

    /** Output rows x input columns: the bench model's expert up/gate and down projections. */
    @Param({"2816x1024", "1024x2816"})
    public String shape;

    @Param("2")
    public int threads;

    @Param("256")
    public int stackMiB;

    /** Seconds of untimed calls before the first iteration, for the JIT. */
    @Param("3")
    public int jitSeconds;

    private Arena arena;
    private CpuBackend backend;
    private Weight weight;
    private FloatMatrix x;
    private FloatMatrix out;
    private int count;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        GgmlType t = GgmlType.fromName(type);
        String[] rc = shape.split("x");
        int rows = Integer.parseInt(rc[0]);
        int cols = Integer.parseInt(rc[1]);
        long matrixBytes = t.byteSize((long) rows * cols);
        count = (int) Math.max(2, ((long) stackMiB << 20) / matrixBytes);
        arena = Arena.ofShared();
        MemorySegment data = arena.allocate(matrixBytes * count, 64);
        Random random = new Random(42);
        float[] values = new float[rows * cols];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * 0.02f;
        }
        TensorCodecs.forType(t).quantize(values, 0, data, 0, values.length);
        for (int m = 1; m < count; m++) {
            MemorySegment.copy(data, 0, data, m * matrixBytes, matrixBytes);
        }
        backend = new CpuBackend(threads);
        weight = backend.weight(t, data.asReadOnly(), new long[] {cols, rows, count});
        x = backend.allocate(tokens, cols);
        out = backend.allocate(tokens, rows);
        float[] row = new float[cols];
        for (int r = 0; r < tokens; r++) {
            for (int i = 0; i < cols; i++) {
                row[i] = (float) random.nextGaussian();
            }
            x.writeRow(r, row);
        }
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(jitSeconds);
        while (System.nanoTime() < end) {
            matmul();
        }
    }

    @Benchmark
    public void matmul() {
        backend.matmul(weight, next, x, out, tokens);
        next = next + 1 == count ? 0 : next + 1;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        backend.close();
        arena.close();
    }
}
