package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.bytes;
import static dev.switchyard.kernels.format.Fixtures.decode;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IQ1_SCodecTest {

    private final IQ1_SCodec codec = new IQ1_SCodec();

    @Test
    void decodesHandBuiltBlockToKnownValues() {
        // d = 0.5; group g: index 97 g + 5 (11 bits, the top three in qh); block ib: scale ib,
        // shift down on odd blocks.
        int[] raw = new int[50];
        raw[1] = 0x38;
        for (int ib = 0; ib < 8; ib++) {
            int qh = ib << 12 | (ib % 2 == 1 ? 0x8000 : 0);
            for (int l = 0; l < 4; l++) {
                int index = (97 * (4 * ib + l) + 5) & 2047;
                raw[2 + 4 * ib + l] = index & 0xFF;
                qh |= (index >>> 8) << (3 * l);
            }
            raw[34 + 2 * ib] = qh & 0xFF;
            raw[35 + 2 * ib] = qh >>> 8;
        }
        float[] y = decode(codec, bytes(raw), 256);
        for (int v = 0; v < 256; v++) {
            int ib = v / 32;
            float dl = 0.5f * (2 * ib + 1);
            float delta = ib % 2 == 1 ? -0.125f : 0.125f;
            float expected = dl * (IQGrid.IQ1_S.value((97 * (v / 8) + 5) & 2047, v % 8) + delta);
            assertThat(y[v]).as("value %d", v).isEqualTo(expected);
        }
        // Point 5 is all -1 but one: block 0 values are 0.5 * (-1 + 0.125) or 0.5 * (0 + 0.125) or ...
        assertThat(y[0]).isIn(-0.4375f, 0.0625f, 0.5625f);
    }

    @Test
    void roundTripErrorStaysWithinTheFormatsBounds() {
        QuantErrors.assertRmsWithin(codec, 0.56, 0.55, 0x1p-24 * 15 * 2);
        IQCodecChecks.assertGaussianRmsWithin(codec, 0.47);
    }
}
