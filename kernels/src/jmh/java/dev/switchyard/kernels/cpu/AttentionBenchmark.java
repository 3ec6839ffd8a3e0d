package dev.switchyard.kernels.cpu;

/*
 * Attention on the CPU backend over a float, a half and a Q8_0 KV cache: one step of `sequences` x `chunk`
 * tokens, each sequence's at the last `chunk` positions of its `context` (a decode step with chunk
 * 1, a prompt's last chunk with more), Mixtral's heads (32 query heads over 8
 * KV heads of 128). Each sequence's blocks are scattered over the pool, as a busy server leaves
 * them.
 *
 * Build and run, from the repository root:
 *
 *   JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64 mvn -q -B -o -pl kernels -Pjmh package -DskipTests
 *   /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -jar kernels/target/benchmarks.jar AttentionBenchmark \
 *       -f 1 -wi 3 -i 5 -w 1s -r 1s
 *
 * The score is microseconds per layer's attention; the step reads sequences x context x 2048
 * elements of keys and values (4 bytes each in F32, 2 in F16, 1 and a 2-byte scale per 32 in Q8_0).
 */

import dev.switchyard.kernels.AttentionBatch;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvStorage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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
public class AttentionBenchmark {

    private static final int HEADS = 32;
    private static final int KV_HEADS = 8;
    private static final int HEAD_DIM = 128;
    private static final int BLOCK = 16;

    @Param({"F32", "F16", "Q8_0"})
    public String cache;

    @Param({"1", "8"})
    public int sequences;

    @Param({"512", "4096"})
    public int context;

    /** Tokens of each sequence in the step, at its last positions: 1 decodes, more read a prompt's chunk. */
    @Param("1")
    public int chunk;

    @Param("2")
    public int threads;

    private CpuBackend backend;
    private KvStorage kv;
    private FloatMatrix q;
    private FloatMatrix out;
    private AttentionBatch batch;

    @Setup(Level.Trial)
    public void setUp() {
        backend = new CpuBackend(threads);
        int blocksPerSequence = context / BLOCK;
        int blocks = sequences * blocksPerSequence;
        int dim = KV_HEADS * HEAD_DIM;
        kv = backend.allocateKv(1, blocks, BLOCK, KV_HEADS, dim, dim, KvCacheType.valueOf(cache));
        List<Integer> pool = new ArrayList<>();
        for (int b = 0; b < blocks; b++) {
            pool.add(b);
        }
        Collections.shuffle(pool, new Random(1));
        int[][] tables = new int[sequences][blocksPerSequence];
        for (int s = 0; s < sequences; s++) {
            for (int b = 0; b < blocksPerSequence; b++) {
                tables[s][b] = pool.get(s * blocksPerSequence + b);
            }
        }
        // fill every slot with random keys and values, a block at a time
        Random random = new Random(2);
        FloatMatrix k = backend.allocate(BLOCK, dim);
        FloatMatrix v = backend.allocate(BLOCK, dim);
        float[] row = new float[dim];
        int[] slots = new int[BLOCK];
        for (int b = 0; b < blocks; b++) {
            for (int r = 0; r < BLOCK; r++) {
                for (int i = 0; i < dim; i++) {
                    row[i] = (float) random.nextGaussian();
                }
                k.writeRow(r, row);
                v.writeRow(r, row);
                slots[r] = b * BLOCK + r;
            }
            backend.storeKv(kv, 0, k, v, slots, BLOCK);
        }
        int tokens = sequences * chunk;
        q = backend.allocate(tokens, HEADS * HEAD_DIM);
        float[] qRow = new float[HEADS * HEAD_DIM];
        for (int s = 0; s < tokens; s++) {
            for (int i = 0; i < qRow.length; i++) {
                qRow[i] = (float) random.nextGaussian();
            }
            q.writeRow(s, qRow);
        }
        out = backend.allocate(tokens, HEADS * HEAD_DIM);
        int[] sequenceOf = new int[tokens];
        int[] positionOf = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            sequenceOf[t] = t / chunk;
            positionOf[t] = context - chunk + t % chunk;
        }
        batch = new AttentionBatch(tokens, sequenceOf, positionOf, tables, HEADS, KV_HEADS, HEAD_DIM, HEAD_DIM,
                (float) (1 / Math.sqrt(HEAD_DIM)));
    }

    @Benchmark
    public FloatMatrix decodeStep() {
        backend.attention(q, kv, 0, batch, out);
        return out;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        kv.close();
        backend.close();
    }
}
