package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.AttentionBatch;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvStorage;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Paged causal GQA on the CUDA backend against the CPU backend: three sequences with scattered
 * block tables are prefilled (stored and attended in one step, tokens of different sequences
 * interleaved), then each decodes one more token; and long contexts (1000 and 3000 positions over
 * scattered blocks), prefilled in one step (attention_paged), then decoded two tokens and one
 * token at a time (split-K; which shapes take which path is WideKernelChoiceTest's to check).
 * Each again under gpt-oss's layer settings: a sliding window (1, crossing blocks, gpt-oss's 128,
 * wider than the context) and a sink per query head, on the narrow and the wide kernels. And all of
 * it over an F16 cache and a Q8_0 cache on both backends.
 * Tolerance 1e-5 of the output's RMS (online softmax in float against the CPU's two-pass softmax).
 */
class CudaAttentionTest extends AgainstCpuTest {

    private static final int LAYERS = 2;
    private static final int LAYER = 1;
    private static final int BLOCKS = 40;
    private static final int BLOCK_SIZE = 4;
    private static final int[] LENGTHS = {7, 45, 1};
    private static final int[][] TABLES = {{5, 2, 30}, {9, 0, 14, 3, 20, 21, 22, 23, 24, 25, 26, 27, 28}, {7}};
    /** The SM count the path choice is checked for (an H200's). */
    static final int H200_SMS = 132;
    /** Long contexts: GQA group 4, a decode step of two tokens, then one of one. */
    static final int LONG_HEADS = 8;
    static final int LONG_KV_HEADS = 2;
    static final int[] LONG_LENGTHS = {1000, 3000};
    static final int[] LONG_DECODE_TOKENS = {2, 1};
    private static final int LONG_BLOCK_SIZE = 16;
    private static final int LONG_BLOCKS = 260;

    @ParameterizedTest(name = "{0} heads over {1} KV heads, head dims {2}/{3}")
    @CsvSource({"8, 2, 64, 64", "6, 6, 24, 20", "16, 4, 128, 128", "4, 1, 256, 256", "8, 1, 576, 512"})
    void prefillThenDecodeMatchesTheCpuBackend(int heads, int kvHeads, int hk, int hv) {
        prefillThenDecode(heads, kvHeads, hk, hv, 0, false, KvCacheType.F32);
    }

    /** Window 0 is none; sinks drawn per query head (different within each GQA group). */
    @ParameterizedTest(name = "{0} heads over {1} KV heads, head dims {2}/{3}, window {4}, sinks {5}")
    @CsvSource({"8, 2, 64, 64, 5, true", "8, 2, 64, 64, 5, false", "6, 6, 24, 20, 0, true", "16, 4, 128, 128, 1, true",
                "4, 1, 256, 256, 16, true", "8, 1, 576, 512, 5, true", "8, 2, 64, 64, 128, true"})
    void prefillThenDecodeUnderAWindowWithSinksMatchesTheCpuBackend(int heads, int kvHeads, int hk, int hv, int window,
                                                                    boolean withSinks) {
        prefillThenDecode(heads, kvHeads, hk, hv, window, withSinks, KvCacheType.F32);
    }

    /**
     * An F16 cache on both backends: the *_f16 kernels (narrow and wide, paged and split-K, values
     * read from the keys' rows at a half's offset) against the CPU backend's F16 cache.
     */
    @ParameterizedTest(name = "{0} heads over {1} KV heads, head dims {2}/{3}, window {4}, sinks {5}")
    @CsvSource({"8, 2, 64, 64, 0, false", "8, 2, 64, 64, 5, true", "8, 1, 576, 512, 0, false"})
    void anF16CacheMatchesTheCpuBackendsF16Cache(int heads, int kvHeads, int hk, int hv, int window, boolean withSinks) {
        prefillThenDecode(heads, kvHeads, hk, hv, window, withSinks, KvCacheType.F16);
        valuesReadFromTheKeyRows(window, withSinks, KvCacheType.F16);
        longContexts(window, withSinks, KvCacheType.F16);
    }

    /**
     * A Q8_0 cache on both backends: store_kv_q8 and the *_q8 kernels (narrow and wide, paged and
     * split-K, values read from the keys' rows with the keys' scales) against the CPU backend's.
     */
    @ParameterizedTest(name = "{0} heads over {1} KV heads, head dims {2}/{3}, window {4}, sinks {5}")
    @CsvSource({"8, 2, 64, 64, 0, false", "8, 2, 64, 64, 5, true", "6, 6, 24, 20, 0, false", "8, 1, 576, 512, 0, false"})
    void aQ8CacheMatchesTheCpuBackendsQ8Cache(int heads, int kvHeads, int hk, int hv, int window, boolean withSinks) {
        prefillThenDecode(heads, kvHeads, hk, hv, window, withSinks, KvCacheType.Q8_0);
        valuesReadFromTheKeyRows(window, withSinks, KvCacheType.Q8_0);
        longContexts(window, withSinks, KvCacheType.Q8_0);
    }

