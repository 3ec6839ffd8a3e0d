package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.bytes;
import static dev.switchyard.kernels.format.Fixtures.decode;
import static dev.switchyard.kernels.format.Fixtures.encode;
import static dev.switchyard.kernels.format.Fixtures.fromHex;
import static dev.switchyard.kernels.format.Fixtures.ggmlGoldenInput;
import static dev.switchyard.kernels.format.Fixtures.unsignedBytes;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class IQ4_NLCodecTest {

    private final IQ4_NLCodec codec = new IQ4_NLCodec();

    @Test
    void decodesEveryIndexThroughTheTable() {
        // d = 0.5, qs[j] = j | (15 - j) << 4: indices 0..15 then 15..0
        int[] raw = new int[18];
        raw[1] = 0x38;
        for (int j = 0; j < 16; j++) {
            raw[2 + j] = j | (15 - j) << 4;
        }
        float[] y = decode(codec, bytes(raw), 32);
        int[] table = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
        for (int j = 0; j < 16; j++) {
            assertThat(y[j]).isEqualTo(0.5f * table[j]);
            assertThat(y[16 + j]).isEqualTo(0.5f * table[15 - j]);
        }
    }

    @Test
    void nearestLevelIsFoundTheWayGgmlFindsIt() {
        assertThat(IQ4Quants.bestIndex(-200f)).isZero();
        assertThat(IQ4Quants.bestIndex(500f)).isEqualTo(15);
        assertThat(IQ4Quants.bestIndex(0f)).isEqualTo(8);          // 1 is nearer than -10
        assertThat(IQ4Quants.bestIndex(-4.5f)).isEqualTo(8);       // a tie between -10 and 1 goes up
        assertThat(IQ4Quants.bestIndex(-5f)).isEqualTo(7);
        assertThat(IQ4Quants.bestIndex(100f)).isEqualTo(14);
    }

    @Test
    void quantizesAndDecodesBitIdenticallyToGgmlReference() {
        // 144 bytes from ggml's quantize_row_iq4_nl_ref (ggml commit d99724f, built with -ffp-contract=off)
        // for Fixtures.ggmlGoldenInput(), and values of its dequantize_row_iq4_nl of them.
        MemorySegment golden = fromHex(
            "069dbd1c651366616bd8051bc1a1212db523e7a041342281d3ddd22d1702321c"
            + "1d0a898a2ea3c0a094138ccdc9950b990943b8da261a7ea47dc14533401c5141"
            + "2648720b109a80b3e79cd4b0139b1b65dd410252858d21160876caa058dc53a2"
            + "a0a64184c31bc0839beb8274eea241711400177b0d2d2098d8948c0460adcba4"
            + "23dda01c34c1d51b40506c2ab311d313");

        assertThat(unsignedBytes(encode(codec, ggmlGoldenInput()))).containsExactly(unsignedBytes(golden));
        float[] y = decode(codec, golden, 256);
        assertThat(y[0]).isEqualTo(-0x1.5a9ep-2f);
        assertThat(y[37]).isEqualTo(-0x1.5243p-1f);
        assertThat(y[74]).isEqualTo(-0x1.7558p-3f);
        assertThat(y[111]).isEqualTo(0x1.23fep+0f);
        assertThat(y[148]).isEqualTo(0x1.fdd8p-2f);
        assertThat(y[185]).isEqualTo(0x1.f21p-1f);
        assertThat(y[222]).isEqualTo(0x1.30e8p-2f);
    }

    @Test
    void roundTripRmsErrorIsWithinBounds() {
        // Sixteen levels, denser near zero: a little better than Q4_0.
        QuantErrors.assertRmsWithin(codec, 0.12, 0.09, 0x1p-24 * 127);
    }
}
