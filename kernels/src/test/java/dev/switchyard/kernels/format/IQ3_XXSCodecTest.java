package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.bytes;
import static dev.switchyard.kernels.format.Fixtures.decode;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IQ3_XXSCodecTest {

    private final IQ3_XXSCodec codec = new IQ3_XXSCodec();

    @Test
    void decodesHandBuiltBlockToKnownValues() {
        // d = 1; point p (of 64, four values each): index 41 p + 9; block ib: sign bits 19 ib + 3 l
        // of group l (seven of them), scale 15 - 2 ib.
        int[] raw = new int[98];
        raw[1] = 0x3C;
        for (int p = 0; p < 64; p++) {
            raw[2 + p] = (41 * p + 9) & 0xFF;
        }
        for (int ib = 0; ib < 8; ib++) {
            int aux = (15 - 2 * ib) << 28;
            for (int l = 0; l < 4; l++) {
                aux |= ((19 * ib + 3 * l) & 127) << (7 * l);
            }
            for (int k = 0; k < 4; k++) {
                raw[66 + 4 * ib + k] = (aux >>> (8 * k)) & 0xFF;
            }
        }
        float[] y = decode(codec, bytes(raw), 256);
        for (int v = 0; v < 256; v++) {
            int ib = v / 32;
            int l = v % 32 / 8;
            int j = v % 8;
            int seven = (19 * ib + 3 * l) & 127;
            int signs = seven | (Integer.bitCount(seven) % 2) << 7;
            float db = (0.5f + (15 - 2 * ib)) * 0.5f;
            int point = (41 * (v / 4) + 9) & 0xFF;
            float expected = db * IQGrid.IQ3_XXS.value(point, j % 4) * ((signs >> j & 1) == 1 ? -1f : 1f);
            assertThat(y[v]).as("value %d", v).isEqualTo(expected);
        }
        // Value 0: point 9, no signs, scale 15: 7.75 * grid. Value 8 (group 1, point 91): sign
        // bits 3, so bits 0 and 1 set.
        assertThat(y[0]).isEqualTo(7.75f * IQGrid.IQ3_XXS.value(9, 0));
        assertThat(y[8]).isEqualTo(-7.75f * IQGrid.IQ3_XXS.value(91, 0));
    }

    @Test
    void roundTripErrorStaysWithinTheFormatsBounds() {
        QuantErrors.assertRmsWithin(codec, 0.40, 0.40, 0x1p-24 * 62 * 8);
        IQCodecChecks.assertGaussianRmsWithin(codec, 0.21);
    }
}
