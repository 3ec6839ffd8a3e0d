package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.bytes;
import static dev.switchyard.kernels.format.Fixtures.decode;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IQ2_XSCodecTest {

    private final IQ2_XSCodec codec = new IQ2_XSCodec();

    @Test
    void decodesHandBuiltBlockToKnownValues() {
        // d = 0.25; group g: index 17 g + 3 (9 bits), sign bits 9 g + 1 (seven of them);
        // block ib's scales ib (low nibble) and 15 - ib (high).
        int[] raw = new int[74];
        raw[1] = 0x34;
        for (int g = 0; g < 32; g++) {
            int q = ((17 * g + 3) & 511) | ((9 * g + 1) & 127) << 9;
            raw[2 + 2 * g] = q & 0xFF;
            raw[3 + 2 * g] = q >>> 8;
        }
        for (int ib = 0; ib < 8; ib++) {
            raw[66 + ib] = ib | (15 - ib) << 4;
        }
        float[] y = decode(codec, bytes(raw), 256);
        for (int v = 0; v < 256; v++) {
            int g = v / 8;
            int j = v % 8;
            int ib = g / 4;
            int s = g % 4 < 2 ? ib : 15 - ib;
            int seven = (9 * g + 1) & 127;
            int signs = seven | (Integer.bitCount(seven) % 2) << 7;
            float db = 0.25f * (0.5f + s) * 0.25f;
            float expected = db * IQGrid.IQ2_XS.value((17 * g + 3) & 511, j) * ((signs >> j & 1) == 1 ? -1f : 1f);
            assertThat(y[v]).as("value %d", v).isEqualTo(expected);
        }
        // Group 0: point 3, sign bit 0 with the eighth set for an even count; scale 0.
        assertThat(y[0]).isEqualTo(-0.03125f * IQGrid.IQ2_XS.value(3, 0));
        assertThat(y[7]).isEqualTo(-0.03125f * IQGrid.IQ2_XS.value(3, 7));
    }

    @Test
    void roundTripErrorStaysWithinTheFormatsBounds() {
        QuantErrors.assertRmsWithin(codec, 0.62, 0.62, 0x1p-24 * 43 * 4);
        IQCodecChecks.assertGaussianRmsWithin(codec, 0.31);
    }
}
