package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.asF16;
import static dev.switchyard.kernels.format.Fixtures.bytes;
import static dev.switchyard.kernels.format.Fixtures.decode;
import static dev.switchyard.kernels.format.Fixtures.encode;
import static dev.switchyard.kernels.format.Fixtures.maxAbs;
import static dev.switchyard.kernels.format.Fixtures.unsignedBytes;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.Map;
import org.junit.jupiter.api.Test;

class Q8_0CodecTest {

    private final Q8_0Codec codec = new Q8_0Codec();

    @Test
    void decodesHandBuiltBlocksToKnownValues() {
        int[] raw = new int[2 * 34];
        // Block 0: d = 0.5 (f16 0x3800), quants 0, 1, -1, 127, -128, 2, -3, 100, then -16..7.
        raw[0] = 0x00;
        raw[1] = 0x38;
        int[] head = {0, 1, -1, 127, -128, 2, -3, 100};
        for (int j = 0; j < 32; j++) {
            raw[2 + j] = j < 8 ? head[j] : j - 24;
        }
        // Block 1: d = -0.25 (f16 0xB400), every quant 5.
        raw[34] = 0x00;
        raw[35] = 0xB4;
        for (int j = 0; j < 32; j++) {
            raw[36 + j] = 5;
        }

        float[] y = decode(codec, bytes(raw), 64);

        assertThat(y).startsWith(0f, 0.5f, -0.5f, 63.5f, -64f, 1f, -1.5f, 50f, -8f, -7.5f);
        assertThat(y[31]).isEqualTo(3.5f);
        for (int j = 32; j < 64; j++) {
            assertThat(y[j]).isEqualTo(-1.25f);
        }
    }

    @Test
    void quantizesLikeGgmlReference() {
        // amax = 127 makes d exactly 1, so each quant is roundf(x): halves go away from zero.
        float[] x = new float[32];
        float[] head = {127f, -127f, 2.5f, -2.5f, 0.49f, 100.4f, -0.5f, 1.5f};
        System.arraycopy(head, 0, x, 0, head.length);

        MemorySegment s = encode(codec, x);

        int[] expected = new int[34];
        expected[0] = 0x00;
        expected[1] = 0x3C;
        int[] q = {0x7F, 0x81, 0x03, 0xFD, 0x00, 0x64, 0xFF, 0x02};
        System.arraycopy(q, 0, expected, 2, q.length);
        assertThat(unsignedBytes(s)).containsExactly(expected);
    }

    @Test
    void zerosEncodeToAnAllZeroBlock() {
        assertThat(unsignedBytes(encode(codec, new float[32]))).containsOnly(0);
    }

    @Test
    void roundTripErrorIsWithinHalfAStepPerBlock() {
        for (Map.Entry<String, float[]> set : Fixtures.dataSets().entrySet()) {
            float[] x = set.getValue();
            float[] y = decode(codec, encode(codec, x), x.length);
            for (int b = 0; b < x.length; b += 32) {
                float amax = maxAbs(x, b, 32);
                float d = amax / 127f;
                // Half a step, plus what storing d as f16 shifts the largest level, plus float slack.
                double bound = d / 2 + 127 * Math.abs(asF16(d) - d) + amax * 1e-6;
                for (int i = b; i < b + 32; i++) {
                    assertThat((double) Math.abs(y[i] - x[i]))
                            .as("%s, value %d", set.getKey(), i).isLessThanOrEqualTo(bound);
                }
            }
        }
    }
}
