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

class IQ4_XSCodecTest {

    private final IQ4_XSCodec codec = new IQ4_XSCodec();

    @Test
    void decodesHandBuiltBlockToKnownValues() {
        // d = 0.5; block ib's scale 8 ib + 3 (low nibbles 3, 11 & 15 = 11, ...; top bits 0..3);
        // qs[i] = 3 * i
        int[] raw = new int[136];
        raw[1] = 0x38;
        int high = 0;
        for (int ib = 0; ib < 8; ib++) {
            int ls = 8 * ib + 3;
            raw[4 + ib / 2] |= (ls & 0x0F) << (4 * (ib % 2));
            high |= (ls >> 4) << (2 * ib);
        }
        raw[2] = high & 0xFF;
        raw[3] = high >> 8;
        for (int i = 0; i < 128; i++) {
            raw[8 + i] = (3 * i) & 0xFF;
        }
        float[] y = decode(codec, bytes(raw), 256);
        int[] table = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
        for (int v = 0; v < 256; v++) {
            int ib = v / 32;
            int j = v % 32;
            int q = (3 * (16 * ib + j % 16)) & 0xFF;
            int index = j < 16 ? q & 0x0F : q >> 4;
            float dl = 0.5f * (8 * ib + 3 - 32);
            assertThat(y[v]).as("value %d", v).isEqualTo(dl * table[index]);
        }
    }

    @Test
    void quantizesAndDecodesBitIdenticallyToGgmlReference() {
        // 136 bytes from ggml's quantize_row_iq4_xs_ref (ggml commit d99724f, built with -ffp-contract=off)
        // for Fixtures.ggmlGoldenInput(), and values of its dequantize_row_iq4_xs of them.
        MemorySegment golden = fromHex(
            "a6100105f7170808ad1c652366616bc8061bc1a1212da52341342281d3ddd22d"
            + "1702321c1d0a898ac0a094138ccdc9950b990a43b8da261a7dc14533301c5141"
            + "2648720b109a80b3e3c012ab1c65dd310252858d1116087658ed53a2a0a64183"
            + "c21bc0939beb827441711400177b0d2d2098d8948c0460ad23dda00d34c1e51b"
            + "40506c2ac311d312");

        assertThat(unsignedBytes(encode(codec, ggmlGoldenInput()))).containsExactly(unsignedBytes(golden));
        float[] y = decode(codec, golden, 256);
        assertThat(y[0]).isEqualTo(-0x1.68d5cp-2f);
        assertThat(y[37]).isEqualTo(-0x1.54c9ep-1f);
        assertThat(y[74]).isEqualTo(-0x1.6b28cp-2f);
        assertThat(y[111]).isEqualTo(0x1.24b4dp+0f);
        assertThat(y[148]).isEqualTo(0x1.e37p-2f);
        assertThat(y[185]).isEqualTo(0x1.e37p-1f);
        assertThat(y[222]).isEqualTo(0x1.32ccp-2f);
    }

    @Test
    void zerosDecodeToZeros() {
        // d = -0 / 32 (as ggml computes it), so the zeros come back signed: equal to 0 all the same
        for (float v : decode(codec, encode(codec, new float[256]), 256)) {
            assertThat(v == 0f).isTrue();
        }
    }

    @Test
    void roundTripRmsErrorIsWithinBounds() {
        QuantErrors.assertRmsWithin(codec, 0.12, 0.09, 0x1p-24 * 32 * 127);
    }
}
