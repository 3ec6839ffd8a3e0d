package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.bytes;
import static dev.switchyard.kernels.format.Fixtures.decode;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IQ3_SCodecTest {

    private final IQ3_SCodec codec = new IQ3_SCodec();

    @Test
    void decodesHandBuiltBlockToKnownValues() {
        // d = 0.5; point p (of 64): index 71 p + 13 (9 bits, the ninth in qh), sign byte of group g
        // 37 g + 1, block ib's scale ib + 4.
        int[] raw = new int[110];
        raw[1] = 0x38;
        for (int p = 0; p < 64; p++) {
            int index = (71 * p + 13) & 511;
            raw[2 + p] = index & 0xFF;
            raw[66 + p / 8] |= (index >>> 8) << (p % 8);
        }
        for (int g = 0; g < 32; g++) {
            raw[74 + g] = (37 * g + 1) & 0xFF;
        }
        for (int ib = 0; ib < 8; ib++) {
            raw[106 + ib / 2] |= (ib + 4) << (4 * (ib % 2));
        }
        float[] y = decode(codec, bytes(raw), 256);
        for (int v = 0; v < 256; v++) {
            int ib = v / 32;
            int j = v % 8;
            int signs = (37 * (v / 8) + 1) & 0xFF;
            float db = 0.5f * (1 + 2 * (ib + 4));
            int point = (71 * (v / 4) + 13) & 511;
            float expected = db * IQGrid.IQ3_S.value(point, j % 4) * ((signs >> j & 1) == 1 ? -1f : 1f);
            assertThat(y[v]).as("value %d", v).isEqualTo(expected);
        }
        // Point 4 has index 297: its ninth bit is bit 4 of qh[0].
        assertThat(Math.abs(y[16])).isEqualTo(4.5f * IQGrid.IQ3_S.value(297, 0));
    }

    @Test
    void roundTripErrorStaysWithinTheFormatsBounds() {
        QuantErrors.assertRmsWithin(codec, 0.40, 0.38, 0x1p-24 * 15 * 31);
        IQCodecChecks.assertGaussianRmsWithin(codec, 0.15);
    }
}
