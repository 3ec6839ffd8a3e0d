package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.bytes;
import static dev.switchyard.kernels.format.Fixtures.decode;
import static dev.switchyard.kernels.format.Fixtures.encode;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

class F16CodecTest {

    private final F16Codec codec = new F16Codec();

    @Test
    void decodesHandBuiltHalvesToKnownValues() {
        // Little-endian halves: 0x3C00 = 1, 0xC000 = -2, 0x3800 = 0.5, 0x3555 = 1365/4096,
        // 0x7BFF = 65504 (largest finite), 0x0001 = 2^-24 (smallest subnormal), 0x0400 = 2^-14
        // (smallest normal), 0x8000 = -0.
        float[] y = decode(codec, bytes(
                0x00, 0x3C, 0x00, 0xC0, 0x00, 0x38, 0x55, 0x35,
                0xFF, 0x7B, 0x01, 0x00, 0x00, 0x04, 0x00, 0x80), 8);

        assertThat(y[0]).isEqualTo(1f);
        assertThat(y[1]).isEqualTo(-2f);
        assertThat(y[2]).isEqualTo(0.5f);
        assertThat(y[3]).isEqualTo(0.333251953125f);
        assertThat(y[4]).isEqualTo(65504f);
        assertThat(y[5]).isEqualTo(5.9604645e-8f);
        assertThat(y[6]).isEqualTo(6.1035156e-5f);
        assertThat(Float.floatToRawIntBits(y[7])).isEqualTo(0x80000000);
    }

    @Test
    void decodesInfinitiesAndNaN() {
        float[] y = decode(codec, bytes(0x00, 0x7C, 0x00, 0xFC, 0x00, 0x7E), 3);

        assertThat(y[0]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(y[1]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(y[2]).isNaN();
    }

    @Test
    void encodesWithRoundToNearestEven() {
        float ulpAtOne = 1f / 1024;
        float[] x = {
            1f + ulpAtOne / 2,          // tie, 0x3C00 is even: stays 1
            1f + 3 * ulpAtOne / 2,      // tie, rounds up to the even 0x3C02
            1f + ulpAtOne / 2 + 1e-6f,  // just past the tie: 0x3C01
            65519f,                     // below the overflow tie: 65504
            65520f,                     // the tie between 65504 and 2^16: overflows
            2.9e-8f,                    // under half the smallest subnormal: 0
            3.0e-8f,                    // over it: 0x0001
            -0.5f,
        };

        MemorySegment s = encode(codec, x);

        assertThat(Fixtures.halves(s, x.length))
                .containsExactly(0x3C00, 0x3C02, 0x3C01, 0x7BFF, 0x7C00, 0x0000, 0x0001, 0xB800);
    }

    @Test
    void keepsInfinitiesAndNaN() {
        MemorySegment s = encode(codec, new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN});

        float[] y = decode(codec, s, 3);
        assertThat(y[0]).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(y[1]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(y[2]).isNaN();
    }

    @Test
    void roundTripsWithinHalfAnUlp() {
        Random r = new Random(11);
        float[] x = new float[4096];
        for (int i = 0; i < x.length; i++) {
            // Magnitudes from 2^-24 to 2^15, both signs: subnormal and normal halves.
            x[i] = (float) ((r.nextBoolean() ? 1 : -1) * Math.pow(2, -24 + 39 * r.nextDouble()));
        }

        float[] y = decode(codec, encode(codec, x), x.length);

        for (int i = 0; i < x.length; i++) {
            // 11 significant bits: half an ulp is 2^-11 relative; subnormals have a fixed 2^-24 step.
            double bound = Math.max(Math.abs(x[i]) * 0x1p-11, 0x1p-25);
            assertThat((double) Math.abs(y[i] - x[i])).as("x=%s", x[i]).isLessThanOrEqualTo(bound);
        }
    }
}
