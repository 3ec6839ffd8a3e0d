package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A block's scores equal, bit for bit, the documented order (FMA chains over segments of 16
 * dimensions, ascending, their sums added in order, then the scale) for every query and row: in
 * vector lanes and in the scalar tail, eight, four or one query at a time, so no query's score
 * depends on which others share the call.
 */
class BlockScoresTest {

    @ParameterizedTest(name = "block {0}, head {1}, {2} queries")
    @CsvSource({"16, 128, 1", "16, 128, 4", "16, 64, 8", "16, 128, 13", "32, 128, 16", "20, 576, 3", "4, 64, 5",
            "16, 5, 9", "48, 96, 12"})
    void eachScoreIsItsOwnFmaChain(int bs, int hk, int count) {
        SplittableRandom random = new SplittableRandom(bs * 1000L + hk * 10L + count);
        float[] k = new float[7 + hk * bs];
        for (int i = 0; i < k.length; i++) {
            k[i] = (float) random.nextDouble(-2, 2);
        }
        float[] q = new float[3 + count * (hk + 5)];
        for (int i = 0; i < q.length; i++) {
            q[i] = (float) random.nextDouble(-2, 2);
        }
        int[] qo = new int[count];
        for (int j = 0; j < count; j++) {
            qo[j] = 3 + (count - 1 - j) * (hk + 5); // queries in any order, apart
        }
        float scale = 0.125f;
        float[] out = new float[2 + count * bs];
        BlockScores.scores(k, 7, bs, hk, q, qo, count, scale, out, 2);
        for (int j = 0; j < count; j++) {
            for (int r = 0; r < bs; r++) {
                float total = 0f;
                for (int d0 = 0; d0 < hk; d0 += 16) {
                    float s = 0f;
                    for (int d = d0; d < Math.min(hk, d0 + 16); d++) {
                        s = Math.fma(q[qo[j] + d], k[7 + d * bs + r], s);
                    }
                    total += s;
                }
                assertThat(out[2 + j * bs + r]).as("query %d, row %d", j, r).isEqualTo(total * scale);
            }
            // the same query alone: the same bits
            float[] alone = new float[bs];
            BlockScores.scores(k, 7, bs, hk, q, new int[] {qo[j]}, 1, scale, alone, 0);
            for (int r = 0; r < bs; r++) {
                assertThat(alone[r]).isEqualTo(out[2 + j * bs + r]);
            }
        }
    }
}
