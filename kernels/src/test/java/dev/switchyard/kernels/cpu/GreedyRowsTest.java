package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code greedyRows} against a plain argmax and a log-softmax written here: the lowest id of the
 * largest logit, its log-probability, and -1 for rows a sampler must see (NaN, +infinity, all
 * masked), each row on its own.
 */
class GreedyRowsTest {

    private static CpuBackend cpu;

    @BeforeAll
    static void start() {
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        cpu.close();
    }

    private static CpuMatrix rows(float[]... rows) {
        CpuMatrix m = (CpuMatrix) cpu.allocate(rows.length, rows[0].length);
        for (int r = 0; r < rows.length; r++) {
            m.writeRow(r, rows[r]);
        }
        return m;
    }

    private static double referenceLogprob(float[] row, int token) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : row) {
            max = Math.max(max, l);
        }
        double z = 0;
        for (float l : row) {
            z += Math.exp(l - max);
        }
        return row[token] - max - Math.log(z);
    }

    @Test
    void picksTheLowestIdOfTheLargestLogitWithItsLogprob() {
        float[] random = TestData.gaussian(5, 32000, 4f);
        int expected = 0;
        for (int i = 1; i < random.length; i++) {
            if (random[i] > random[expected]) {
                expected = i;
            }
        }
        float[] tied = new float[32000];
        Arrays.fill(tied, -2f);
        tied[31000] = 7f;
        tied[900] = 7f;
        tied[20000] = 7f;
        float[] zeros = new float[32000];
        Arrays.fill(zeros, -1f);
        zeros[40] = -0.0f;
        zeros[41] = 0.0f;
        float[][] in = {random, tied, zeros};
        int[] tokens = new int[3];
        double[] logprobs = new double[3];
        cpu.greedyRows(rows(in), 3, tokens, logprobs);
        assertThat(tokens).containsExactly(expected, 900, 40);
        for (int r = 0; r < 3; r++) {
            assertThat(logprobs[r]).as("row %d", r).isCloseTo(referenceLogprob(in[r], tokens[r]), within(1e-12));
        }
        assertThat(logprobs[1]).isCloseTo(-Math.log(3 + 31997 * Math.exp(-9)), within(1e-12));
    }

    @Test
    void rowsASamplerMustSeeGetNoToken() {
        float[] nan = {0f, Float.NaN, 1f, 2f};
        float[] infinite = {0f, 1f, Float.POSITIVE_INFINITY, 2f};
        float[] masked = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        float[] oneLeft = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, -30f, Float.NEGATIVE_INFINITY};
        int[] tokens = new int[4];
        double[] logprobs = new double[4];
        cpu.greedyRows(rows(nan, infinite, masked, oneLeft), 4, tokens, logprobs);
        assertThat(tokens).containsExactly(-1, -1, -1, 2);
        assertThat(logprobs[0]).isNaN();
        assertThat(logprobs[1]).isNaN();
        assertThat(logprobs[2]).isNaN();
        assertThat(logprobs[3]).isEqualTo(0.0);
    }

    @Test
    void onlyTheRowsAskedForAreWritten() {
        int[] tokens = {-5, -5};
        double[] logprobs = {9, 9};
        cpu.greedyRows(rows(new float[] {1f, 3f}, new float[] {4f, 2f}), 1, tokens, logprobs);
        assertThat(tokens).containsExactly(1, -5);
        assertThat(logprobs[1]).isEqualTo(9);
    }

    @Test
    void moreRowsThanTheMatrixOrTheArraysHoldIsAnError() {
        CpuMatrix m = rows(new float[] {1f, 2f}, new float[] {3f, 4f});
        assertThatThrownBy(() -> cpu.greedyRows(m, 3, new int[3], new double[3]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> cpu.greedyRows(m, 2, new int[1], new double[2]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("greedyRows of 2 rows");
    }
}
