package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.AttentionBatch;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvQ8;
import dev.switchyard.kernels.KvStorage;
import dev.switchyard.kernels.cpu.CpuBackend;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Decode attention over the paged KV cache ({@code attention.cu}) run on the host, threads as
 * threads: the paged kernel and split-K with several split counts (each split's online softmax
 * merged by attention_combine, splits past a short context left empty) against attention computed
 * here in double, over two sequences whose blocks lie shuffled in the cache, with grouped-query
 * heads; and latent attention's widest heads (576-wide keys, 512-wide values, one KV head under
 * eight query heads, a scale of its own) against the CPU backend. Each also under gpt-oss's layer
 * settings: a sliding window (starting mid-block; split-K splitting only the window) and a sink per
 * query head (joining in attention_combine, once); and a prefill, every position a token, under
 * both. Within 1e-5 of the output's RMS. And store_kv, each token's key and value rows copied to
 * its cache slot bit for bit, every other slot untouched. Skipped, with the reason, where no C++
 * compiler is at hand.
 */
@SuppressWarnings("restricted")
class AttentionOnHostTest {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;

    @TempDir
    static Path dir;

    private static MethodHandle attention;
    private static MethodHandle attentionF16;
    private static MethodHandle storeKv;
    private static MethodHandle storeKvF16;
    private static MethodHandle attentionQ8;
    private static MethodHandle storeKvQ8;

