package dev.switchyard.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.format.Q8_0Codec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A Q8_0 KV cache's groups are ggml's Q8_0 blocks: for whole groups of 32, the same scale and quants
 * as the GGUF encoder (which holds itself to ggml's bytes), ties rounding away from zero; shorter
 * groups scale by their own largest magnitude; a round trip stays within half a quant step.
 */
class KvQ8Test {

    @Test
    void wholeGroupsAreTheBytesOfAQ8_0Block() {
        Random random = new Random(5);
        Q8_0Codec codec = new Q8_0Codec();
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment block = arena.allocate(34);
            byte[] quants = new byte[32];
            for (int trial = 0; trial < 500; trial++) {
                float[] x = new float[32];
                float sigma = (float) Math.pow(10, random.nextInt(9) - 4);
                for (int i = 0; i < 32; i++) {
                    // some groups of small integers times 127ths, whose quotients land on halves
                    x[i] = trial % 5 == 0 ? (random.nextInt(255) - 127) / 2f : (float) random.nextGaussian() * sigma;
                }
                if (trial % 7 == 0) {
                    x = new float[32];
                }
                codec.quantize(x, 0, block, 0, 32);
                short scale = KvQ8.quantize(x, 0, 32, quants, 0, 1);
                assertThat(scale).as("trial %d scale", trial).isEqualTo(block.get(ValueLayout.JAVA_SHORT_UNALIGNED, 0));
                for (int i = 0; i < 32; i++) {
                    assertThat(quants[i]).as("trial %d quant %d", trial, i).isEqualTo(block.get(ValueLayout.JAVA_BYTE, 2 + i));
                }
            }
        }
    }

    @Test
    void tiesRoundAwayFromZeroAndQuantsSitAtTheirStride() {
        // amax 127 gives a scale of exactly 1: 2.5 and -2.5 are ties
        float[] x = {127f, 2.5f, -2.5f, 0.49999997f, -127f};
        byte[] q = new byte[9];
        short scale = KvQ8.quantize(x, 0, 5, q, 0, 2);
        assertThat(Float.float16ToFloat(scale)).isEqualTo(1f);
        assertThat(new byte[] {q[0], q[2], q[4], q[6], q[8]}).containsExactly(127, 3, -3, 0, -127);
        assertThat(new byte[] {q[1], q[3], q[5], q[7]}).containsOnly(0);
    }

    @Test
    void aRoundTripStaysWithinHalfAQuantStepOfItsGroup() {
        float[] row = new float[2 * 40];
        Random random = new Random(9);
        for (int i = 0; i < row.length; i++) {
            row[i] = (float) random.nextGaussian() * (i < 40 ? 3f : 0.01f);
        }
        row[35] = 50f;   // the second group of the first head: 8 elements scaled by this one
        float[] back = KvQ8.roundTrip(row, 2);
        for (int h = 0; h < 2; h++) {
            for (int start = 0; start < 40; start += 32) {
                float amax = 0;
                int end = Math.min(40, start + 32);
                for (int i = start; i < end; i++) {
                    amax = Math.max(amax, Math.abs(row[h * 40 + i]));
                }
                for (int i = start; i < end; i++) {
                    assertThat((double) Math.abs(back[h * 40 + i] - row[h * 40 + i]))
                            .as("head %d element %d", h, i).isLessThanOrEqualTo(amax / 254 * 1.002 + 1e-12);
                }
            }
        }
        assertThat(KvQ8.roundTrip(new float[8], 1)).containsOnly(0f);
    }

    @Test
    void rowBytesCountTheScales() {
        assertThat(KvCacheType.Q8_0.rowBytes(8 * 128, 8)).isEqualTo(8 * 128 + 8 * 4 * 2);
        assertThat(KvCacheType.Q8_0.rowBytes(2 * 40, 2)).isEqualTo(80 + 2 * 2 * 2);
        assertThat(KvCacheType.Q8_0.rowBytes(0, 8)).isZero();
        assertThat(KvCacheType.F16.rowBytes(8 * 128, 8)).isEqualTo(2 * 8 * 128);
        assertThat(KvCacheType.F32.rowBytes(576, 1)).isEqualTo(4 * 576);
    }
}
