package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.switchyard.kernels.Backend;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code topRows} against a sort of the whole row and a log-sum written here: the best tokens in the
 * sampler's order (larger logit first, lower id among equals, -0 equal to +0), each one's logit as
 * it is in the row, {@code ln sum exp(l - max)}, and -1 for rows a sampler must see (NaN,
 * +infinity, all masked), each row on its own.
 */
class TopRowsTest {

    private static CpuBackend cpu;

    @BeforeAll
    static void start() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        cpu.close();
    }

    static CpuMatrix rows(float[]... rows) {
        CpuMatrix m = (CpuMatrix) cpu.allocate(rows.length, rows[0].length);
        for (int r = 0; r < rows.length; r++) {
            m.writeRow(r, rows[r]);
        }
        return m;
    }

    /** Every id of the row, best first: larger logit (compared with >), then lower id. */
    static int[] sortedIds(float[] row) {
        Comparator<Integer> byLogit = (a, b) -> row[a] > row[b] ? -1 : row[b] > row[a] ? 1 : 0;
        return IntStream.range(0, row.length).boxed().sorted(byLogit.thenComparing(Integer::intValue))
                .mapToInt(Integer::intValue).toArray();
    }

    static double referenceLogZ(float[] row) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : row) {
            max = Math.max(max, l);
        }
        double z = 0;
        for (float l : row) {
            z += Math.exp(l - max);
        }
        return Math.log(z);
    }

    @Test
    void findsTheBestTokensInTheSamplersOrderWithTheRowsLogSum() {
        float[] random = TestData.gaussian(5, 32000, 4f);
        float[] tied = new float[32000];
        Arrays.fill(tied, -2f);
        tied[31000] = 7f;
        tied[900] = 7f;
        tied[20000] = 7f;
        float[] zeros = new float[32000];
        Arrays.fill(zeros, -1f);
        zeros[41] = 0.0f;
        zeros[40] = -0.0f;
        float[][] in = {random, tied, zeros};
        for (int count : new int[] {1, 2, 5, 40, Backend.MAX_TOP_ROWS}) {
            int[] ids = new int[3 * count];
            float[] values = new float[3 * count];
            double[] logZ = new double[3];
            cpu.topRows(rows(in), 3, count, ids, values, logZ);
            for (int r = 0; r < 3; r++) {
                int[] expected = Arrays.copyOf(sortedIds(in[r]), count);
                assertThat(Arrays.copyOfRange(ids, r * count, (r + 1) * count)).as("row %d, %d best", r, count)
                        .containsExactly(expected);
                for (int j = 0; j < count; j++) {
                    assertThat(Float.floatToRawIntBits(values[r * count + j]))
                            .isEqualTo(Float.floatToRawIntBits(in[r][expected[j]]));
                }
                assertThat(logZ[r]).as("row %d", r).isCloseTo(referenceLogZ(in[r]), within(1e-12));
            }
            assertThat(ids[count]).isEqualTo(900);
            assertThat(ids[2 * count]).isEqualTo(40);
        }
        int[] ids = new int[5];
        cpu.topRows(rows(tied), 1, 5, ids, new float[5], new double[1]);
        assertThat(ids).containsExactly(900, 20000, 31000, 0, 1); // ties at the cut: the lowest ids
    }

    @Test
    void rowsASamplerMustSeeGetNoTokens() {
        float[] nan = {0f, Float.NaN, 1f, 2f};
        float[] infinite = {0f, 1f, Float.POSITIVE_INFINITY, 2f};
        float[] ninf = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        float[] oneLeft = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, -30f, Float.NEGATIVE_INFINITY};
        int[] ids = new int[12];
        float[] values = new float[12];
        double[] logZ = new double[4];
        cpu.topRows(rows(nan, infinite, ninf, oneLeft), 4, 3, ids, values, logZ);
        assertThat(new int[] {ids[0], ids[3], ids[6]}).containsOnly(-1);
        assertThat(Arrays.copyOf(logZ, 3)).containsOnly(Double.NaN);
        assertThat(Arrays.copyOfRange(ids, 9, 12)).containsExactly(2, 0, 1);
        assertThat(Arrays.copyOfRange(values, 9, 12)).containsExactly(-30f, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY);
        assertThat(logZ[3]).isEqualTo(0.0);
    }

    @Test
    void rowsNotWantedAreLeftUnsettled() {
        float[] a = {1f, 3f, 2f};
        float[] b = {4f, 2f, 9f};
        int[] ids = new int[4];
        double[] logZ = new double[2];
        cpu.topRows(rows(a, b), 2, 2, new int[] {0, 2}, ids, new float[4], logZ);
        assertThat(ids[0]).isEqualTo(-1);
        assertThat(logZ[0]).isNaN();
        assertThat(Arrays.copyOfRange(ids, 2, 4)).containsExactly(2, 0);
        assertThat(logZ[1]).isCloseTo(referenceLogZ(b), within(1e-12));
        assertThatThrownBy(() -> cpu.topRows(rows(a, b), 2, 1, new int[1], new int[2], new float[2], new double[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1 wanted");
    }

    @Test
    void onlyTheRowsAskedForAreWritten() {
        int[] ids = {-5, -5};
        double[] logZ = {9, 9};
        cpu.topRows(rows(new float[] {1f, 3f}, new float[] {4f, 2f}), 1, 1, ids, new float[2], logZ);
        assertThat(ids).containsExactly(1, -5);
        assertThat(logZ[1]).isEqualTo(9);
    }

    @Test
    void countsAndShapesOutOfRangeAreErrors() {
        CpuMatrix m = rows(new float[] {1f, 2f}, new float[] {3f, 4f});
        assertThatThrownBy(() -> cpu.topRows(m, 3, 1, new int[3], new float[3], new double[3]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> cpu.topRows(m, 2, 1, new int[1], new float[2], new double[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("topRows of 2 rows by 1");
        assertThatThrownBy(() -> cpu.topRows(m, 2, 0, new int[4], new float[4], new double[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("best 0 of 2");
        assertThatThrownBy(() -> cpu.topRows(m, 2, 3, new int[6], new float[6], new double[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("best 3 of 2");
        CpuMatrix wide = (CpuMatrix) cpu.allocate(1, 1000);
        int tooMany = Backend.MAX_TOP_ROWS + 1;
        assertThatThrownBy(() -> cpu.topRows(wide, 1, tooMany, new int[tooMany], new float[tooMany], new double[1]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most " + Backend.MAX_TOP_ROWS);
    }
}
