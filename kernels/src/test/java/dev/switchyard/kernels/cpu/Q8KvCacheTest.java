package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.kernels.AttentionBatch;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvQ8;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A Q8_0 KV cache on the CPU: it holds each group of a KV head's keys and values as {@link KvQ8}
 * quantizes it, at the places {@link CpuKvStorage} documents, and attention over it equals the
 * double reference over what it holds ({@link KvQ8#roundTrip}) within the float kernels' own
 * tolerance, for block sizes that take the vector paths and the scalar tails, heads whose width is
 * not a multiple of 32, grouped-query heads, windows and sinks, and keys whose rows are also the
 * values (latent attention).
 */
class Q8KvCacheTest {

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

    /** One test's cache shape and its sequences' rows. */
    private record Shape(int blockSize, int heads, int kvHeads, int hk, int hv, int[] lengths, int[][] tables) {

        int keyDim() {
            return kvHeads * hk;
        }

        int valueDim() {
            return kvHeads * hv;
        }

        int blocks() {
            return Arrays.stream(tables).flatMapToInt(Arrays::stream).max().orElse(0) + 1;
        }

        int slot(int s, int p) {
            return tables[s][p / blockSize] * blockSize + p % blockSize;
        }

        float[][][] rows(long seed, int width, float sigma) {
            float[][][] r = new float[lengths.length][][];
            for (int s = 0; s < lengths.length; s++) {
                r[s] = new float[lengths[s]][];
                for (int p = 0; p < lengths[s]; p++) {
                    r[s][p] = TestData.gaussian(seed * 1000 + s * 100 + p, width, sigma);
                }
            }
            return r;
        }
    }

    /** Sequences of 3, 2 blocks and a bit, and 1 position, their blocks scattered over the cache. */
    private static Shape shape(int blockSize, int heads, int kvHeads, int hk, int hv) {
        int[] lengths = {3, 2 * blockSize + 3, 1};
        int[][] tables = {{4}, {1, 5, 0}, {2}};
        return new Shape(blockSize, heads, kvHeads, hk, hv, lengths, tables);
    }

    private static CpuKvStorage fill(CpuBackend b, Shape sh, float[][][] k, float[][][] v) {
        CpuKvStorage kv = (CpuKvStorage) b.allocateKv(2, sh.blocks(), sh.blockSize(), sh.kvHeads(), sh.keyDim(),
                v == null ? 0 : sh.valueDim(), KvCacheType.Q8_0);
        for (int s = 0; s < sh.lengths().length; s++) {
            int n = sh.lengths()[s];
            FloatMatrix km = b.allocate(n, sh.keyDim());
            FloatMatrix vm = v == null ? null : b.allocate(n, sh.valueDim());
            int[] slots = new int[n];
            for (int p = 0; p < n; p++) {
                km.writeRow(p, k[s][p]);
                if (vm != null) {
                    vm.writeRow(p, v[s][p]);
                }
                slots[p] = sh.slot(s, p);
            }
            b.storeKv(kv, 1, km, vm, slots, n);
        }
        return kv;
    }

    private static float[][][] roundTrip(float[][][] x, int heads) {
        float[][][] r = new float[x.length][][];
        for (int s = 0; s < x.length; s++) {
            r[s] = new float[x[s].length][];
            for (int p = 0; p < x[s].length; p++) {
                r[s][p] = KvQ8.roundTrip(x[s][p], heads);
            }
        }
        return r;
    }

    /** Every position of every sequence, as one batch. */
    private static AttentionBatch everyPosition(Shape sh, float scale, int window, float[] sinks) {
        int tokens = Arrays.stream(sh.lengths()).sum();
        int[] seq = new int[tokens];
        int[] pos = new int[tokens];
        for (int s = 0, t = 0; s < sh.lengths().length; s++) {
            for (int p = 0; p < sh.lengths()[s]; p++, t++) {
                seq[t] = s;
                pos[t] = p;
            }
        }
        return new AttentionBatch(tokens, seq, pos, sh.tables(), sh.heads(), sh.kvHeads(), sh.hk(), sh.hv(), scale)
                .layer(window, sinks);
    }

    private static float[] attend(CpuBackend b, CpuKvStorage kv, AttentionBatch batch, float[] q, int qCols,
                                  int outCols) {
        FloatMatrix qm = b.allocate(batch.tokens(), qCols);
        float[] row = new float[qCols];
        for (int t = 0; t < batch.tokens(); t++) {
            System.arraycopy(q, t * qCols, row, 0, qCols);
            qm.writeRow(t, row);
        }
        FloatMatrix out = b.allocate(batch.tokens(), outCols);
        b.attention(qm, kv, 1, batch, out);
        float[][] rows = new float[batch.tokens()][outCols];
        out.readRows(0, batch.tokens(), rows);
        float[] flat = new float[batch.tokens() * outCols];
        for (int t = 0; t < rows.length; t++) {
            System.arraycopy(rows[t], 0, flat, t * outCols, outCols);
        }
        return flat;
    }

    private static float[] reference(Shape sh, float[][][] k, float[][][] v, AttentionBatch batch, float[] q,
                                     float scale, int window, float[] sinks) {
        float[] out = new float[batch.tokens() * sh.heads() * sh.hv()];
        for (int t = 0; t < batch.tokens(); t++) {
            int s = batch.sequenceOf()[t];
            ReferenceOps.attention(q, t * sh.heads() * sh.hk(), k[s], v[s], batch.positionOf()[t], sh.heads(),
                    sh.kvHeads(), sh.hk(), sh.hv(), scale, window, sinks, out, t * sh.heads() * sh.hv());
        }
        return out;
    }

    /** Keys by dimension and value rows, with a partial last group (40 = 32 + 8), at their documented places. */
    @Test
    void eachGroupIsStoredAsKvQ8QuantizesIt() {
        Shape sh = shape(4, 4, 2, 40, 40);
        float[][][] k = sh.rows(11, sh.keyDim(), 2f);
        float[][][] v = sh.rows(12, sh.valueDim(), 1f);
        CpuKvStorage kv = fill(three, sh, k, v);
        assertThat(kv.keyGroups()).isEqualTo(2);
        byte[] expected = new byte[KvQ8.GROUP];
        for (int s = 0; s < sh.lengths().length; s++) {
            for (int p = 0; p < sh.lengths()[s]; p++) {
                int slot = sh.slot(s, p);
                for (int g = 0; g < sh.kvHeads(); g++) {
                    for (int j = 0; j < 2; j++) {
                        int d = j * KvQ8.GROUP;
                        int n = Math.min(KvQ8.GROUP, 40 - d);
                        short scale = KvQ8.quantize(k[s][p], g * 40 + d, n, expected, 0, 1);
                        assertThat(kv.keyScales(1)[kv.keyScaleIndex(slot, g, j)]).isEqualTo(scale);
                        for (int i = 0; i < n; i++) {
                            assertThat(kv.quantKeys(1)[kv.keyIndex(slot, g, d + i)]).isEqualTo(expected[i]);
                        }
                        scale = KvQ8.quantize(v[s][p], g * 40 + d, n, expected, 0, 1);
                        assertThat(kv.valueScales(1)[kv.valueScaleIndex(slot, g, j)]).isEqualTo(scale);
                        for (int i = 0; i < n; i++) {
                            assertThat(kv.quantValues(1)[kv.valueOffset(slot, g) + d + i]).isEqualTo(expected[i]);
                        }
                    }
                }
            }
        }
        assertThatThrownBy(() -> kv.halfKeys(1)).hasMessageContaining("holds q8_0, not f16");
    }

    /**
     * Block sizes 4 (scalar tails), 16 (the server's; vectors) and 32; heads of 24 (one short
     * group), 40, 64 and 128; grouped-query heads; windows and sinks. On one thread and three.
     */
    @ParameterizedTest(name = "blocks of {0}, {1} over {2} heads of {3}/{4}, window {5}")
    @CsvSource({
        "4, 6, 2, 24, 20, 0",
        "16, 8, 2, 64, 64, 0",
        "16, 8, 2, 64, 64, 5",
        "16, 4, 4, 40, 72, 0",
        "32, 8, 1, 128, 128, 7",
    })
    void attentionMatchesTheReferenceOverWhatTheCacheHolds(int blockSize, int heads, int kvHeads, int hk, int hv,
                                                           int window) {
        Shape sh = shape(blockSize, heads, kvHeads, hk, hv);
        float[][][] k = sh.rows(21, sh.keyDim(), 2f);
        float[][][] v = sh.rows(22, sh.valueDim(), 1f);
        float scale = (float) (1 / Math.sqrt(hk));
        float[] sinks = window > 0 ? TestData.gaussian(23, heads, 1.5f) : null;
        AttentionBatch batch = everyPosition(sh, scale, window, sinks);
        float[] q = TestData.gaussian(24, batch.tokens() * heads * hk, 1f);
        float[] held = reference(sh, roundTrip(k, kvHeads), roundTrip(v, kvHeads), batch, q, scale, window, sinks);
        float[] written = reference(sh, k, v, batch, q, scale, window, sinks);
        for (CpuBackend b : new CpuBackend[] {one, three}) {
            float[] actual = attend(b, fill(b, sh, k, v), batch, q, heads * hk, heads * hv);
            TestData.assertClose(actual, held, 2e-5, "over what the cache holds");
            // quantizing keys shifts the scores; averaged values are small, so the relative error looks large
            TestData.assertClose(actual, written, 0.15, "over the floats written");
            assertThat(TestData.maxAbsDiff(actual, written) / TestData.rms(written))
                    .as("the cache really quantizes").isGreaterThan(1e-4);
        }
    }

    /**
     * Latent attention's cache keeps key rows alone and reads the values from them: the values are
     * the quantized key rows' elements, scaled by the groups those elements belong to (here values
     * from element 8 of 72-wide rows, across the groups' edges).
     */
    @Test
    void aKeysOnlyCacheReadsItsValuesFromTheQuantizedKeyRows() {
        int heads = 4;
        int hk = 72;
        int offset = 8;
        int hv = 48;
        Shape sh = shape(16, heads, 1, hk, hv);
        float[][][] k = sh.rows(31, hk, 1.5f);
        float scale = 0.2f;
        CpuKvStorage kv = fill(three, sh, k, null);
        assertThat(kv.valueDim()).isZero();
        assertThat(kv.keysByDimension()).isFalse();
        float[][][] held = roundTrip(k, 1);
        float[][][] values = new float[held.length][][];
        for (int s = 0; s < held.length; s++) {
            values[s] = new float[held[s].length][];
            for (int p = 0; p < held[s].length; p++) {
                values[s][p] = Arrays.copyOfRange(held[s][p], offset, offset + hv);
            }
        }
        AttentionBatch all = everyPosition(sh, scale, 0, null);
        AttentionBatch batch = new AttentionBatch(heads, 1, hk, hv, scale, offset)
                .set(all.tokens(), all.sequenceOf(), all.positionOf(), sh.tables());
        float[] q = TestData.gaussian(32, batch.tokens() * heads * hk, 1f);
        float[] actual = attend(three, kv, batch, q, heads * hk, heads * hv);
        TestData.assertClose(actual, reference(sh, held, values, batch, q, scale, 0, null), 2e-5,
                "over the quantized key rows");
    }
}