    private void prefillThenDecode(int heads, int kvHeads, int hk, int hv, int window, boolean withSinks,
                                   KvCacheType type) {
        float[] sinks = withSinks ? GpuTests.gaussian(17, heads, 2f) : null;
        int prefill = 0;
        for (int n : LENGTHS) {
            prefill += n;
        }
        // prefill: sequence s's positions 0 .. LENGTHS[s)-1, interleaved round-robin across sequences
        int[] seqOf = new int[prefill];
        int[] posOf = new int[prefill];
        int t = 0;
        int[] next = new int[LENGTHS.length];
        while (t < prefill) {
            for (int s = 0; s < LENGTHS.length; s++) {
                if (next[s] < LENGTHS[s]) {
                    seqOf[t] = s;
                    posOf[t] = next[s]++;
                    t++;
                }
            }
        }
        int[] decodeSeq = {0, 1, 2};
        int[] decodePos = {LENGTHS[0], LENGTHS[1], LENGTHS[2]};
        float[][] results = new float[2][];
        Backend[] backends = {cuda, cpu};
        for (int b = 0; b < 2; b++) {
            Backend be = backends[b];
            try (KvStorage kv = be.allocateKv(LAYERS, BLOCKS, BLOCK_SIZE, kvHeads, kvHeads * hk, kvHeads * hv, type)) {
                AttentionBatch batch = new AttentionBatch(heads, kvHeads, hk, hv, (float) (1 / Math.sqrt(hk)))
                        .layer(window, sinks);
                step(be, kv, batch, TABLES, BLOCK_SIZE, seqOf, posOf, heads, kvHeads, hk, hv, 1);
                results[b] = step(be, kv, batch, TABLES, BLOCK_SIZE, decodeSeq, decodePos, heads, kvHeads, hk, hv, 2);
            }
        }
        GpuTests.assertClose(results[0], results[1], 1e-5, "attention, window " + window + ", sinks " + withSinks
                + ", " + type.label() + " cache");
    }

    /**
     * Latent attention's cache: one KV head of keys only, each position's value read from its key
     * row after the rotary part (the kernels' value pointer offset into the keys, a key row apart);
     * and so under a window of 2 with sinks.
     */
    @ParameterizedTest(name = "window {0}, sinks {1}")
    @CsvSource({"0, false", "2, true"})
    void valuesReadFromTheKeyRowsMatchTheCpuBackend(int window, boolean withSinks) {
        valuesReadFromTheKeyRows(window, withSinks, KvCacheType.F32);
    }

    private void valuesReadFromTheKeyRows(int window, boolean withSinks, KvCacheType type) {
        int heads = 8;
        int hk = 576;
        int hv = 512;
        int offset = 64;
        int[] seqOf = {0, 0, 0, 1, 1, 2};
        int[] posOf = {0, 1, 2, 0, 1, 0};
        int[] decodeSeq = {0, 1, 2};
        int[] decodePos = {3, 2, 1};
        float[] sinks = withSinks ? GpuTests.gaussian(18, heads, 2f) : null;
        float[][] results = new float[2][];
        Backend[] backends = {cuda, cpu};
        for (int b = 0; b < 2; b++) {
            Backend be = backends[b];
            try (KvStorage kv = be.allocateKv(LAYERS, BLOCKS, BLOCK_SIZE, 1, hk, 0, type)) {
                AttentionBatch batch = new AttentionBatch(heads, 1, hk, hv, 0.05f, offset).layer(window, sinks);
                step(be, kv, batch, TABLES, BLOCK_SIZE, seqOf, posOf, heads, 1, hk, hv, 7);
                results[b] = step(be, kv, batch, TABLES, BLOCK_SIZE, decodeSeq, decodePos, heads, 1, hk, hv, 8);
            }
        }
        GpuTests.assertClose(results[0], results[1], 1e-5, "attention with values in the keys, " + type.label()
                + " cache");
    }

    /** Also as gpt-oss's windowed layers attend: the last 128 positions, with sinks. */
    @ParameterizedTest(name = "window {0}, sinks {1}")
    @CsvSource({"0, false", "128, true"})
    void longContextsPrefillThenDecodeMatchTheCpuBackend(int window, boolean withSinks) {
        longContexts(window, withSinks, KvCacheType.F32);
    }

