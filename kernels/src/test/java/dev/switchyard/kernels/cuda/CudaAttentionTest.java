package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.AttentionBatch;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.KvStorage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Paged causal GQA on the CUDA backend against the CPU backend: three sequences with scattered
 * block tables are prefilled (stored and attended in one step, tokens of different sequences
 * interleaved), then each decodes one more token. Tolerance 1e-5 of the output's RMS (online
 * softmax in float against the CPU's two-pass softmax).
 */
class CudaAttentionTest extends AgainstCpuTest {

    private static final int LAYERS = 2;
    private static final int LAYER = 1;
    private static final int BLOCKS = 40;
    private static final int BLOCK_SIZE = 4;
    private static final int[] LENGTHS = {7, 45, 1};
    private static final int[][] TABLES = {{5, 2, 30}, {9, 0, 14, 3, 20, 21, 22, 23, 24, 25, 26, 27, 28}, {7}};

    @ParameterizedTest(name = "{0} heads over {1} KV heads, head dims {2}/{3}")
    @CsvSource({"8, 2, 64, 64", "6, 6, 24, 20", "16, 4, 128, 128", "4, 1, 256, 256"})
    void prefillThenDecodeMatchesTheCpuBackend(int heads, int kvHeads, int hk, int hv) {
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
            try (KvStorage kv = be.allocateKv(LAYERS, BLOCKS, BLOCK_SIZE, kvHeads * hk, kvHeads * hv)) {
                AttentionBatch batch = new AttentionBatch(heads, kvHeads, hk, hv, (float) (1 / Math.sqrt(hk)));
                step(be, kv, batch, seqOf, posOf, heads, kvHeads, hk, hv, 1);
                results[b] = step(be, kv, batch, decodeSeq, decodePos, heads, kvHeads, hk, hv, 2);
            }
        }
        GpuTests.assertClose(results[0], results[1], 1e-5, "attention");
    }

    /** Stores this step's K/V and attends; returns the attention output. */
    private static float[] step(Backend be, KvStorage kv, AttentionBatch batch, int[] seqOf, int[] posOf, int heads,
                                int kvHeads, int hk, int hv, long seed) {
        int tokens = seqOf.length;
        int[] slots = new int[tokens];
        for (int i = 0; i < tokens; i++) {
            slots[i] = TABLES[seqOf[i]][posOf[i] / BLOCK_SIZE] * BLOCK_SIZE + posOf[i] % BLOCK_SIZE;
        }
        FloatMatrix q = GpuTests.matrix(be, GpuTests.gaussian(seed * 10 + 1, tokens * heads * hk, 1f), tokens, heads * hk);
        FloatMatrix k = GpuTests.matrix(be, GpuTests.gaussian(seed * 10 + 2, tokens * kvHeads * hk, 1f), tokens, kvHeads * hk);
        FloatMatrix v = GpuTests.matrix(be, GpuTests.gaussian(seed * 10 + 3, tokens * kvHeads * hv, 1f), tokens, kvHeads * hv);
        FloatMatrix out = be.allocate(tokens, heads * hv);
        be.storeKv(kv, LAYER, k, v, slots, tokens);
        batch.set(tokens, seqOf, posOf, TABLES);
        be.attention(q, kv, LAYER, batch, out);
        return GpuTests.read(out, tokens);
    }
}
