package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class FloatDotTest {

    /**
     * A row against several heads equals each head's plain dot bit for bit, scaled: whole groups of
     * four, the heads left over, lengths with and without a scalar tail, heads laid out apart.
     */
    @Test
    void dotHeadsEqualsEachHeadsDotBitForBit() {
        for (int n : new int[] {1, 7, Vec.L, 64, 100, 128, 576}) {
            for (int heads = 1; heads <= 9; heads++) {
                int stride = n + 3;
                float[] w = TestData.gaussian(n * 31L + heads, n + 5, 1f);
                float[] x = TestData.gaussian(n * 37L + heads, heads * stride + 2, 1f);
                float[] out = new float[2 + heads * 3];
                FloatDot.dotHeads(w, 5, x, 2, stride, n, heads, 0.125f, out, 2, 3);
                for (int h = 0; h < heads; h++) {
                    float expected = FloatDot.dot(w, 5, x, 2 + h * stride, n) * 0.125f;
                    assertThat(out[2 + h * 3]).as("n %d, head %d of %d", n, h, heads).isEqualTo(expected);
                }
            }
        }
    }
}
