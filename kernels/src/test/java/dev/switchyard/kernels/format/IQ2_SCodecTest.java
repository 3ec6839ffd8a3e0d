package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.bytes;
import static dev.switchyard.kernels.format.Fixtures.decode;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IQ2_SCodecTest {

    private final IQ2_SCodec codec = new IQ2_SCodec();

    @Test
    void decodesHandBuiltBlockToKnownValues() {
        // d = 2; group g: index 29 g + 7 (10 bits, the top two in qh), sign byte 23 g + 5;
        // block ib's scales 2 (low nibble) and 9 (high).
        int[] raw = new int[82];
        raw[1] = 0x40;
        for (int g = 0; g < 32; g++) {
            int index = (29 * g + 7) & 1023;
            raw[2 + g] = index & 0xFF;
            raw[34 + g] = (23 * g + 5) & 0xFF;
            raw[66 + g / 4] |= (index >>> 8) << (2 * (g % 4));
        }
        for (int ib = 0; ib < 8; ib++) {
            raw[74 + ib] = 2 | 9 << 4;
        }
        float[] y = decode(codec, bytes(raw), 256);
        for (int v = 0; v < 256; v++) {
            int g = v / 8;
            int j = v % 8;
            int s = g % 4 < 2 ? 2 : 9;
            int signs = (23 * g + 5) & 0xFF;
            float db = 2f * (0.5f + s) * 0.25f;
            float expected = db * IQGrid.IQ2_S.value((29 * g + 7) & 1023, j) * ((signs >> j & 1) == 1 ? -1f : 1f);
            assertThat(y[v]).as("value %d", v).isEqualTo(expected);
        }
        // Group 31: index 906 needs both top bits (0b11 in qh[7] bits 6, 7).
        assertThat((29 * 31 + 7) & 1023).isEqualTo(906);
        assertThat(Math.abs(y[248])).isEqualTo(4.75f * IQGrid.IQ2_S.value(906, 0));
    }

    @Test
    void roundTripErrorStaysWithinTheFormatsBounds() {
        QuantErrors.assertRmsWithin(codec, 0.62, 0.62, 0x1p-24 * 43 * 4);
        IQCodecChecks.assertGaussianRmsWithin(codec, 0.26);
    }
}
