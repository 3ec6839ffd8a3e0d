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

class Q3_KCodecTest {

    private final Q3_KCodec codec = new Q3_KCodec();

    /** Scale s of the hand-built block: 6 bits, s * 4 + 1 (so scale - 32 runs from -31 to 29). */
    private static int scale(int s) {
        return 4 * s + 1;
    }

    // d = 0.5; scales packed by hand from scale(s); hmask[l] = 7 * l; qs[i] = 3 * i.
    private static MemorySegment handBuiltBlock() {
        int[] raw = new int[110];
        for (int l = 0; l < 32; l++) {
            raw[l] = (7 * l) & 0xFF;
        }
        for (int i = 0; i < 64; i++) {
            raw[32 + i] = (3 * i) & 0xFF;
        }
        for (int s = 0; s < 16; s++) {
            int v = scale(s);
            raw[96 + (s & 7)] |= (v & 0x0F) << (s < 8 ? 0 : 4);
            raw[96 + 8 + (s & 3)] |= (v >> 4) << (2 * (s / 4));
        }
        raw[109] = 0x38; // d = 0.5
        return bytes(raw);
    }

    @Test
    void decodesHandBuiltBlockToKnownValues() {
        float[] y = decode(codec, handBuiltBlock(), 256);
        // value 128 h + 32 j + l: bits 2j of qs[32 h + l], bit 4h + j of hmask[l]
        for (int v = 0; v < 256; v++) {
            int h = v / 128;
            int j = (v % 128) / 32;
            int l = v % 32;
            int low = (((3 * (32 * h + l)) & 0xFF) >> (2 * j)) & 3;
            int third = (((7 * l) & 0xFF) >> (4 * h + j)) & 1;
            int s = v / 16;
            float dl = 0.5f * (scale(s) - 32);
            assertThat(y[v]).as("value %d", v).isEqualTo(dl * (low + 4 * third - 4));
        }
    }

    @Test
    void quantizesAndDecodesBitIdenticallyToGgmlReference() {
        // 110 bytes from ggml's quantize_row_q3_K_ref (ggml commit d99724f, built with -ffp-contract=off)
        // for Fixtures.ggmlGoldenInput(), and values of its dequantize_row_q3_K of them.
        MemorySegment golden = fromHex(
            "29a10090544e55c3066dc49a662f12461dfc843226e6962520447971e42cab7a"
            + "820ae7a12bac457cd30654680c5633962d99cb918b6beb8644810a2555611151"
            + "82882a85815fe6690905436aa57784bf7e8d5d059587ca5298d3e840850db050"
            + "8988033fa899034211111110d724");

        assertThat(unsignedBytes(encode(codec, ggmlGoldenInput()))).containsExactly(unsignedBytes(golden));
        float[] y = decode(codec, golden, 256);
        assertThat(y[0]).isEqualTo(-0x1.0f08p-2f);
        assertThat(y[37]).isEqualTo(-0x1.7982p-1f);
        assertThat(y[74]).isEqualTo(-0x1.d0ap-2f);
        assertThat(y[111]).isEqualTo(0x1.18b6p+0f);
        assertThat(y[148]).isEqualTo(0x1.d0ap-2f);
        assertThat(y[185]).isEqualTo(0x1.f758p-1f);
        assertThat(y[222]).isEqualTo(0x1.bd44p-2f);
    }

    @Test
    void zerosEncodeToAZeroScale() {
        int[] b = unsignedBytes(encode(codec, new float[256]));
        assertThat(b[108]).isZero();
        assertThat(b[109]).isZero();
        assertThat(decode(codec, encode(codec, new float[256]), 256)).containsOnly(0f);
    }

    @Test
    void roundTripRmsErrorIsWithinBounds() {
        // Eight levels per 16 values: about twice Q4_K's error.
        QuantErrors.assertRmsWithin(codec, 0.20, 0.16, 0x1p-24 * 32 * 4);
    }
}
