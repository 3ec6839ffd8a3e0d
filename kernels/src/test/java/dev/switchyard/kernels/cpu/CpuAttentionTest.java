package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.kernels.AttentionBatch;
import dev.switchyard.kernels.KvCacheType;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Paged causal GQA against the double-precision reference, which works on each sequence's logical
 * K/V and knows nothing of blocks. Tolerance 2e-5 of the output's RMS (float dot products and the
 * polynomial exp against double). Then gpt-oss's layer settings, alone and together: sliding windows
 * narrower than, as wide as and wider than a token's context (window 1, tokens at position 0), whose
 * earlier positions are never read; and attention sinks, one per query head. And an F16 cache: it
 * holds each key and value rounded to the nearest half, and attends over them exactly as a float
 * cache of those halves does.
 */
class CpuAttentionTest {

    private static final int LAYERS = 2;
    private static final int LAYER = 1;
    private static final int BLOCKS = 16;
    private static final int BLOCK_SIZE = 4;
    private static final int HEADS = 6;
    private static final int KV_HEADS = 2;
    private static final int HK = 24;
    private static final int HV = 20;
    private static final int KEY_DIM = KV_HEADS * HK;
    private static final int VALUE_DIM = KV_HEADS * HV;
    private static final float SCALE = (float) (1 / Math.sqrt(HK));

    private static CpuBackend one;
    private static CpuBackend three;

    @BeforeAll
    static void start() {
        one = new CpuBackend(1);
        three = new CpuBackend(3);
    }

    @AfterAll
    static void stop() {
        one.close();
        three.close();
    }

    /** Three sequences: logical K/V per position, and a scattered block table each. */
    private static final int[] LENGTHS = {7, 13, 1};
    private static final int[][] SCATTERED = {{5, 2}, {9, 0, 14, 3}, {7}};
    private static final int[][] CONTIGUOUS = {{0, 1}, {2, 3, 4, 5}, {6}};

    private static float[][][] keys(long seed) {
        float[][][] k = new float[LENGTHS.length][][];
        for (int s = 0; s < LENGTHS.length; s++) {
            k[s] = new float[LENGTHS[s]][];
            for (int p = 0; p < LENGTHS[s]; p++) {
                k[s][p] = TestData.gaussian(seed * 1000 + s * 100 + p, KEY_DIM, 2f);
            }
        }
        return k;
    }

    private static float[][][] values(long seed) {
        float[][][] v = new float[LENGTHS.length][][];
        for (int s = 0; s < LENGTHS.length; s++) {
            v[s] = new float[LENGTHS[s]][];
            for (int p = 0; p < LENGTHS[s]; p++) {
                v[s][p] = TestData.gaussian(seed * 1000 + s * 100 + p + 50, VALUE_DIM, 1f);
            }
        }
        return v;
    }

    /** Stores every position of every sequence through the backend, in layer {@code layer}. */
    private static CpuKvStorage fill(CpuBackend b, int[][] tables, float[][][] k, float[][][] v) {
        return fill(b, tables, k, v, KvCacheType.F32);
    }

    private static CpuKvStorage fill(CpuBackend b, int[][] tables, float[][][] k, float[][][] v, KvCacheType type) {
        CpuKvStorage kv = (CpuKvStorage) b.allocateKv(LAYERS, BLOCKS, BLOCK_SIZE, KV_HEADS, KEY_DIM, VALUE_DIM, type);
        // Layer 0 gets different data: attention must read its own layer.
        store(b, kv, 0, tables, keys(99), values(99));
        store(b, kv, LAYER, tables, k, v);
        return kv;
    }

    private static void store(CpuBackend b, CpuKvStorage kv, int layer, int[][] tables, float[][][] k, float[][][] v) {
        for (int s = 0; s < LENGTHS.length; s++) {
            int n = LENGTHS[s];
            CpuMatrix km = (CpuMatrix) b.allocate(n, KEY_DIM);
            CpuMatrix vm = (CpuMatrix) b.allocate(n, VALUE_DIM);
            int[] slots = new int[n];
            for (int p = 0; p < n; p++) {
                km.writeRow(p, k[s][p]);
                vm.writeRow(p, v[s][p]);
                slots[p] = tables[s][p / BLOCK_SIZE] * BLOCK_SIZE + p % BLOCK_SIZE;
            }
            b.storeKv(kv, layer, km, vm, slots, n);
        }
    }

    // A batch mixing sequences and positions; sequence 0 has two tokens (a chunk of a prefill).
    private static final int[] SEQ = {1, 0, 2, 0, 1};
    private static final int[] POS = {12, 6, 0, 3, 5};

    private static AttentionBatch batch(int[][] tables, int[] seq, int[] pos) {
        return new AttentionBatch(seq.length, seq, pos, tables, HEADS, KV_HEADS, HK, HV, SCALE);
    }

    private static float[] attend(CpuBackend b, CpuKvStorage kv, AttentionBatch batch, float[] q) {
        CpuMatrix qm = (CpuMatrix) b.allocate(batch.tokens() + 1, HEADS * HK);
        System.arraycopy(q, 0, qm.data(), 0, batch.tokens() * HEADS * HK);
        CpuMatrix out = (CpuMatrix) b.allocate(batch.tokens() + 1, HEADS * HV);
        b.attention(qm, kv, LAYER, batch, out);
        return TestData.prefix(out.data(), batch.tokens() * HEADS * HV);
    }

