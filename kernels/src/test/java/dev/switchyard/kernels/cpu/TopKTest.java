package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class TopKTest {

    @Test
    void picksTheLargestInOrder() {
        float[] s = {0f, 9f, 0.5f, 3f, -2f, 7f, 0f};
        int[] idx = new int[3];
        float[] val = new float[3];
        TopK.topK(s, 0, s.length, 3, idx, val);
        assertThat(idx).containsExactly(1, 5, 3);
        assertThat(val).containsExactly(9f, 7f, 3f);
    }

    @Test
    void tiesGoToTheLowerIndex() {
        float[] s = {1f, 2f, 2f, 1f, 2f, 1f};
        int[] idx = new int[4];
        float[] val = new float[4];
        TopK.topK(s, 0, s.length, 4, idx, val);
        assertThat(idx).containsExactly(1, 2, 4, 0);
    }

    @Test
    void honoursTheOffsetAndReportsRelativeIndices() {
        float[] s = {100f, 100f, 1f, 5f, 3f, 100f};
        int[] idx = new int[2];
        float[] val = new float[2];
        TopK.topK(s, 2, 3, 2, idx, val);
        assertThat(idx).containsExactly(1, 2);
        assertThat(val).containsExactly(5f, 3f);
    }

    @Test
    void nanRanksLast() {
        float[] s = {Float.NaN, -5f, Float.NaN, -7f};
        int[] idx = new int[3];
        float[] val = new float[3];
        TopK.topK(s, 0, s.length, 3, idx, val);
        assertThat(idx).containsExactly(1, 3, 0);
    }

    @Test
    void agreesWithSortingOnRandomScores() {
        Random r = new Random(1);
        for (int round = 0; round < 200; round++) {
            int n = 1 + r.nextInt(128);
            int k = r.nextInt(Math.min(n, 10) + 1);
            float[] s = new float[n];
            for (int i = 0; i < n; i++) {
                s[i] = r.nextInt(20) / 4f; // many ties
            }
            int[] expected = IntStream.range(0, n).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(i -> -s[i]).thenComparingInt(i -> i))
                    .limit(k).mapToInt(Integer::intValue).toArray();
            int[] idx = new int[k];
            float[] val = new float[k];
            TopK.topK(s, 0, n, k, idx, val);
            assertThat(idx).as("round %d", round).containsExactly(expected);
            for (int i = 0; i < k; i++) {
                assertThat(val[i]).isEqualTo(s[idx[i]]);
            }
        }
    }

    @Test
    void rejectsImpossibleRequests() {
        float[] s = new float[4];
        assertThatThrownBy(() -> TopK.topK(s, 0, 4, 5, new int[5], new float[5])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TopK.topK(s, 0, 4, 2, new int[1], new float[2])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TopK.topK(s, 2, 4, 1, new int[1], new float[1])).isInstanceOf(IndexOutOfBoundsException.class);
        TopK.topK(s, 0, 4, 0, new int[0], new float[0]);
    }
}
