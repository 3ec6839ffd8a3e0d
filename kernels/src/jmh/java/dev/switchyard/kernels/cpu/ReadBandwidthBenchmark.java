package dev.switchyard.kernels.cpu;

/*
 * The machine's memory read bandwidth, to put MatmulBenchmark's GB/s in context: a vector sum over
 * a 1 GiB off-heap array, split over the threads of the backend's worker pool.
 *
 *   java -jar kernels/target/benchmarks.jar ReadBandwidthBenchmark -f 1 -wi 2 -i 3 -w 1s -r 1s
 *
 * GB/s = 1.074 GB / (milliseconds per op / 1000).
 */

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
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
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx1g"})
public class ReadBandwidthBenchmark {

    private static final long BYTES = 1L << 30;
    private static final int CHUNKS = 256;

    @Param({"1", "2"})
    public int threads;

    private Arena arena;
    private MemorySegment data;
    private WorkerPool pool;
    private final float[] sums = new float[CHUNKS];

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        data = arena.allocate(BYTES, 64);
        for (long i = 0; i < BYTES; i += 4096) {
            data.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) 1);
        }
        pool = new WorkerPool(threads, "bandwidth");
    }

    @Benchmark
    public float sum() {
        pool.run((worker, chunk) -> {
            long from = chunk * (BYTES / CHUNKS);
            long to = from + BYTES / CHUNKS;
            FloatVector a = FloatVector.zero(Vec.F);
            FloatVector b = a;
            long step = Vec.F.vectorByteSize();
            for (long o = from; o < to; o += 2 * step) {
                a = a.add(FloatVector.fromMemorySegment(Vec.F, data, o, ByteOrder.LITTLE_ENDIAN));
                b = b.add(FloatVector.fromMemorySegment(Vec.F, data, o + step, ByteOrder.LITTLE_ENDIAN));
            }
            sums[chunk] = Vec.hsum(a.add(b));
        }, CHUNKS);
        float s = 0;
        for (float v : sums) {
            s += v;
        }
        return s;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
        arena.close();
    }
}
