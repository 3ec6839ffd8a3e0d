package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.bytes;
import static dev.switchyard.kernels.format.Fixtures.decode;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IQ2_XXSCodecTest {

    private final IQ2_XXSCodec codec = new IQ2_XXSCodec();

    @Test
    void decodesHandBuiltBlockToKnownValues() {
        // d = 0.5; block ib: indices 37 ib + 11 l, sign bits 13 ib + 5 l (seven of them), scale 2 ib + 1.
        int[] raw = new int[66];
        raw[1] = 0x38;
        for (int ib = 0; ib < 8; ib++) {
            int aux = (2 * ib + 1) << 28;
            for (int l = 0; l < 4; l++) {
                raw[2 + 8 * ib + l] = (37 * ib + 11 * l) & 0xFF;
                aux |= ((13 * ib + 5 * l) & 127) << (7 * l);
            }
            for (int k = 0; k < 4; k++) {
                raw[6 + 8 * ib + k] = (aux >>> (8 * k)) & 0xFF;
            }
        }
        float[] y = decode(codec, bytes(raw), 256);
        for (int v = 0; v < 256; v++) {
            int ib = v / 32;
            int l = v % 32 / 8;
            int j = v % 8;
            int seven = (13 * ib + 5 * l) & 127;
            int signs = seven | (Integer.bitCount(seven) % 2) << 7;
            float db = 0.5f * (0.5f + (2 * ib + 1)) * 0.25f;
            float expected = db * IQGrid.IQ2_XXS.value((37 * ib + 11 * l) & 0xFF, j) * ((signs >> j & 1) == 1 ? -1f : 1f);
            assertThat(y[v]).as("value %d", v).isEqualTo(expected);
        }
        // Group 0 of block 0 is point 0 (all 8), no signs, scale 1: 0.5 * 1.5 * 0.25 * 8 = 1.5.
        assertThat(y[0]).isEqualTo(1.5f);
        // Block 0 group 1: point 11, signs 5 = bits 0 and 2, count even.
        assertThat(y[8]).isEqualTo(-0.1875f * IQGrid.IQ2_XXS.value(11, 0));
    }

    @Test
    void roundTripErrorStaysWithinTheFormatsBounds() {
        QuantErrors.assertRmsWithin(codec, 0.75, 0.75, 0x1p-24 * 43 * 4);
        IQCodecChecks.assertGaussianRmsWithin(codec, 0.36);
    }
}
