package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.asF16;
import static dev.switchyard.kernels.format.Fixtures.bytes;
import static dev.switchyard.kernels.format.Fixtures.decode;
import static dev.switchyard.kernels.format.Fixtures.encode;
import static dev.switchyard.kernels.format.Fixtures.unsignedBytes;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Q4_0CodecTest {

    private final Q4_0Codec codec = new Q4_0Codec();

    @Test
    void decodesHandBuiltBlocksToKnownValues() {
        int[] raw = new int[2 * 18];
        // Block 0: d = 0.5 (f16 0x3800); qs[j] has j in its low nibble and 15 - j in its high one,
        // so value j = 0.5 * (j - 8) and value j + 16 = 0.5 * (7 - j).
        raw[0] = 0x00;
        raw[1] = 0x38;
        for (int j = 0; j < 16; j++) {
            raw[2 + j] = j | (15 - j) << 4;
        }
        // Block 1: d = 2 (f16 0x4000), every byte 0x8F: low nibbles 15 -> 14, high nibbles 8 -> 0.
        raw[18] = 0x00;
        raw[19] = 0x40;
        for (int j = 0; j < 16; j++) {
            raw[20 + j] = 0x8F;
        }

        float[] y = decode(codec, bytes(raw), 64);

        assertThat(y).startsWith(-4f, -3.5f, -3f);
        assertThat(y[15]).isEqualTo(3.5f);
        assertThat(y[16]).isEqualTo(3.5f);
        assertThat(y[31]).isEqualTo(-4f);
        for (int j = 0; j < 16; j++) {
            assertThat(y[j]).isEqualTo(0.5f * (j - 8));
            assertThat(y[j + 16]).isEqualTo(0.5f * (7 - j));
            assertThat(y[32 + j]).isEqualTo(14f);
            assertThat(y[48 + j]).isEqualTo(0f);
        }
    }

    @Test
    void quantizesLikeGgmlReference() {
        // The largest magnitude is -8 (the later +8 ties and does not replace it), so d = -8 / -8 = 1
        // and q = min(15, (int) (x + 8.5)): halves round up, +8 has to settle for 15.
        float[] x = new float[32];
        float[] low = {-8f, 7f, 8f, 3.5f, -3.5f, 0.4f, -0.6f};
        System.arraycopy(low, 0, x, 0, low.length);
        x[16] = 2f;
        x[17] = -2f;
        x[31] = -7.9f;

        MemorySegment s = encode(codec, x);

        // Levels 0..15: 0, 15, 15, 12, 5, 8, 7, then 8; levels 16..31: 10, 6, then 8, last 0.
        assertThat(unsignedBytes(s)).containsExactly(
                0x00, 0x3C,
                0xA0, 0x6F, 0x8F, 0x8C, 0x85, 0x88, 0x87, 0x88,
                0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x88, 0x08);
    }

    @Test
    void positiveLargestValueGetsNegativeScale() {
        float[] x = new float[32];
        x[0] = 4f;
        x[1] = -3f;

        MemorySegment s = encode(codec, x);

        // d = 4 / -8 = -0.5 (f16 0xB800); 4 lands on level 0, -3 on level 8 + 6 = 14.
        assertThat(unsignedBytes(s)).startsWith(0x00, 0xB8, 0x80, 0x8E);
        float[] y = decode(codec, s, 32);
        assertThat(y[0]).isEqualTo(4f);
        assertThat(y[1]).isEqualTo(-3f);
    }

    @Test
    void zerosEncodeToZeroScaleAndMiddleLevel() {
        // d = 0 / -8 is -0 (f16 0x8000), as in ggml; every value sits on level 8.
        int[] expected = new int[18];
        expected[1] = 0x80;
        Arrays.fill(expected, 2, 18, 0x88);

        assertThat(unsignedBytes(encode(codec, new float[32]))).containsExactly(expected);
    }

    @Test
    void roundTripErrorIsWithinHalfAStepPerBlock() {
        for (Map.Entry<String, float[]> set : Fixtures.dataSets().entrySet()) {
            float[] x = set.getValue();
            float[] y = decode(codec, encode(codec, x), x.length);
            for (int b = 0; b < x.length; b += 32) {
                float max = 0f;
                for (int i = b; i < b + 32; i++) {
                    if (Math.abs(x[i]) > Math.abs(max)) {
                        max = x[i];
                    }
                }
                float d = max / -8f;
                double scaleError = 8 * Math.abs(asF16(d) - d) + Math.abs(max) * 1e-6;
                for (int i = b; i < b + 32; i++) {
                    // Levels run -8..7 in units of d: the far end of the opposite sign past 7.5 d
                    // can only reach 7 d, up to a whole step away; everything else is within half.
                    double step = x[i] / d > 7.5f ? Math.abs(d) : Math.abs(d) / 2;
                    assertThat((double) Math.abs(y[i] - x[i]))
                            .as("%s, value %d", set.getKey(), i).isLessThanOrEqualTo(step + scaleError);
                }
            }
        }
    }
}
