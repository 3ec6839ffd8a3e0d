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

class Q2_KCodecTest {

    private final Q2_KCodec codec = new Q2_KCodec();

    // scales[s] = s | (15 - s) << 4; qs[i] = 5 * i; d = 0.5, dmin = 0.25.
    private static MemorySegment handBuiltBlock() {
        int[] raw = new int[84];
        for (int s = 0; s < 16; s++) {
            raw[s] = s | (15 - s) << 4;
        }
        for (int i = 0; i < 64; i++) {
            raw[16 + i] = (5 * i) & 0xFF;
        }
        raw[81] = 0x38; // d = 0.5
        raw[83] = 0x34; // dmin = 0.25
        return bytes(raw);
    }

    @Test
    void decodesHandBuiltBlockToKnownValues() {
        float[] y = decode(codec, handBuiltBlock(), 256);
        // value 128 h + 32 j + l: bits 2j of qs[32 h + l]; sub-block s = value / 16
        for (int v = 0; v < 256; v++) {
            int h = v / 128;
            int j = (v % 128) / 32;
            int l = v % 32;
            int q = (((5 * (32 * h + l)) & 0xFF) >> (2 * j)) & 3;
            int s = v / 16;
            assertThat(y[v]).as("value %d", v).isEqualTo(0.5f * s * q - 0.25f * (15 - s));
        }
    }

    @Test
    void quantizesAndDecodesBitIdenticallyToGgmlReference() {
        // 84 bytes from ggml's quantize_row_q2_K_ref (ggml commit d99724f, built with -ffp-contract=off)
        // for Fixtures.ggmlGoldenInput(), and values of its dequantize_row_q2_K of them.
        MemorySegment golden = fromHex(
            "34358788ddaabdbd34445798bbcbeffe3cf86daec902dce1555cdf23d314e596"
            + "480a99b691c1419cfe9e78ecce4e7436b633ea389cc58c0bfad21d6882e1b989"
            + "e8107bf5b71538f6b39e81d517f317d5ac2c132d");

        assertThat(unsignedBytes(encode(codec, ggmlGoldenInput()))).containsExactly(unsignedBytes(golden));
        float[] y = decode(codec, golden, 256);
        assertThat(y[0]).isEqualTo(-0x1.e72p-3f);
        assertThat(y[37]).isEqualTo(-0x1.44cp-1f);
        assertThat(y[74]).isEqualTo(-0x1.4ecp-4f);
        assertThat(y[111]).isEqualTo(0x1.069cp+0f);
        assertThat(y[148]).isEqualTo(0x1.1e2p-1f);
        assertThat(y[185]).isEqualTo(0x1.09d4p+0f);
        assertThat(y[222]).isEqualTo(-0x1.3p-3f);
    }

    @Test
    void zerosEncodeToAnAllZeroBlock() {
        assertThat(unsignedBytes(encode(codec, new float[256]))).containsOnly(0);
    }

    @Test
    void roundTripRmsErrorIsWithinBounds() {
        // Four levels per 16 values, with a min: the coarsest format, about three times Q4_K's error.
        QuantErrors.assertRmsWithin(codec, 0.45, 0.35, 0x1p-24 * 15 * 4);
    }
}