    private void longContexts(int window, boolean withSinks, KvCacheType type) {
        int hk = 128;
        int hv = 64;
        float[] sinks = withSinks ? GpuTests.gaussian(19, LONG_HEADS, 2f) : null;
        // each sequence's blocks, shuffled across the cache, with room for the decoded tokens
        List<Integer> free = new ArrayList<>();
        for (int i = 0; i < LONG_BLOCKS; i++) {
            free.add(i);
        }
        Collections.shuffle(free, new Random(11));
        int[][] tables = new int[LONG_LENGTHS.length][];
        int prefill = 0;
        int used = 0;
        for (int s = 0; s < LONG_LENGTHS.length; s++) {
            tables[s] = new int[(LONG_LENGTHS[s] + 2) / LONG_BLOCK_SIZE + 1];
            for (int i = 0; i < tables[s].length; i++) {
                tables[s][i] = free.get(used++);
            }
            prefill += LONG_LENGTHS[s];
        }
        int[] seqOf = new int[prefill];
        int[] posOf = new int[prefill];
        for (int s = 0, t = 0; s < LONG_LENGTHS.length; s++) {
            for (int p = 0; p < LONG_LENGTHS[s]; p++, t++) {
                seqOf[t] = s;
                posOf[t] = p;
            }
        }
        // two tokens of sequences of different lengths, then the longer one's next token alone
        int[][] decodeSeq = {{0, 1}, {1}};
        int[][] decodePos = {{LONG_LENGTHS[0], LONG_LENGTHS[1]}, {LONG_LENGTHS[1] + 1}};
        float[][][] results = new float[2][3][];
        Backend[] backends = {cuda, cpu};
        for (int b = 0; b < 2; b++) {
            Backend be = backends[b];
            try (KvStorage kv = be.allocateKv(LAYERS, LONG_BLOCKS, LONG_BLOCK_SIZE, LONG_KV_HEADS, LONG_KV_HEADS * hk,
                    LONG_KV_HEADS * hv, type)) {
                AttentionBatch batch = new AttentionBatch(LONG_HEADS, LONG_KV_HEADS, hk, hv, (float) (1 / Math.sqrt(hk)))
                        .layer(window, sinks);
                results[b][0] = step(be, kv, batch, tables, LONG_BLOCK_SIZE, seqOf, posOf, LONG_HEADS, LONG_KV_HEADS,
                        hk, hv, 3);
                for (int d = 0; d < decodeSeq.length; d++) {
                    results[b][d + 1] = step(be, kv, batch, tables, LONG_BLOCK_SIZE, decodeSeq[d], decodePos[d],
                            LONG_HEADS, LONG_KV_HEADS, hk, hv, 4 + d);
                }
            }
        }
        GpuTests.assertClose(results[0][0], results[1][0], 1e-5, "prefill of " + prefill + " tokens, " + type.label()
                + " cache");
        for (int d = 0; d < decodeSeq.length; d++) {
            GpuTests.assertClose(results[0][d + 1], results[1][d + 1], 1e-5,
                    "decode of " + decodeSeq[d].length + " tokens");
        }
    }

    /** Stores this step's K/V and attends; returns the attention output. */
    private static float[] step(Backend be, KvStorage kv, AttentionBatch batch, int[][] tables, int blockSize,
                                int[] seqOf, int[] posOf, int heads, int kvHeads, int hk, int hv, long seed) {
        int tokens = seqOf.length;
        int[] slots = new int[tokens];
        for (int i = 0; i < tokens; i++) {
            slots[i] = tables[seqOf[i]][posOf[i] / blockSize] * blockSize + posOf[i] % blockSize;
        }
        FloatMatrix q = GpuTests.matrix(be, GpuTests.gaussian(seed * 10 + 1, tokens * heads * hk, 1f), tokens, heads * hk);
        FloatMatrix k = GpuTests.matrix(be, GpuTests.gaussian(seed * 10 + 2, tokens * kvHeads * hk, 1f), tokens, kvHeads * hk);
        FloatMatrix v = GpuTests.matrix(be, GpuTests.gaussian(seed * 10 + 3, tokens * kvHeads * hv, 1f), tokens, kvHeads * hv);
        FloatMatrix out = be.allocate(tokens, heads * hv);
        be.storeKv(kv, LAYER, k, v, slots, tokens);
        batch.set(tokens, seqOf, posOf, tables);
        be.attention(q, kv, LAYER, batch, out);
        return GpuTests.read(out, tokens);
    }
}