    private static float[] reference(float[][][] k, float[][][] v, int[] seq, int[] pos, float[] q) {
        return reference(k, v, seq, pos, q, 0, null);
    }

    private static float[] reference(float[][][] k, float[][][] v, int[] seq, int[] pos, float[] q, int window,
                                     float[] sinks) {
        float[] out = new float[seq.length * HEADS * HV];
        for (int t = 0; t < seq.length; t++) {
            ReferenceOps.attention(q, t * HEADS * HK, k[seq[t]], v[seq[t]], pos[t], HEADS, KV_HEADS, HK, HV, SCALE,
                    window, sinks, out, t * HEADS * HV);
        }
        return out;
    }

    /** A different sink per query head, around the scores' own size (so each one matters). */
    private static float[] sinks(long seed) {
        return TestData.gaussian(seed, HEADS, 1.5f);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void matchesReferenceWithGqaAndScatteredBlocks(int threads) {
        CpuBackend b = threads == 1 ? one : three;
        float[][][] k = keys(1);
        float[][][] v = values(1);
        float[] q = TestData.gaussian(2, SEQ.length * HEADS * HK, 1f);
        float[] actual = attend(b, fill(b, SCATTERED, k, v), batch(SCATTERED, SEQ, POS), q);
        TestData.assertClose(actual, reference(k, v, SEQ, POS, q), 2e-5, "attention");
    }

    @Test
    void gqaGroupsShareTheirKvHead() {
        // Identical queries in heads 0..2 (kv head 0) must give identical outputs, and differ from heads 3..5.
        float[][][] k = keys(3);
        float[][][] v = values(3);
        float[] q = new float[HEADS * HK];
        float[] one = TestData.gaussian(4, HK, 1f);
        for (int h = 0; h < HEADS; h++) {
            System.arraycopy(one, 0, q, h * HK, HK);
        }
        float[] out = attend(three, fill(three, SCATTERED, k, v), batch(SCATTERED, new int[] {1}, new int[] {12}), q);
        for (int h = 1; h < 3; h++) {
            assertThat(Arrays.copyOfRange(out, h * HV, (h + 1) * HV)).containsExactly(Arrays.copyOfRange(out, 0, HV));
        }
        assertThat(Arrays.copyOfRange(out, 3 * HV, 4 * HV)).isNotEqualTo(Arrays.copyOfRange(out, 0, HV));
    }

    @Test
    void laterPositionsAreInvisible() {
        float[][][] k = keys(5);
        float[][][] v = values(5);
        float[] q = TestData.gaussian(6, SEQ.length * HEADS * HK, 1f);
        float[] before = attend(three, fill(three, SCATTERED, k, v), batch(SCATTERED, SEQ, POS), q);
        // Sequence 0 position 5: after token 3 (position 3), before token 1 (position 6).
        k[0][5] = TestData.gaussian(7, KEY_DIM, 5f);
        v[0][5] = TestData.gaussian(8, VALUE_DIM, 5f);
        float[] after = attend(three, fill(three, SCATTERED, k, v), batch(SCATTERED, SEQ, POS), q);
        int w = HEADS * HV;
        assertThat(Arrays.copyOfRange(after, 3 * w, 4 * w)).as("token at position 3").containsExactly(Arrays.copyOfRange(before, 3 * w, 4 * w));
        assertThat(Arrays.copyOfRange(after, w, 2 * w)).as("token at position 6").isNotEqualTo(Arrays.copyOfRange(before, w, 2 * w));
        for (int t : new int[] {0, 2, 4}) {
            assertThat(Arrays.copyOfRange(after, t * w, (t + 1) * w)).as("other sequences").containsExactly(Arrays.copyOfRange(before, t * w, (t + 1) * w));
        }
    }

    @Test
    void scatteredBlocksGiveTheSameResultAsContiguousOnes() {
        float[][][] k = keys(9);
        float[][][] v = values(9);
        float[] q = TestData.gaussian(10, SEQ.length * HEADS * HK, 1f);
        float[] scattered = attend(three, fill(three, SCATTERED, k, v), batch(SCATTERED, SEQ, POS), q);
        float[] contiguous = attend(three, fill(three, CONTIGUOUS, k, v), batch(CONTIGUOUS, SEQ, POS), q);
        assertThat(scattered).containsExactly(contiguous);
    }

    @Test
    void eachTokenAloneEqualsItsPlaceInTheBatchAndThreadsAgree() {
        float[][][] k = keys(11);
        float[][][] v = values(11);
        float[] q = TestData.gaussian(12, SEQ.length * HEADS * HK, 1f);
        CpuKvStorage kv = fill(three, SCATTERED, k, v);
        float[] batched = attend(three, kv, batch(SCATTERED, SEQ, POS), q);
        assertThat(attend(one, fill(one, SCATTERED, k, v), batch(SCATTERED, SEQ, POS), q)).containsExactly(batched);
        int qw = HEADS * HK;
        int ow = HEADS * HV;
        for (int t = 0; t < SEQ.length; t++) {
            float[] alone = attend(three, kv, batch(SCATTERED, new int[] {SEQ[t]}, new int[] {POS[t]}),
                    Arrays.copyOfRange(q, t * qw, (t + 1) * qw));
            assertThat(alone).as("token %d", t).containsExactly(Arrays.copyOfRange(batched, t * ow, (t + 1) * ow));
        }
    }

    /**
     * A prompt chunk (sequence 1's positions 2 .. 12, read together in tiles of consecutive
     * positions, one crossing blocks) beside tokens of other sequences: every token's output equals
     * its output alone bit for bit, and the reference; with a window and sinks, in both cache types.
     */
    @ParameterizedTest(name = "window {0}, {1}")
    @org.junit.jupiter.params.provider.CsvSource({"0, F32", "4, F32", "0, F16", "3, F16", "0, Q8_0", "3, Q8_0"})
    void aPromptChunkAttendsAsEachOfItsTokensAlone(int window, KvCacheType type) {
        float[][][] k = keys(61);
        float[][][] v = values(61);
        int[] seq = {0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 0};
        int[] pos = {6, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 5};
        float[] q = TestData.gaussian(62, seq.length * HEADS * HK, 1f);
        float[] sinks = window > 0 ? sinks(63) : null;
        CpuKvStorage kv = fill(three, SCATTERED, k, v, type);
        float[] together = attend(three, kv, batch(SCATTERED, seq, pos).layer(window, sinks), q);
        int qw = HEADS * HK;
        int ow = HEADS * HV;
        for (int t = 0; t < seq.length; t++) {
            float[] alone = attend(one, kv, batch(SCATTERED, new int[] {seq[t]}, new int[] {pos[t]}).layer(window, sinks),
                    Arrays.copyOfRange(q, t * qw, (t + 1) * qw));
            assertThat(Arrays.copyOfRange(together, t * ow, (t + 1) * ow)).as("token %d", t).containsExactly(alone);
        }
        if (type == KvCacheType.F32) {
            TestData.assertClose(together, reference(k, v, seq, pos, q, window, sinks), 2e-5, "prompt chunk");
        }
    }

    @Test
    void longContextStaysAccurate() {
        // One sequence of 1000 positions through 250 blocks in reverse order; large, spread scores.
        int n = 1000;
        int blocks = n / BLOCK_SIZE;
        int[] table = new int[blocks];
        for (int i = 0; i < blocks; i++) {
            table[i] = blocks - 1 - i;
        }
        CpuKvStorage kv = (CpuKvStorage) three.allocateKv(LAYERS, blocks, BLOCK_SIZE, KV_HEADS, KEY_DIM, VALUE_DIM);
        float[][] k = new float[n][];
        float[][] v = new float[n][];
        CpuMatrix km = (CpuMatrix) three.allocate(n, KEY_DIM);
        CpuMatrix vm = (CpuMatrix) three.allocate(n, VALUE_DIM);
        int[] slots = new int[n];
        for (int p = 0; p < n; p++) {
            k[p] = TestData.gaussian(20_000 + p, KEY_DIM, 3f);
            v[p] = TestData.gaussian(30_000 + p, VALUE_DIM, 1f);
            km.writeRow(p, k[p]);
            vm.writeRow(p, v[p]);
            slots[p] = table[p / BLOCK_SIZE] * BLOCK_SIZE + p % BLOCK_SIZE;
        }
        three.storeKv(kv, LAYER, km, vm, slots, n);
        int[] seq = {0, 0};
        int[] pos = {999, 517};
        float[] q = TestData.gaussian(13, 2 * HEADS * HK, 3f);
        float[] actual = attend(three, kv, new AttentionBatch(2, seq, pos, new int[][] {table}, HEADS, KV_HEADS, HK, HV, SCALE), q);
        float[] expected = new float[2 * HEADS * HV];
        for (int t = 0; t < 2; t++) {
            ReferenceOps.attention(q, t * HEADS * HK, k, v, pos[t], HEADS, KV_HEADS, HK, HV, SCALE, expected, t * HEADS * HV);
        }
        TestData.assertClose(actual, expected, 2e-5, "long context");
    }

    @Test
    void rejectsPositionsBeyondTheBlockTable() {
        CpuKvStorage kv = fill(three, SCATTERED, keys(14), values(14));
        float[] q = new float[HEADS * HK];
        assertThatThrownBy(() -> attend(three, kv, batch(SCATTERED, new int[] {0}, new int[] {8}), q))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> attend(three, kv, batch(new int[][] {{16}}, new int[] {0}, new int[] {0}), q))
                .isInstanceOf(IndexOutOfBoundsException.class);
    }

