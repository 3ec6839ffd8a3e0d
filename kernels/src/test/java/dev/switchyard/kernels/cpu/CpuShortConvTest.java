package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.kernels.AttentionBatch;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvStorage;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LFM2's short convolution over rows cached in paged blocks, against a literal sum in double: two
 * sequences whose blocks lie out of order in the pool, tokens at their first positions (where the
 * window reaches before position 0), across block edges and at the ends of their tables, rows 300
 * wide (past any vector width), on one thread and three.
 */
class CpuShortConvTest {

    private static final int WIDTH = 300;
    private static final int BLOCK = 4;
    private static final int BLOCKS = 6;
    private static final int LENGTH = 3;
    private static final int[][] TABLES = {{3, 0, 5}, {1, 4}};
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

    /** Row values of every slot of the pool (slot-major), the same on each run. */
    static float[] poolRows() {
        return TestData.gaussian(41, BLOCKS * BLOCK * WIDTH, 1.5f);
    }

    /** The pool's rows into layer 1 of a float cache of two layers (layer 0 left zero). */
    private static KvStorage stored(CpuBackend b, float[] rows) {
        KvStorage kv = b.allocateKv(2, BLOCKS, BLOCK, 1, WIDTH, 0, KvCacheType.F32);
        int slots = BLOCKS * BLOCK;
        int[] all = new int[slots];
        for (int s = 0; s < slots; s++) {
            all[s] = s;
        }
        CpuMatrix m = (CpuMatrix) b.allocate(slots, WIDTH);
        System.arraycopy(rows, 0, m.data(), 0, rows.length);
        b.storeKv(kv, 1, m, null, all, slots);
        return kv;
    }

    @Test
    void eachTokenWeighsTheRowsOfItsLastPositionsTapByTap() {
        float[] rows = poolRows();
        float[] taps = TestData.gaussian(42, LENGTH * WIDTH, 0.7f);
        int[] seq = {0, 0, 0, 0, 1, 1, 1};
        int[] pos = {0, 1, 5, 11, 2, 4, 7};
        AttentionBatch batch = new AttentionBatch(seq.length, seq, pos, TABLES, 1, 1, WIDTH, WIDTH, 1f);
        float[] expected = new float[seq.length * WIDTH];
        for (int t = 0; t < seq.length; t++) {
            for (int c = 0; c < WIDTH; c++) {
                double sum = 0;
                for (int j = 0; j < LENGTH; j++) {
                    int q = pos[t] - LENGTH + 1 + j;
                    if (q >= 0) {
                        int slot = TABLES[seq[t]][q / BLOCK] * BLOCK + q % BLOCK;
                        sum += (double) taps[j * WIDTH + c] * rows[slot * WIDTH + c];
                    }
                }
                expected[t * WIDTH + c] = (float) sum;
            }
        }
        float[] first = null;
        for (CpuBackend b : new CpuBackend[] {one, three}) {
            KvStorage kv = stored(b, rows);
            CpuMatrix out = (CpuMatrix) b.allocate(seq.length + 2, WIDTH);
            b.shortConv(kv, 1, batch, taps, LENGTH, out);
            float[] actual = Arrays.copyOf(out.data(), seq.length * WIDTH);
            TestData.assertClose(actual, expected, 1e-6, "shortConv");
            assertThat(Arrays.copyOfRange(out.data(), seq.length * WIDTH, out.data().length))
                    .as("rows past the step's tokens").containsOnly(0f);
            if (first != null) {
                assertThat(actual).as("one thread and three").containsExactly(first);
            }
            first = actual;
            kv.close();
        }
    }

    @Test
    void rowsOutsideATokensWindowDoNotReachIt() {
        float[] rows = poolRows();
        float[] taps = TestData.gaussian(43, LENGTH * WIDTH, 0.7f);
        int[] seq = {0};
        int[] pos = {6};
        AttentionBatch batch = new AttentionBatch(1, seq, pos, TABLES, 1, 1, WIDTH, WIDTH, 1f);
        KvStorage kv = stored(one, rows);
        CpuMatrix out = (CpuMatrix) one.allocate(1, WIDTH);
        one.shortConv(kv, 1, batch, taps, LENGTH, out);
        float[] before = out.data().clone();
        // position 3 (one before the window of 6) and position 7 (after it) change
        float[] changed = rows.clone();
        for (int q : new int[] {3, 7}) {
            int slot = TABLES[0][q / BLOCK] * BLOCK + q % BLOCK;
            Arrays.fill(changed, slot * WIDTH, (slot + 1) * WIDTH, 100f);
        }
        KvStorage other = stored(one, changed);
        one.shortConv(other, 1, batch, taps, LENGTH, out);
        assertThat(out.data()).containsExactly(before);
        kv.close();
        other.close();
    }

    @Test
    void refusesRowsItCannotReadAsOneFloatHead() {
        float[] taps = new float[LENGTH * WIDTH];
        int[] seq = {0};
        int[] pos = {2};
        AttentionBatch batch = new AttentionBatch(1, seq, pos, TABLES, 1, 1, WIDTH, WIDTH, 1f);
        CpuMatrix out = (CpuMatrix) one.allocate(1, WIDTH);
        try (KvStorage half = one.allocateKv(1, BLOCKS, BLOCK, 1, WIDTH, 0, KvCacheType.F16);
             KvStorage withValues = one.allocateKv(1, BLOCKS, BLOCK, 1, WIDTH, WIDTH, KvCacheType.F32);
             KvStorage rows = one.allocateKv(1, BLOCKS, BLOCK, 1, WIDTH, 0, KvCacheType.F32)) {
            assertThatThrownBy(() -> one.shortConv(half, 0, batch, taps, LENGTH, out))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("F16");
            assertThatThrownBy(() -> one.shortConv(withValues, 0, batch, taps, LENGTH, out))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("shortConv shapes");
            assertThatThrownBy(() -> one.shortConv(rows, 0, batch, new float[WIDTH], LENGTH, out))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("taps");
            int[] beyond = {12};
            AttentionBatch far = new AttentionBatch(1, seq, beyond, TABLES, 1, 1, WIDTH, WIDTH, 1f);
            assertThatThrownBy(() -> one.shortConv(rows, 0, far, taps, LENGTH, out))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("beyond its block table");
        }
    }
}
