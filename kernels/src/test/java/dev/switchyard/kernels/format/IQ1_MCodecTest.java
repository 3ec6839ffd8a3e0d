package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.bytes;
import static dev.switchyard.kernels.format.Fixtures.decode;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IQ1_MCodecTest {

    private final IQ1_MCodec codec = new IQ1_MCodec();

    @Test
    void decodesHandBuiltBlockToKnownValues() {
        // d = 0.75 (f16 0x3A00), its nibbles in the top of the four scale words; group g: index
        // 131 g + 17, shift down where g % 3 == 0; half-block u's scale u % 8.
        int[] raw = new int[56];
        for (int g = 0; g < 32; g++) {
            int index = (131 * g + 17) & 2047;
            raw[g] = index & 0xFF;
            raw[32 + g / 2] |= ((index >>> 8) | (g % 3 == 0 ? 8 : 0)) << (4 * (g % 2));
        }
        int[] sc = new int[4];
        for (int u = 0; u < 16; u++) {
            int ib = u / 2;
            sc[ib / 2] |= (u % 8) << (6 * (ib % 2) + 3 * (u % 2));
        }
        for (int k = 0; k < 4; k++) {
            sc[k] |= ((0x3A00 >>> (4 * k)) & 0x0F) << 12;
            raw[48 + 2 * k] = sc[k] & 0xFF;
            raw[49 + 2 * k] = sc[k] >>> 8;
        }
        float[] y = decode(codec, bytes(raw), 256);
        for (int v = 0; v < 256; v++) {
            int g = v / 8;
            float dl = 0.75f * (2 * ((v / 16) % 8) + 1);
            float delta = g % 3 == 0 ? -0.125f : 0.125f;
            float expected = dl * (IQGrid.IQ1_S.value((131 * g + 17) & 2047, v % 8) + delta);
            assertThat(y[v]).as("value %d", v).isEqualTo(expected);
        }
        // Value 16: half-block 1 (scale 1, so 2.25), group 2 shifted up.
        assertThat(y[16]).isIn(2.25f * -0.875f, 2.25f * 0.125f, 2.25f * 1.125f);
    }

    @Test
    void roundTripErrorStaysWithinTheFormatsBounds() {
        QuantErrors.assertRmsWithin(codec, 0.52, 0.45, 0x1p-24 * 15 * 2);
        IQCodecChecks.assertGaussianRmsWithin(codec, 0.43);
    }
}