    /**
     * With one KV head and values read from the key rows (latent attention), attention equals the
     * same computation over a value cache holding those parts of the key rows (within float rounding:
     * a cache with values keeps its keys by dimension and sums each score in another order); the
     * keys-only cache keeps no values, and storeKv takes no v for it. In either cache type that stores
     * each element alone (a Q8_0 value cache would scale the values apart from the keys;
     * Q8KvCacheTest holds its keys-only cache to the reference).
     */
    @ParameterizedTest
    @EnumSource(names = {"F32", "F16"})
    void valuesReadFromTheKeyRowsEqualAValueCacheOfThem(KvCacheType type) {
        int heads = 4;
        int hk = 24;
        int offset = 8;
        int hv = 16;
        int positions = 9;
        int[][] tables = {{2, 0, 1}};
        float[][] rows = new float[positions][];
        for (int p = 0; p < positions; p++) {
            rows[p] = TestData.gaussian(700 + p, hk, 1.5f);
        }
        var keysOnly = three.allocateKv(1, 4, BLOCK_SIZE, 1, hk, 0, type);
        var separate = three.allocateKv(1, 4, BLOCK_SIZE, 1, hk, hv, type);
        var k = three.allocate(1, hk);
        var v = three.allocate(1, hv);
        for (int p = 0; p < positions; p++) {
            int slot = tables[0][p / BLOCK_SIZE] * BLOCK_SIZE + p % BLOCK_SIZE;
            k.writeRow(0, rows[p]);
            v.writeRow(0, Arrays.copyOfRange(rows[p], offset, offset + hv));
            three.storeKv(keysOnly, 0, k, null, new int[] {slot}, 1);
            three.storeKv(separate, 0, k, v, new int[] {slot}, 1);
        }
        assertThat(keysOnly.valueDim()).isZero();
        var q = three.allocate(2, heads * hk);
        q.writeRow(0, TestData.gaussian(801, heads * hk, 1f));
        q.writeRow(1, TestData.gaussian(802, heads * hk, 1f));
        int[] sequenceOf = {0, 0};
        int[] positionOf = {4, positions - 1};
        var fromKeys = three.allocate(2, heads * hv);
        var fromValues = three.allocate(2, heads * hv);
        three.attention(q, keysOnly, 0, new AttentionBatch(heads, 1, hk, hv, SCALE, offset)
                .set(2, sequenceOf, positionOf, tables), fromKeys);
        three.attention(q, separate, 0, new AttentionBatch(2, sequenceOf, positionOf, tables, heads, 1, hk, hv, SCALE),
                fromValues);
        float[][] a = new float[2][heads * hv];
        float[][] b = new float[2][heads * hv];
        fromKeys.readRows(0, 2, a);
        fromValues.readRows(0, 2, b);
        assertThat(a[0]).containsExactly(b[0], org.assertj.core.data.Offset.offset(1e-5f));
        assertThat(a[1]).containsExactly(b[1], org.assertj.core.data.Offset.offset(1e-5f));
        assertThatThrownBy(() -> new AttentionBatch(heads, 2, hk, hv, SCALE, offset))
                .hasMessageContaining("one KV head");
        assertThatThrownBy(() -> new AttentionBatch(heads, 1, hk, hv, SCALE, hk - hv + 1))
                .hasMessageContaining("within keys of " + hk);
    }

