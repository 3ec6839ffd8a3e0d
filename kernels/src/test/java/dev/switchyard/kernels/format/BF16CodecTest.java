package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.bytes;
import static dev.switchyard.kernels.format.Fixtures.decode;
import static dev.switchyard.kernels.format.Fixtures.encode;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class BF16CodecTest {

    private final BF16Codec codec = new BF16Codec();

    @Test
    void decodesHandBuiltBf16ToKnownValues() {
        // Little-endian bf16: 0x3F80 = 1, 0xC040 = -3, 0x3F00 = 0.5, 0x4049 = 3.140625,
        // 0x7F7F = largest finite, 0x0001 = 2^-133 (a float subnormal), 0x8000 = -0.
        float[] y = decode(codec, bytes(
                0x80, 0x3F, 0x40, 0xC0, 0x00, 0x3F, 0x49, 0x40,
                0x7F, 0x7F, 0x01, 0x00, 0x00, 0x80), 7);

        assertThat(y[0]).isEqualTo(1f);
        assertThat(y[1]).isEqualTo(-3f);
        assertThat(y[2]).isEqualTo(0.5f);
        assertThat(y[3]).isEqualTo(3.140625f);
        assertThat(y[4]).isEqualTo(3.3895314e38f);
        assertThat(y[5]).isEqualTo(Math.scalb(1f, -133));
        assertThat(Float.floatToRawIntBits(y[6])).isEqualTo(0x80000000);
    }

    @Test
    void decodesInfinitiesAndNaN() {
        float[] y = decode(codec, bytes(0x80, 0x7F, 0x80, 0xFF, 0xC0, 0x7F), 3);

        assertThat(y[0]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(y[1]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(y[2]).isNaN();
    }

    @Test
    void roundsToNearestEvenLikeGgml() {
        int[] inputBits = {
            0x3F808000, // exactly half way, kept half even: 0x3F80
            0x3F818000, // exactly half way, kept half odd: up to 0x3F82
            0x3F808001, // just past half way: 0x3F81
            0x3F807FFF, // just short of half way: 0x3F80
            0xBF808000, // negative tie: 0xBF80
            0x7F7FFFFF, // largest float rounds past the largest bf16: +inf, as in ggml
            0x7F800000, // +inf stays
            0x00000001, // smallest float subnormal: 0
        };

        MemorySegment s = encode(codec, floatsFromBits(inputBits));

        assertThat(Fixtures.halves(s, inputBits.length))
                .containsExactly(0x3F80, 0x3F82, 0x3F81, 0x3F80, 0xBF80, 0x7F80, 0x7F80, 0x0000);
    }

    @Test
    void keepsNaNAsQuietNaN() {
        int[] inputBits = {
            0x7F800001, // signalling NaN with its payload only in the dropped bits
            0xFF800001, // the same, negative
            0x7FA00000, // signalling NaN with payload in the kept bits
            0x7FC00000, // canonical quiet NaN
        };

        MemorySegment s = encode(codec, floatsFromBits(inputBits));

        // Upper 16 bits kept, quiet bit (0x0040) forced, never rounded into infinity.
        assertThat(Fixtures.halves(s, inputBits.length)).containsExactly(0x7FC0, 0xFFC0, 0x7FE0, 0x7FC0);
    }

    @Test
    void roundTripsWithinHalfAnUlp() {
        Random r = new Random(12);
        float[] x = new float[4096];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) ((r.nextBoolean() ? 1 : -1) * Math.pow(2, -100 + 200 * r.nextDouble()));
        }

        float[] y = decode(codec, encode(codec, x), x.length);

        for (int i = 0; i < x.length; i++) {
            // 8 significant bits: half an ulp is at most 2^-8 relative.
            assertThat((double) Math.abs(y[i] - x[i])).as("x=%s", x[i])
                    .isLessThanOrEqualTo(Math.abs(x[i]) * 0x1p-8);
        }
    }

    private static float[] floatsFromBits(int[] bits) {
        float[] x = new float[bits.length];
        for (int i = 0; i < bits.length; i++) {
            x[i] = Float.intBitsToFloat(bits[i]);
        }
        return x;
    }
}