    @BeforeAll
    static void build() throws IOException, InterruptedException {
        SymbolLookup lookup = HostHarness.build("kernels/src/test/cuda/attention_host.cpp", dir, "-std=c++20", "-pthread");
        FunctionDescriptor attend = FunctionDescriptor.ofVoid(
                ValueLayout.ADDRESS, INT, ValueLayout.ADDRESS, INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, INT, INT, INT,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, INT, INT, INT, INT, FLOAT, INT,
                ValueLayout.ADDRESS, INT, INT, ValueLayout.ADDRESS);
        attention = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("attention_host"), attend);
        attentionF16 = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("attention_host_f16"), attend);
        FunctionDescriptor store = FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.ADDRESS,
                ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.ADDRESS, INT, INT, INT);
        storeKv = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("store_kv_host"), store);
        storeKvF16 = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("store_kv_host_f16"), store);
        ValueLayout a = ValueLayout.ADDRESS;
        attentionQ8 = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("attention_host_q8"),
                FunctionDescriptor.ofVoid(a, INT, a, INT, a, a, a, a, INT, INT, INT, INT, INT, INT, a, a, a, INT, INT,
                        INT, INT, FLOAT, INT, a, INT, INT, a));
        storeKvQ8 = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("store_kv_host_q8"),
                FunctionDescriptor.ofVoid(a, a, a, a, a, a, a, INT, INT, INT, INT));
    }

    @Test
    void storeKvWritesEachTokensRowsToItsSlotAndNothingElse() throws Throwable {
        int keyDim = 200;     // wider than the block's 128 threads
        int valueDim = 72;
        int cacheSlots = 40;
        int[] slots = {17, 3, 39, 0, 18};
        int tokens = slots.length;
        float[] k = GpuTests.gaussian(7, tokens * keyDim, 1f);
        float[] v = GpuTests.gaussian(8, tokens * valueDim, 1f);
        float[] keys = GpuTests.gaussian(9, cacheSlots * keyDim, 1f);
        float[] values = GpuTests.gaussian(10, cacheSlots * valueDim, 1f);
        float[] expectedKeys = keys.clone();
        float[] expectedValues = values.clone();
        for (int t = 0; t < tokens; t++) {
            System.arraycopy(k, t * keyDim, expectedKeys, slots[t] * keyDim, keyDim);
            System.arraycopy(v, t * valueDim, expectedValues, slots[t] * valueDim, valueDim);
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment kd = a.allocateFrom(FLOAT, keys);
            MemorySegment vd = a.allocateFrom(FLOAT, values);
            storeKv.invokeExact(a.allocateFrom(FLOAT, k), a.allocateFrom(FLOAT, v), a.allocateFrom(INT, slots), kd, vd,
                    keyDim, valueDim, tokens);
            assertThat(kd.toArray(FLOAT)).containsExactly(expectedKeys);
            assertThat(vd.toArray(FLOAT)).containsExactly(expectedValues);
        }
    }

    /**
     * Windows: none; 128 (gpt-oss's, starting 9 positions into a block); 16, one block's worth
     * straddling two; 1, where 31 of 32 splits are empty; 700, wider than either context. Chunks
     * (negative windows): of 128 (positions 200 and 600 see 128.. and 512..) and 16. Sinks drawn
     * per query head, or none.
     */
    @ParameterizedTest(name = "window {0}, sinks {1}")
    @CsvSource({"0, false", "128, false", "0, true", "128, true", "16, true", "1, true", "700, true",
        "-128, false", "-16, true"})
    void pagedAndSplitKMatchAttentionInDouble(int window, boolean withSinks) throws Throwable {
        int heads = 4;
        int kvHeads = 2;
        int group = heads / kvHeads;
        int hk = 64;
        int hv = 48;
        int bs = 16;
        int[] lengths = {201, 601};          // positions 0..200 and 0..600
        ScatteredBlocks scattered = ScatteredBlocks.of(bs, lengths, 5);
        int blocks = scattered.blocks();
        int[] tables = scattered.tables();   // seq 0 first, then seq 1
        int[] tableStartOfSeq = scattered.tableStartOfSeq();
        int keyDim = kvHeads * hk;
        int valueDim = kvHeads * hv;
        float[] keys = GpuTests.gaussian(1, blocks * bs * keyDim, 2f);
        float[] values = GpuTests.gaussian(2, blocks * bs * valueDim, 1f);
        float scale = (float) (1 / Math.sqrt(hk));
        float[] sinks = withSinks ? GpuTests.gaussian(4, heads, 2f) : null;

        int[][] steps = {{0, 1}, {1}};   // sequences decoding in the step, each at its last position
        for (int[] seqs : steps) {
            int tokens = seqs.length;
            int[] positions = new int[tokens];
            int[] tableStart = new int[tokens];
            for (int t = 0; t < tokens; t++) {
                positions[t] = lengths[seqs[t]] - 1;
                tableStart[t] = tableStartOfSeq[seqs[t]];
            }
            float[] q = GpuTests.gaussian(3 + tokens, tokens * heads * hk, 1f);
            float[] expected = new float[tokens * heads * hv];
            for (int t = 0; t < tokens; t++) {
                for (int h = 0; h < heads; h++) {
                    int g = h / group;
                    // positions first .. positions[t]; the sink, as it is, in the max and the sum
                    int n = positions[t] + 1;
                    // a negative window: chunks of -window positions (Llama 4), the token's own chunk
                    int first = window == 0 ? 0 : window > 0 ? Math.max(0, positions[t] - window + 1)
                            : positions[t] / -window * -window;
                    double[] s = new double[n];
                    double max = sinks == null ? Double.NEGATIVE_INFINITY : sinks[h];
                    for (int p = first; p < n; p++) {
                        int slot = tables[tableStart[t] + p / bs] * bs + p % bs;
                        double dot = 0;
                        for (int i = 0; i < hk; i++) {
                            dot += (double) q[(t * heads + h) * hk + i] * keys[slot * keyDim + g * hk + i];
                        }
                        s[p] = dot * scale;
                        max = Math.max(max, s[p]);
                    }
                    double sum = sinks == null ? 0 : Math.exp(sinks[h] - max);
                    for (int p = first; p < n; p++) {
                        s[p] = Math.exp(s[p] - max);
                        sum += s[p];
                    }
                    for (int i = 0; i < hv; i++) {
                        double acc = 0;
                        for (int p = first; p < n; p++) {
                            int slot = tables[tableStart[t] + p / bs] * bs + p % bs;
                            acc += s[p] * values[slot * valueDim + g * hv + i];
                        }
                        expected[(t * heads + h) * hv + i] = (float) (acc / sum);
                    }
                }
            }
            for (int splits : new int[] {1, 5, 32}) {   // 32 splits of 201 positions: chunks of 7
                float[] out = run(q, heads * hk, heads * hv, keys, values, keyDim, valueDim, bs, positions, tableStart,
                        tables, heads, group, hk, hv, scale, window, sinks, tokens, splits);
                GpuTests.assertClose(out, expected, 1e-5, tokens + " tokens, " + splits + " splits, window " + window);
            }
        }
    }

    /**
     * Latent attention (DeepSeek-V2/V3 with the projections absorbed into the query): one KV head
     * of 512 latent + 64 rope dims per key and the 512 latent dims per value, shared by 8 query
     * heads, scaled by the model's own factor rather than 1/sqrt(hk). At the kernels' MAX_HK and
     * MAX_HV, paged and split-K (splits past a short context left empty), against the CPU backend:
     * a decode step of two sequences, then three tokens of one sequence at different positions;
     * also under a window of 32 (crossing blocks) with sinks.
     */
    @ParameterizedTest(name = "window {0}, sinks {1}")
    @CsvSource({"0, false", "32, true"})
    void latentAttentionAtTheWidestHeadsMatchesTheCpuBackend(int window, boolean withSinks) throws Throwable {
        int heads = 8;
        int kvHeads = 1;
        int group = heads / kvHeads;
        int hk = 576;
        int hv = 512;
        assertThat(hk).isEqualTo(CudaKernels.ATTENTION_MAX_HEAD_DIM_K);
        assertThat(hv).isEqualTo(CudaKernels.ATTENTION_MAX_HEAD_DIM_V);
        // value heads this wide take the *_wide kernels; others keep the narrow ones' fewer registers
        assertThat(CudaKernels.attentionKernel("attention_paged", hv, KvCacheType.F32)).isEqualTo("attention_paged_wide");
        assertThat(CudaKernels.attentionKernel("attention_split", CudaKernels.ATTENTION_NARROW_HEAD_DIM_V,
                KvCacheType.F32)).isEqualTo("attention_split");
        float scale = 0.07f;
        int bs = 16;
        int[] lengths = {75, 300};
        ScatteredBlocks scattered = ScatteredBlocks.of(bs, lengths, 6);
        int blocks = scattered.blocks();
        int[] tables = scattered.tables();   // seq 0 first, then seq 1
        int[] tableStartOfSeq = scattered.tableStartOfSeq();
        int[][] blockTables = scattered.blockTables();
        int slots = blocks * bs;
        float[] keys = GpuTests.gaussian(11, slots * hk, 1f);
        float[] values = GpuTests.gaussian(12, slots * hv, 1f);
        int[] everySlot = scattered.everySlot();
        int[][] seqOf = {{0, 1}, {1, 1, 1}};
        int[][] posOf = {{lengths[0] - 1, lengths[1] - 1}, {40, 41, lengths[1] - 1}};
        float[] sinks = withSinks ? GpuTests.gaussian(15, heads, 2f) : null;
        try (CpuBackend cpu = new CpuBackend(2); KvStorage kv = cpu.allocateKv(1, blocks, bs, kvHeads, hk, hv)) {
            cpu.storeKv(kv, 0, GpuTests.matrix(cpu, keys, slots, hk), GpuTests.matrix(cpu, values, slots, hv), everySlot,
                    slots);
            for (int step = 0; step < seqOf.length; step++) {
                int tokens = seqOf[step].length;
                int[] tableStart = new int[tokens];
                for (int t = 0; t < tokens; t++) {
                    tableStart[t] = tableStartOfSeq[seqOf[step][t]];
                }
                float[] q = GpuTests.gaussian(13 + step, tokens * heads * hk, 1f);
                FloatMatrix out = cpu.allocate(tokens, heads * hv);
                cpu.attention(GpuTests.matrix(cpu, q, tokens, heads * hk), kv, 0,
                        new AttentionBatch(tokens, seqOf[step], posOf[step], blockTables, heads, kvHeads, hk, hv, scale)
                                .layer(window, sinks), out);
                float[] expected = GpuTests.read(out, tokens);
                for (int splits : new int[] {1, 3, 32}) {   // 32 splits of 41 positions: chunks of 2, the last 11 empty
                    float[] actual = run(q, heads * hk, heads * hv, keys, values, hk, hv, bs, posOf[step], tableStart,
                            tables, heads, group, hk, hv, scale, window, sinks, tokens, splits);
                    GpuTests.assertClose(actual, expected, 1e-5, "latent attention, " + tokens + " tokens, " + splits
                            + " splits");
                }
            }
        }
    }

    /**
     * A prefill under gpt-oss's settings: two sequences of 70 and 45 positions, every position a
     * token (interleaved), windows of 5 and 16 (a block's worth) with sinks, GQA: the paged kernel,
     * as prefill launches it, and split-K over the same tokens, against the CPU backend.
     */
    @ParameterizedTest(name = "window {0}")
    @ValueSource(ints = {5, 16})
    void prefillUnderAWindowWithSinksMatchesTheCpuBackend(int window) throws Throwable {
        int heads = 8;
        int kvHeads = 2;
        int hk = 64;
        int hv = 64;
        int bs = 16;
        int[] lengths = {70, 45};
        ScatteredBlocks scattered = ScatteredBlocks.of(bs, lengths, 7);
        int blocks = scattered.blocks();
        int[] tables = scattered.tables();   // seq 0 first, then seq 1
        int[] tableStartOfSeq = scattered.tableStartOfSeq();
        int[][] blockTables = scattered.blockTables();
        int slots = blocks * bs;
        int keyDim = kvHeads * hk;
        int valueDim = kvHeads * hv;
        float[] keys = GpuTests.gaussian(21, slots * keyDim, 2f);
        float[] values = GpuTests.gaussian(22, slots * valueDim, 1f);
        int[] everySlot = scattered.everySlot();
        int tokens = lengths[0] + lengths[1];
        int[] seqOf = new int[tokens];
        int[] posOf = new int[tokens];
        int[] tableStart = new int[tokens];
        int[] next = new int[2];
        for (int t = 0; t < tokens; ) {
            for (int s = 0; s < 2; s++) {
                if (next[s] < lengths[s]) {
                    seqOf[t] = s;
                    posOf[t] = next[s]++;
                    tableStart[t] = tableStartOfSeq[s];
                    t++;
                }
            }
        }
        float scale = (float) (1 / Math.sqrt(hk));
        float[] sinks = GpuTests.gaussian(23, heads, 2f);
        float[] q = GpuTests.gaussian(24, tokens * heads * hk, 1f);
        try (CpuBackend cpu = new CpuBackend(2); KvStorage kv = cpu.allocateKv(1, blocks, bs, kvHeads, keyDim, valueDim)) {
            cpu.storeKv(kv, 0, GpuTests.matrix(cpu, keys, slots, keyDim), GpuTests.matrix(cpu, values, slots, valueDim),
                    everySlot, slots);
            FloatMatrix out = cpu.allocate(tokens, heads * hv);
            cpu.attention(GpuTests.matrix(cpu, q, tokens, heads * hk), kv, 0,
                    new AttentionBatch(tokens, seqOf, posOf, blockTables, heads, kvHeads, hk, hv, scale)
                            .layer(window, sinks), out);
            float[] expected = GpuTests.read(out, tokens);
            for (int splits : new int[] {1, 4}) {
                float[] actual = run(q, heads * hk, heads * hv, keys, values, keyDim, valueDim, bs, posOf, tableStart,
                        tables, heads, heads / kvHeads, hk, hv, scale, window, sinks, tokens, splits);
                GpuTests.assertClose(actual, expected, 1e-5, "prefill, window " + window + ", " + splits + " splits");
            }
        }
    }

    private static float[] run(float[] q, int qCols, int outCols, float[] keys, float[] values, int keyDim, int valueDim,
                               int bs, int[] positions, int[] tableStart, int[] tables, int heads, int group, int hk,
                               int hv, float scale, int window, float[] sinks, int tokens, int splits) throws Throwable {
        return run(KvCacheType.F32, q, qCols, outCols, keys, values, keyDim, valueDim, bs, positions, tableStart, tables,
                heads, group, hk, hv, scale, window, sinks, tokens, splits);
    }

    /** The kernels for a cache of {@code type}: an F16 cache holds keys and values rounded to halves here. */
    private static float[] run(KvCacheType type, float[] q, int qCols, int outCols, float[] keys, float[] values,
                               int keyDim, int valueDim, int bs, int[] positions, int[] tableStart, int[] tables,
                               int heads, int group, int hk, int hv, float scale, int window, float[] sinks, int tokens,
                               int splits) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(FLOAT, (long) tokens * outCols);
            out.fill((byte) 0xFF); // NaN: every output must be written
            MemorySegment partials = a.allocate(FLOAT, CudaKernels.attentionPartialFloats(heads, tokens, splits, hv));
            partials.fill((byte) 0xFF);
            MemorySegment sinkLogits = sinks == null ? MemorySegment.NULL : a.allocateFrom(FLOAT, sinks);
            boolean half = type == KvCacheType.F16;
            MethodHandle kernels = half ? attentionF16 : attention;
            kernels.invokeExact(a.allocateFrom(FLOAT, q), qCols, out, outCols, cache(a, keys, half),
                    cache(a, values, half), keyDim, valueDim, bs, a.allocateFrom(INT, positions),
                    a.allocateFrom(INT, tableStart), a.allocateFrom(INT, tables), heads, group, hk, hv, scale, window,
                    sinkLogits, tokens, splits, partials);
            return out.toArray(FLOAT);
        }
    }

    /** A cache's elements in native memory: floats, or their nearest halves' bits. */
    private static MemorySegment cache(Arena a, float[] elements, boolean half) {
        return half ? a.allocateFrom(ValueLayout.JAVA_SHORT, halves(elements)) : a.allocateFrom(FLOAT, elements);
    }

    private static short[] halves(float[] x) {
        short[] h = new short[x.length];
        for (int i = 0; i < x.length; i++) {
            h[i] = Float.floatToFloat16(x[i]);
        }
        return h;
    }

    /**
     * store_kv_f16 rounds as Java's {@link Float#floatToFloat16} does (nearest, ties to even), bit
     * for bit: exact halves, ties between neighbours (both ways), the largest half and what rounds
     * past it to infinity, infinities, subnormals and what rounds down to zero, signed zeros, and
     * random floats at many scales; into each token's slot only.
     */
    @Test
    void storeKvF16RoundsToTheNearestHalfAsJavaDoes() throws Throwable {
        List<Float> specials = new ArrayList<>(List.of(0f, -0f, 1f, -2.5f, 65504f, -65504f, 65519.99f, 65520f, -65520f,
                1e6f, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.MAX_VALUE, Float.MIN_VALUE, 0x1p-24f,
                0x1p-25f, 0x1.8p-25f, 0x1p-26f, 0x3p-25f, 0x1p-14f, 0x1.ffcp-15f, 0x1.ff8p-15f, 6.1e-5f, -3e-7f));
        // exact ties between two neighbouring halves: 1 + (2k + 1) / 2048, rounding to even either way
        for (int k = 0; k < 8; k++) {
            specials.add(1f + (2 * k + 1) / 2048f);
            specials.add(-(1024f + (2 * k + 1) * 0.5f));
        }
        Random random = new Random(31);
        for (int i = 0; i < 4000; i++) {
            specials.add((float) (random.nextGaussian() * Math.pow(10, random.nextInt(13) - 8)));
        }
        int keyDim = 96;
        int valueDim = 40;
        int tokens = (specials.size() + keyDim - 1) / keyDim;
        float[] k = new float[tokens * keyDim];
        for (int i = 0; i < specials.size(); i++) {
            k[i] = specials.get(i);
        }
        float[] v = GpuTests.gaussian(32, tokens * valueDim, 3f);
        int cacheSlots = tokens + 7;
        List<Integer> shuffled = new ArrayList<>();
        for (int slot = 0; slot < cacheSlots; slot++) {
            shuffled.add(slot);
        }
        Collections.shuffle(shuffled, new Random(33));
        int[] slots = shuffled.stream().limit(tokens).mapToInt(Integer::intValue).toArray();   // scattered, distinct
        try (Arena a = Arena.ofConfined()) {
            MemorySegment kd = a.allocate(ValueLayout.JAVA_SHORT, (long) cacheSlots * keyDim);
            MemorySegment vd = a.allocate(ValueLayout.JAVA_SHORT, (long) cacheSlots * valueDim);
            kd.fill((byte) 0x5A);
            vd.fill((byte) 0x5A);
            storeKvF16.invokeExact(a.allocateFrom(FLOAT, k), a.allocateFrom(FLOAT, v), a.allocateFrom(INT, slots), kd, vd,
                    keyDim, valueDim, tokens);
            short[] keys = kd.toArray(ValueLayout.JAVA_SHORT);
            short[] values = vd.toArray(ValueLayout.JAVA_SHORT);
            short untouched = (short) 0x5A5A;
            boolean[] written = new boolean[cacheSlots];
            for (int t = 0; t < tokens; t++) {
                written[slots[t]] = true;
                for (int i = 0; i < keyDim; i++) {
                    float x = k[t * keyDim + i];
                    assertThat(keys[slots[t] * keyDim + i]).as("key %s", x).isEqualTo(Float.floatToFloat16(x));
                }
                for (int i = 0; i < valueDim; i++) {
                    assertThat(values[slots[t] * valueDim + i]).isEqualTo(Float.floatToFloat16(v[t * valueDim + i]));
                }
            }
            for (int slot = 0; slot < cacheSlots; slot++) {
                if (!written[slot]) {
                    for (int i = 0; i < keyDim; i++) {
                        assertThat(keys[slot * keyDim + i]).isEqualTo(untouched);
                    }
                }
            }
        }
    }

    /**
     * An F16 cache: the *_f16 kernels, narrow and wide, paged and split-K, read the halves the CPU
     * backend's F16 cache holds and attend as it does, within 1e-5 of the output's RMS: GQA without
     * and with a sliding window and sinks, and latent attention's widest heads with both.
     */
    @ParameterizedTest(name = "hk {0}, hv {1}, kv heads {2}, window {3}")
    @CsvSource({"64, 48, 2, 0", "64, 48, 2, 128", "576, 512, 1, 32"})
    void halfCacheKernelsMatchTheCpuBackendsHalfCache(int hk, int hv, int kvHeads, int window) throws Throwable {
        int heads = 8;
        int group = heads / kvHeads;
        String paged = CudaKernels.attentionKernel("attention_paged", hv, KvCacheType.F16);
        assertThat(paged).isEqualTo(hv > CudaKernels.ATTENTION_NARROW_HEAD_DIM_V ? "attention_paged_wide_f16"
                : "attention_paged_f16");
        int bs = 16;
        int[] lengths = {90, 260};
        ScatteredBlocks scattered = ScatteredBlocks.of(bs, lengths, 8);
        int blocks = scattered.blocks();
        int[] tables = scattered.tables();   // seq 0 first, then seq 1
        int[] tableStartOfSeq = scattered.tableStartOfSeq();
        int[][] blockTables = scattered.blockTables();
        int slots = blocks * bs;
        int keyDim = kvHeads * hk;
        int valueDim = kvHeads * hv;
        float[] keys = GpuTests.gaussian(41, slots * keyDim, 2f);
        float[] values = GpuTests.gaussian(42, slots * valueDim, 1f);
        int[] everySlot = scattered.everySlot();
        float scale = (float) (1 / Math.sqrt(hk));
        float[] sinks = window > 0 ? GpuTests.gaussian(43, heads, 2f) : null;
        int[] seqOf = {0, 1, 1};
        int[] posOf = {lengths[0] - 1, 100, lengths[1] - 1};
        int tokens = seqOf.length;
        int[] tableStart = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            tableStart[t] = tableStartOfSeq[seqOf[t]];
        }
        float[] q = GpuTests.gaussian(44, tokens * heads * hk, 1f);
        try (CpuBackend cpu = new CpuBackend(2);
             KvStorage kv = cpu.allocateKv(1, blocks, bs, kvHeads, keyDim, valueDim, KvCacheType.F16)) {
            cpu.storeKv(kv, 0, GpuTests.matrix(cpu, keys, slots, keyDim), GpuTests.matrix(cpu, values, slots, valueDim),
                    everySlot, slots);
            FloatMatrix out = cpu.allocate(tokens, heads * hv);
            cpu.attention(GpuTests.matrix(cpu, q, tokens, heads * hk), kv, 0,
                    new AttentionBatch(tokens, seqOf, posOf, blockTables, heads, kvHeads, hk, hv, scale)
                            .layer(window, sinks), out);
            float[] expected = GpuTests.read(out, tokens);
            for (int splits : new int[] {1, 5}) {
                float[] actual = run(KvCacheType.F16, q, heads * hk, heads * hv, keys, values, keyDim, valueDim, bs, posOf,
                        tableStart, tables, heads, group, hk, hv, scale, window, sinks, tokens, splits);
                GpuTests.assertClose(actual, expected, 1e-5, "F16 cache, " + splits + " splits");
            }
        }
    }

    /**
     * store_kv_q8 quantizes as {@link KvQ8} does, bit for bit, bytes and half scales, at
     * attention.cu's slot-major places: heads of 72 (groups of 32, 32 and 8) and of 40, random rows
     * at many scales, all-zero groups, ties (a group whose largest magnitude is 127, so a scale of
     * 1, holding halves), magnitudes past what a half scale covers; into each token's slot only.
     */
    @Test
    void storeKvQ8QuantizesAsKvQ8DoesIntoEachTokensSlotOnly() throws Throwable {
        int kvHeads = 2;
        int hk = 72;
        int hv = 40;
        int keyDim = kvHeads * hk;
        int valueDim = kvHeads * hv;
        int tokens = 40;
        Random random = new Random(51);
        float[] k = new float[tokens * keyDim];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) (random.nextGaussian() * Math.pow(10, (i / keyDim) % 9 - 4));
        }
        Arrays.fill(k, keyDim, keyDim + 32, 0f);   // token 1's first group: zeros
        float[] ties = {127f, 2.5f, -2.5f, 0.5f, -0.5f, 126.5f, -1.5f, 3.5f};
        for (int i = 0; i < 32; i++) {
            k[2 * keyDim + i] = ties[i % ties.length];   // token 2's first group: a scale of 1, halves to round
        }
        k[3 * keyDim + 5] = 1e12f;   // token 3: past a half scale's reach, clamped
        float[] v = GpuTests.gaussian(52, tokens * valueDim, 3f);
        int cacheSlots = tokens + 9;
        List<Integer> shuffled = new ArrayList<>();
        for (int slot = 0; slot < cacheSlots; slot++) {
            shuffled.add(slot);
        }
        Collections.shuffle(shuffled, new Random(53));
        int[] slots = shuffled.stream().limit(tokens).mapToInt(Integer::intValue).toArray();
        int keyScales = kvHeads * KvQ8.groups(hk);
        int valueScales = kvHeads * KvQ8.groups(hv);
        try (Arena a = Arena.ofConfined()) {
            MemorySegment kd = a.allocate((long) cacheSlots * keyDim);
            MemorySegment vd = a.allocate((long) cacheSlots * valueDim);
            MemorySegment ks = a.allocate(ValueLayout.JAVA_SHORT, (long) cacheSlots * keyScales);
            MemorySegment vs = a.allocate(ValueLayout.JAVA_SHORT, (long) cacheSlots * valueScales);
            for (MemorySegment m : new MemorySegment[] {kd, vd, ks, vs}) {
                m.fill((byte) 0x5A);
            }
            storeKvQ8.invokeExact(a.allocateFrom(FLOAT, k), a.allocateFrom(FLOAT, v), a.allocateFrom(INT, slots), kd, vd,
                    ks, vs, keyDim, valueDim, kvHeads, tokens);
            byte[] keys = kd.toArray(ValueLayout.JAVA_BYTE);
            byte[] values = vd.toArray(ValueLayout.JAVA_BYTE);
            short[] kScales = ks.toArray(ValueLayout.JAVA_SHORT);
            short[] vScales = vs.toArray(ValueLayout.JAVA_SHORT);
            byte[] expected = new byte[KvQ8.GROUP];
            boolean[] written = new boolean[cacheSlots];
            for (int t = 0; t < tokens; t++) {
                int slot = slots[t];
                written[slot] = true;
                for (int g = 0; g < kvHeads; g++) {
                    for (int j = 0; j < KvQ8.groups(hk); j++) {
                        int d = j * KvQ8.GROUP;
                        int n = Math.min(KvQ8.GROUP, hk - d);
                        short scale = KvQ8.quantize(k, t * keyDim + g * hk + d, n, expected, 0, 1);
                        assertThat(kScales[slot * keyScales + g * KvQ8.groups(hk) + j]).as("token %d key scale", t)
                                .isEqualTo(scale);
                        for (int i = 0; i < n; i++) {
                            assertThat(keys[slot * keyDim + g * hk + d + i]).as("token %d key %d", t, g * hk + d + i)
                                    .isEqualTo(expected[i]);
                        }
                    }
                    for (int j = 0; j < KvQ8.groups(hv); j++) {
                        int d = j * KvQ8.GROUP;
                        int n = Math.min(KvQ8.GROUP, hv - d);
                        short scale = KvQ8.quantize(v, t * valueDim + g * hv + d, n, expected, 0, 1);
                        assertThat(vScales[slot * valueScales + g * KvQ8.groups(hv) + j]).isEqualTo(scale);
                        for (int i = 0; i < n; i++) {
                            assertThat(values[slot * valueDim + g * hv + d + i]).isEqualTo(expected[i]);
                        }
                    }
                }
            }
            assertThat(keys[slots[2] * keyDim + 1]).as("2.5 over a scale of 1 rounds away from zero").isEqualTo((byte) 3);
            for (int slot = 0; slot < cacheSlots; slot++) {
                if (!written[slot]) {
                    for (int i = 0; i < keyDim; i++) {
                        assertThat(keys[slot * keyDim + i]).isEqualTo((byte) 0x5A);
                    }
                    assertThat(kScales[slot * keyScales]).isEqualTo((short) 0x5A5A);
                }
            }
        }
    }

    /**
     * A Q8_0 cache: the *_q8 kernels, narrow and wide, paged and split-K, over what store_kv_q8
     * stored, attend as the CPU backend's Q8_0 cache does, within 1e-5 of the output's RMS: GQA
     * without and with a window and sinks, latent attention's widest heads, and values read from the
     * key rows at an offset (latent attention's, 64; and 8, inside a group).
     */
    @ParameterizedTest(name = "hk {0}, hv {1}, kv heads {2}, window {3}, values at {4}")
    @CsvSource({"64, 48, 2, 0, -1", "64, 48, 2, 128, -1", "576, 512, 1, 32, -1", "576, 512, 1, 0, 64",
        "72, 48, 1, 16, 8"})
    void q8CacheKernelsMatchTheCpuBackendsQ8Cache(int hk, int hv, int kvHeads, int window, int valueOffset)
            throws Throwable {
        boolean inKeys = valueOffset >= 0;
        int heads = 8;
        int group = heads / kvHeads;
        assertThat(CudaKernels.attentionKernel("attention_split", hv, KvCacheType.Q8_0))
                .isEqualTo(hv > CudaKernels.ATTENTION_NARROW_HEAD_DIM_V ? "attention_split_wide_q8" : "attention_split_q8");
        int bs = 16;
        int[] lengths = {90, 260};
        ScatteredBlocks scattered = ScatteredBlocks.of(bs, lengths, 9);
        int blocks = scattered.blocks();
        int slots = blocks * bs;
        int keyDim = kvHeads * hk;
        int valueDim = inKeys ? 0 : kvHeads * hv;
        float[] keys = GpuTests.gaussian(61, slots * keyDim, 2f);
        float[] values = inKeys ? new float[0] : GpuTests.gaussian(62, slots * valueDim, 1f);
        float scale = (float) (1 / Math.sqrt(hk));
        float[] sinks = window > 0 ? GpuTests.gaussian(63, heads, 2f) : null;
        int[] seqOf = {0, 1, 1};
        int[] posOf = {lengths[0] - 1, 100, lengths[1] - 1};
        int tokens = seqOf.length;
        int[] tableStart = new int[tokens];
        for (int t = 0; t < tokens; t++) {
            tableStart[t] = scattered.tableStartOfSeq()[seqOf[t]];
        }
        float[] q = GpuTests.gaussian(64, tokens * heads * hk, 1f);
        AttentionBatch batch = inKeys
                ? new AttentionBatch(heads, kvHeads, hk, hv, scale, valueOffset).set(tokens, seqOf, posOf,
                        scattered.blockTables())
                : new AttentionBatch(tokens, seqOf, posOf, scattered.blockTables(), heads, kvHeads, hk, hv, scale);
        batch.layer(window, sinks);
        try (CpuBackend cpu = new CpuBackend(2);
             KvStorage kv = cpu.allocateKv(1, blocks, bs, kvHeads, keyDim, valueDim, KvCacheType.Q8_0);
             Arena a = Arena.ofConfined()) {
            cpu.storeKv(kv, 0, GpuTests.matrix(cpu, keys, slots, keyDim),
                    inKeys ? null : GpuTests.matrix(cpu, values, slots, valueDim), scattered.everySlot(), slots);
            FloatMatrix out = cpu.allocate(tokens, heads * hv);
            cpu.attention(GpuTests.matrix(cpu, q, tokens, heads * hk), kv, 0, batch, out);
            float[] expected = GpuTests.read(out, tokens);

            int keyScaleStride = kvHeads * KvQ8.groups(hk);
            int valueScaleStride = kvHeads * KvQ8.groups(hv);
            MemorySegment kd = a.allocate((long) slots * keyDim);
            MemorySegment vd = a.allocate(Math.max(1, (long) slots * valueDim));
            MemorySegment ks = a.allocate(ValueLayout.JAVA_SHORT, (long) slots * keyScaleStride);
            MemorySegment vs = a.allocate(ValueLayout.JAVA_SHORT, (long) slots * valueScaleStride);
            MemorySegment written = inKeys ? MemorySegment.NULL : a.allocateFrom(FLOAT, values);
            storeKvQ8.invokeExact(a.allocateFrom(FLOAT, keys), written,
                    a.allocateFrom(INT, scattered.everySlot()), kd, vd, ks, vs, keyDim, valueDim, kvHeads, slots);
            // values read from the key rows: from the offset within the first row, with the keys' scales
            MemorySegment valuesAt = inKeys ? kd.asSlice(valueOffset) : vd;
            for (int splits : new int[] {1, 5}) {
                MemorySegment o = a.allocate(FLOAT, (long) tokens * heads * hv);
                o.fill((byte) 0xFF);
                MemorySegment partials = a.allocate(FLOAT, CudaKernels.attentionPartialFloats(heads, tokens, splits, hv));
                MemorySegment valueScales = inKeys ? ks : vs;
                MemorySegment sinkLogits = sinks == null ? MemorySegment.NULL : a.allocateFrom(FLOAT, sinks);
                attentionQ8.invokeExact(a.allocateFrom(FLOAT, q), heads * hk, o, heads * hv, kd, valuesAt, ks,
                        valueScales, keyScaleStride, inKeys ? keyScaleStride : valueScaleStride,
                        inKeys ? valueOffset : 0, keyDim, inKeys ? keyDim : valueDim, bs, a.allocateFrom(INT, posOf),
                        a.allocateFrom(INT, tableStart), a.allocateFrom(INT, scattered.tables()), heads, group, hk, hv,
                        scale, window, sinkLogits, tokens, splits, partials);
                GpuTests.assertClose(o.toArray(FLOAT), expected, 1e-5, "Q8_0 cache, " + splits + " splits");
            }
        }
    }

    /**
     * Two sequences of {@code lengths} positions in blocks of {@code bs}, their blocks shuffled across
     * the cache: one table of both, sequence 0's blocks first, and each sequence's own table.
     */
    private record ScatteredBlocks(int blocks, int bs, int[] tables, int[] tableStartOfSeq, int[][] blockTables) {

        static ScatteredBlocks of(int bs, int[] lengths, long seed) {
            int[] blocksOf = {(lengths[0] + bs - 1) / bs, (lengths[1] + bs - 1) / bs};
            int blocks = blocksOf[0] + blocksOf[1];
            List<Integer> order = new ArrayList<>();
            for (int b = 0; b < blocks; b++) {
                order.add(b);
            }
            Collections.shuffle(order, new Random(seed));
            int[] tables = order.stream().mapToInt(Integer::intValue).toArray();
            int[][] each = {Arrays.copyOfRange(tables, 0, blocksOf[0]), Arrays.copyOfRange(tables, blocksOf[0], blocks)};
            return new ScatteredBlocks(blocks, bs, tables, new int[] {0, blocksOf[0]}, each);
        }

        /** Slot 0, 1, ... up to the cache's last: a store of every slot's row. */
        int[] everySlot() {
            int[] slots = new int[blocks * bs];
            for (int i = 0; i < slots.length; i++) {
                slots[i] = i;
            }
            return slots;
        }
    }
}