    // ---- sliding windows and sinks (gpt-oss) -------------------------------------------------------

    /**
     * Windows of 1 (each token sees only itself), narrower than every context, as wide as token 0's
     * 13 positions and token 1's 7, and wider than any: the batch holds a token at position 0 and
     * tokens of three sequences, with GQA.
     */
    @ParameterizedTest(name = "window {0}")
    @ValueSource(ints = {1, 2, 4, 7, 13, 100})
    void slidingWindowsMatchTheReference(int window) {
        float[][][] k = keys(21);
        float[][][] v = values(21);
        float[] q = TestData.gaussian(22, SEQ.length * HEADS * HK, 1f);
        for (CpuBackend b : new CpuBackend[] {one, three}) {
            float[] actual = attend(b, fill(b, SCATTERED, k, v), batch(SCATTERED, SEQ, POS).layer(window, null), q);
            TestData.assertClose(actual, reference(k, v, SEQ, POS, q, window, null), 2e-5, "window " + window);
        }
    }

    /**
     * Chunks (Llama 4's rotated blocks): a token sees its own chunk's positions up to its own, for
     * chunks of 1 (itself alone), 3, 5 and 7 (token 0 at position 12 sees 7..12, token 1 at 6 only
     * itself under 3 and 6), and wider than any context (every position).
     */
    @ParameterizedTest(name = "chunk {0}")
    @ValueSource(ints = {1, 3, 5, 7, 100})
    void chunksMatchTheReference(int chunk) {
        float[][][] k = keys(27);
        float[][][] v = values(27);
        float[] q = TestData.gaussian(28, SEQ.length * HEADS * HK, 1f);
        for (CpuBackend b : new CpuBackend[] {one, three}) {
            float[] actual = attend(b, fill(b, SCATTERED, k, v), batch(SCATTERED, SEQ, POS).chunked(chunk), q);
            TestData.assertClose(actual, reference(k, v, SEQ, POS, q, -chunk, null), 2e-5, "chunk " + chunk);
        }
        CpuKvStorage kv = fill(three, SCATTERED, k, v);
        assertThat(attend(three, kv, batch(SCATTERED, SEQ, POS).chunked(100), q))
                .as("a chunk wider than every context changes nothing").containsExactly(attend(three, kv,
                        batch(SCATTERED, SEQ, POS), q));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> batch(SCATTERED, SEQ, POS).chunked(0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aWindowAsWideAsTheContextChangesNothing() {
        float[][][] k = keys(23);
        float[][][] v = values(23);
        float[] q = TestData.gaussian(24, SEQ.length * HEADS * HK, 1f);
        CpuKvStorage kv = fill(three, SCATTERED, k, v);
        float[] whole = attend(three, kv, batch(SCATTERED, SEQ, POS), q);
        // the longest context is 13 positions (token 0 at position 12)
        assertThat(attend(three, kv, batch(SCATTERED, SEQ, POS).layer(13, null), q)).containsExactly(whole);
        assertThat(attend(three, kv, batch(SCATTERED, SEQ, POS).layer(1000, null), q)).containsExactly(whole);
    }

    @Test
    void windowOfOneReturnsEachTokensOwnValue() {
        float[][][] k = keys(25);
        float[][][] v = values(25);
        float[] q = TestData.gaussian(26, SEQ.length * HEADS * HK, 1f);
        float[] out = attend(three, fill(three, SCATTERED, k, v), batch(SCATTERED, SEQ, POS).layer(1, null), q);
        int group = HEADS / KV_HEADS;
        for (int t = 0; t < SEQ.length; t++) {
            for (int h = 0; h < HEADS; h++) {
                int g = h / group;
                assertThat(Arrays.copyOfRange(out, (t * HEADS + h) * HV, (t * HEADS + h + 1) * HV))
                        .as("token %d head %d", t, h)
                        .containsExactly(Arrays.copyOfRange(v[SEQ[t]][POS[t]], g * HV, (g + 1) * HV));
            }
        }
    }

    /**
     * Keys and values before a token's window are not read at all: NaN there (which any masking
     * by multiplication would carry into the output) leaves every output as it was.
     */
    @Test
    void positionsBeforeTheWindowAreNeverRead() {
        int window = 3;
        float[][][] k = keys(27);
        float[][][] v = values(27);
        float[] q = TestData.gaussian(28, SEQ.length * HEADS * HK, 1f);
        float[] before = attend(three, fill(three, SCATTERED, k, v), batch(SCATTERED, SEQ, POS).layer(window, null), q);
        for (int s = 0; s < LENGTHS.length; s++) {
            int firstSeen = Integer.MAX_VALUE;   // the earliest position any of the sequence's tokens sees
            for (int t = 0; t < SEQ.length; t++) {
                if (SEQ[t] == s) {
                    firstSeen = Math.min(firstSeen, Math.max(0, POS[t] - window + 1));
                }
            }
            for (int p = 0; p < Math.min(firstSeen, LENGTHS[s]); p++) {
                Arrays.fill(k[s][p], Float.NaN);
                Arrays.fill(v[s][p], Float.NaN);
            }
        }
        float[] after = attend(three, fill(three, SCATTERED, k, v), batch(SCATTERED, SEQ, POS).layer(window, null), q);
        assertThat(after).containsExactly(before);
        // and without the window those positions are read
        float[] unwindowed = attend(three, fill(three, SCATTERED, k, v), batch(SCATTERED, SEQ, POS), q);
        assertThat(Float.isNaN(unwindowed[0])).isTrue();
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 3})
    void sinksMatchTheReference(int threads) {
        CpuBackend b = threads == 1 ? one : three;
        float[][][] k = keys(31);
        float[][][] v = values(31);
        float[] q = TestData.gaussian(32, SEQ.length * HEADS * HK, 1f);
        float[] sinks = sinks(33);
        float[] actual = attend(b, fill(b, SCATTERED, k, v), batch(SCATTERED, SEQ, POS).layer(0, sinks), q);
        TestData.assertClose(actual, reference(k, v, SEQ, POS, q, 0, sinks), 2e-5, "sinks");
        // the sinks take weight from the values: outputs shrink, head by head
        float[] plain = attend(b, fill(b, SCATTERED, k, v), batch(SCATTERED, SEQ, POS), q);
        assertThat(TestData.rms(actual)).isLessThan(TestData.rms(plain));
    }

    @Test
    void aVeryLargeSinkDrivesOutputsToZeroAndAVeryNegativeOneChangesNothing() {
        float[][][] k = keys(35);
        float[][][] v = values(35);
        float[] q = TestData.gaussian(36, SEQ.length * HEADS * HK, 1f);
        CpuKvStorage kv = fill(three, SCATTERED, k, v);
        float[] plain = attend(three, kv, batch(SCATTERED, SEQ, POS), q);
        float[] large = new float[HEADS];
        Arrays.fill(large, 1e4f);
        float[] zeroed = attend(three, kv, batch(SCATTERED, SEQ, POS).layer(0, large), q);
        for (float x : zeroed) {
            assertThat(Math.abs(x)).isLessThan(1e-30f);
        }
        // a sink 30 above every score: still a proper softmax, outputs about e^-30 of the plain ones
        float[] high = new float[HEADS];
        Arrays.fill(high, 30f);
        TestData.assertClose(attend(three, kv, batch(SCATTERED, SEQ, POS).layer(0, high), q),
                reference(k, v, SEQ, POS, q, 0, high), 2e-5, "sink of 30");
        for (float low : new float[] {-1e4f, -1e30f, Float.NEGATIVE_INFINITY}) {
            float[] sinks = new float[HEADS];
            Arrays.fill(sinks, low);
            assertThat(attend(three, kv, batch(SCATTERED, SEQ, POS).layer(0, sinks), q)).as("sink %s", low)
                    .containsExactly(plain);
        }
    }

    /** Query heads sharing a KV head, with the same query, differ only where their sinks do. */
    @Test
    void eachQueryHeadHasItsOwnSink() {
        float[][][] k = keys(37);
        float[][][] v = values(37);
        float[] q = new float[HEADS * HK];
        float[] same = TestData.gaussian(38, HK, 1f);
        for (int h = 0; h < HEADS; h++) {
            System.arraycopy(same, 0, q, h * HK, HK);
        }
        float[] sinks = {0.5f, 0.5f, 2f, -1f, -1f, -1f};
        float[] out = attend(three, fill(three, SCATTERED, k, v),
                batch(SCATTERED, new int[] {1}, new int[] {12}).layer(0, sinks), q);
        float[][] head = new float[HEADS][];
        for (int h = 0; h < HEADS; h++) {
            head[h] = Arrays.copyOfRange(out, h * HV, (h + 1) * HV);
        }
        assertThat(head[1]).containsExactly(head[0]);
        assertThat(head[2]).isNotEqualTo(head[0]);
        assertThat(head[4]).containsExactly(head[3]);
        assertThat(head[5]).containsExactly(head[3]);
    }

    @ParameterizedTest(name = "window {0}")
    @ValueSource(ints = {1, 3, 4, 13})
    void windowsAndSinksTogetherMatchTheReference(int window) {
        float[][][] k = keys(41);
        float[][][] v = values(41);
        float[] q = TestData.gaussian(42, SEQ.length * HEADS * HK, 1f);
        float[] sinks = sinks(43);
        float[] expected = reference(k, v, SEQ, POS, q, window, sinks);
        for (CpuBackend b : new CpuBackend[] {one, three}) {
            float[] actual = attend(b, fill(b, SCATTERED, k, v), batch(SCATTERED, SEQ, POS).layer(window, sinks), q);
            TestData.assertClose(actual, expected, 2e-5, "window " + window + " with sinks");
        }
        // the same settings with contiguous blocks, and each token alone: the same numbers
        CpuKvStorage kv = fill(three, SCATTERED, k, v);
        float[] batched = attend(three, kv, batch(SCATTERED, SEQ, POS).layer(window, sinks), q);
        assertThat(attend(three, fill(three, CONTIGUOUS, k, v), batch(CONTIGUOUS, SEQ, POS).layer(window, sinks), q))
                .containsExactly(batched);
        int qw = HEADS * HK;
        int ow = HEADS * HV;
        for (int t = 0; t < SEQ.length; t++) {
            AttentionBatch alone = batch(SCATTERED, new int[] {SEQ[t]}, new int[] {POS[t]}).layer(window, sinks);
            assertThat(attend(three, kv, alone, Arrays.copyOfRange(q, t * qw, (t + 1) * qw))).as("token %d", t)
                    .containsExactly(Arrays.copyOfRange(batched, t * ow, (t + 1) * ow));
        }
    }

    /**
     * gpt-oss's shape of layer over a long context: a window of 128 (crossing block boundaries at
     * both ends) and sinks, a prefill chunk's tokens and decode positions, in 250 reversed blocks.
     */
    @Test
    void longContextUnderAWindowWithSinksStaysAccurate() {
        int n = 1000;
        int blocks = n / BLOCK_SIZE;
        int[] table = new int[blocks];
        for (int i = 0; i < blocks; i++) {
            table[i] = blocks - 1 - i;
        }
        CpuKvStorage kv = (CpuKvStorage) three.allocateKv(LAYERS, blocks, BLOCK_SIZE, KV_HEADS, KEY_DIM, VALUE_DIM);
        float[][] k = new float[n][];
        float[][] v = new float[n][];
        CpuMatrix km = (CpuMatrix) three.allocate(n, KEY_DIM);
        CpuMatrix vm = (CpuMatrix) three.allocate(n, VALUE_DIM);
        int[] slots = new int[n];
        for (int p = 0; p < n; p++) {
            k[p] = TestData.gaussian(40_000 + p, KEY_DIM, 3f);
            v[p] = TestData.gaussian(50_000 + p, VALUE_DIM, 1f);
            km.writeRow(p, k[p]);
            vm.writeRow(p, v[p]);
            slots[p] = table[p / BLOCK_SIZE] * BLOCK_SIZE + p % BLOCK_SIZE;
        }
        three.storeKv(kv, LAYER, km, vm, slots, n);
        int[] pos = {999, 517, 518, 519, 126, 127, 128, 0};
        int[] seq = new int[pos.length];
        float[] q = TestData.gaussian(44, pos.length * HEADS * HK, 3f);
        float[] sinks = sinks(45);
        AttentionBatch batch = new AttentionBatch(pos.length, seq, pos, new int[][] {table}, HEADS, KV_HEADS, HK, HV,
                SCALE).layer(128, sinks);
        float[] actual = attend(three, kv, batch, q);
        float[] expected = new float[pos.length * HEADS * HV];
        for (int t = 0; t < pos.length; t++) {
            ReferenceOps.attention(q, t * HEADS * HK, k, v, pos[t], HEADS, KV_HEADS, HK, HV, SCALE, 128, sinks,
                    expected, t * HEADS * HV);
        }
        TestData.assertClose(actual, expected, 2e-5, "long context, window 128 with sinks");
    }

    /** Latent attention's values, read from the key rows, under a window and with sinks. */
    @Test
    void valuesReadFromTheKeyRowsUnderAWindowWithSinksMatchTheReference() {
        int heads = 4;
        int hk = 24;
        int offset = 8;
        int hv = 16;
        int positions = 11;
        int[][] tables = {{2, 0, 1}};
        float[][] rows = new float[positions][];
        float[][] valueRows = new float[positions][];
        var kv = three.allocateKv(1, 4, BLOCK_SIZE, 1, hk, 0);
        var k = three.allocate(1, hk);
        for (int p = 0; p < positions; p++) {
            rows[p] = TestData.gaussian(900 + p, hk, 1.5f);
            valueRows[p] = Arrays.copyOfRange(rows[p], offset, offset + hv);
            k.writeRow(0, rows[p]);
            three.storeKv(kv, 0, k, null, new int[] {tables[0][p / BLOCK_SIZE] * BLOCK_SIZE + p % BLOCK_SIZE}, 1);
        }
        int[] positionOf = {0, 4, 5, positions - 1};
        int tokens = positionOf.length;
        float[] q = TestData.gaussian(901, tokens * heads * hk, 1f);
        var qm = three.allocate(tokens, heads * hk);
        for (int t = 0; t < tokens; t++) {
            qm.writeRow(t, Arrays.copyOfRange(q, t * heads * hk, (t + 1) * heads * hk));
        }
        float[] sinks = TestData.gaussian(902, heads, 1f);
        var out = three.allocate(tokens, heads * hv);
        three.attention(qm, kv, 0, new AttentionBatch(heads, 1, hk, hv, SCALE, offset)
                .set(tokens, new int[tokens], positionOf, tables).layer(5, sinks), out);
        float[][] rowsOut = new float[tokens][heads * hv];
        out.readRows(0, tokens, rowsOut);
        float[] actual = new float[tokens * heads * hv];
        float[] expected = new float[tokens * heads * hv];
        for (int t = 0; t < tokens; t++) {
            System.arraycopy(rowsOut[t], 0, actual, t * heads * hv, heads * hv);
            ReferenceOps.attention(q, t * heads * hk, rows, valueRows, positionOf[t], heads, 1, hk, hv, SCALE, 5, sinks,
                    expected, t * heads * hv);
        }
        TestData.assertClose(actual, expected, 2e-5, "values in the keys, window 5, sinks");
    }

    /**
     * A block holds each KV head's rows as one run: head g's keys of a block's slots follow each
     * other, then head g + 1's; every element written lands in exactly one place, and attention
     * refuses a batch whose KV heads are not the cache's.
     */
    @Test
    void eachKvHeadsRowsOfABlockAreOneRun() {
        CpuKvStorage kv = (CpuKvStorage) three.allocateKv(1, 3, BLOCK_SIZE, KV_HEADS, KEY_DIM, VALUE_DIM);
        assertThat(kv.keysByDimension()).isTrue();
        for (int g = 0; g < KV_HEADS; g++) {
            for (int o = 0; o + 1 < BLOCK_SIZE; o++) {
                int slot = BLOCK_SIZE + o;   // block 1
                // keys: a dimension of the block's slots side by side, the next dimension a block on
                assertThat(kv.keyIndex(slot + 1, g, 0)).isEqualTo(kv.keyIndex(slot, g, 0) + 1);
                assertThat(kv.keyIndex(slot, g, 1)).isEqualTo(kv.keyIndex(slot, g, 0) + BLOCK_SIZE);
                assertThat(kv.valueOffset(slot + 1, g)).isEqualTo(kv.valueOffset(slot, g) + HV);
            }
            assertThat(kv.keyIndex(BLOCK_SIZE, g, 0)).isEqualTo((KV_HEADS + g) * BLOCK_SIZE * HK);
        }
        var k = three.allocate(3 * BLOCK_SIZE, KEY_DIM);
        var v = three.allocate(3 * BLOCK_SIZE, VALUE_DIM);
        int[] slots = new int[3 * BLOCK_SIZE];
        for (int t = 0; t < slots.length; t++) {
            float[] row = new float[KEY_DIM];
            java.util.Arrays.fill(row, t + 1);
            k.writeRow(t, row);
            v.writeRow(t, java.util.Arrays.copyOf(row, VALUE_DIM));
            slots[t] = slots.length - 1 - t;
        }
        three.storeKv(kv, 0, k, v, slots, slots.length);
        int[] seen = new int[slots.length + 1];
        for (float x : kv.keys(0)) {
            seen[(int) x]++;
        }
        for (int t = 1; t <= slots.length; t++) {
            assertThat(seen[t]).as("token %d's keys", t - 1).isEqualTo(KEY_DIM);
        }
        assertThat(kv.keys(0)[kv.keyIndex(slots[5], 1, 3)]).isEqualTo(6f);
        // the same widths read as one KV head would take other heads' rows for its own
        var q = three.allocate(1, HEADS * KEY_DIM);
        var out = three.allocate(1, HEADS * VALUE_DIM);
        AttentionBatch oneHead = new AttentionBatch(1, new int[] {0}, new int[] {0}, new int[][] {{0}}, HEADS, 1, KEY_DIM,
                VALUE_DIM, SCALE);
        assertThatThrownBy(() -> three.attention(q, kv, 0, oneHead, out))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("attention shapes");
    }

    // ---- an F16 cache ------------------------------------------------------------------------------

    private static float[][][] roundedToHalves(float[][][] x) {
        float[][][] r = new float[x.length][][];
        for (int s = 0; s < x.length; s++) {
            r[s] = new float[x[s].length][];
            for (int p = 0; p < x[s].length; p++) {
                r[s][p] = new float[x[s][p].length];
                for (int i = 0; i < x[s][p].length; i++) {
                    r[s][p][i] = Float.float16ToFloat(Float.floatToFloat16(x[s][p][i]));
                }
            }
        }
        return r;
    }

    /** Each stored key and value is the nearest half of what was written, in its slot. */
    @Test
    void anF16CacheHoldsTheNearestHalfOfEachKeyAndValue() {
        float[][][] k = keys(41);
        float[][][] v = values(41);
        CpuKvStorage kv = fill(three, SCATTERED, k, v, KvCacheType.F16);
        assertThat(kv.type()).isEqualTo(KvCacheType.F16);
        short[] keys = kv.halfKeys(LAYER);
        short[] values = kv.halfValues(LAYER);
        for (int s = 0; s < LENGTHS.length; s++) {
            for (int p = 0; p < LENGTHS[s]; p++) {
                int slot = SCATTERED[s][p / BLOCK_SIZE] * BLOCK_SIZE + p % BLOCK_SIZE;
                for (int i = 0; i < KEY_DIM; i++) {
                    assertThat(keys[kv.keyIndex(slot, i / HK, i % HK)]).isEqualTo(Float.floatToFloat16(k[s][p][i]));
                }
                for (int i = 0; i < VALUE_DIM; i++) {
                    assertThat(values[kv.valueOffset(slot, i / HV) + i % HV]).isEqualTo(Float.floatToFloat16(v[s][p][i]));
                }
            }
        }
        assertThatThrownBy(() -> kv.keys(LAYER)).hasMessageContaining("holds f16, not f32");
        CpuKvStorage floats = fill(three, SCATTERED, k, v);
        assertThatThrownBy(() -> floats.halfValues(LAYER)).hasMessageContaining("holds f32, not f16");
    }

    /**
     * Over keys and values that are halves already, an F16 cache and a float one give the same
     * output bit for bit, with GQA, a window and sinks, on one thread and three: the half kernels
     * widen exactly and keep the float kernels' order of operations.
     */
    @ParameterizedTest(name = "window {0}")
    @ValueSource(ints = {0, 4})
    void anF16CacheOfHalvesAttendsExactlyAsAFloatCacheOfThem(int window) {
        float[][][] k = roundedToHalves(keys(43));
        float[][][] v = roundedToHalves(values(43));
        float[] q = TestData.gaussian(44, SEQ.length * HEADS * HK, 1f);
        float[] sinks = window > 0 ? sinks(45) : null;
        for (CpuBackend b : new CpuBackend[] {one, three}) {
            float[] halves = attend(b, fill(b, SCATTERED, k, v, KvCacheType.F16),
                    batch(SCATTERED, SEQ, POS).layer(window, sinks), q);
            float[] floats = attend(b, fill(b, SCATTERED, k, v), batch(SCATTERED, SEQ, POS).layer(window, sinks), q);
            assertThat(halves).containsExactly(floats);
        }
    }

    /**
     * Over any keys and values, an F16 cache matches the double reference over their halves within
     * the float kernels' own tolerance, and the reference over the unrounded ones within what the
     * rounding costs (a half keeps 11 significant bits).
     */
    @Test
    void anF16CacheMatchesTheReferenceOverItsHalves() {
        float[][][] k = keys(47);
        float[][][] v = values(47);
        float[] q = TestData.gaussian(48, SEQ.length * HEADS * HK, 1f);
        float[] actual = attend(three, fill(three, SCATTERED, k, v, KvCacheType.F16), batch(SCATTERED, SEQ, POS), q);
        TestData.assertClose(actual, reference(roundedToHalves(k), roundedToHalves(v), SEQ, POS, q), 2e-5, "over halves");
        TestData.assertClose(actual, reference(k, v, SEQ, POS, q), 3e-3, "over the floats written");
    }
}
