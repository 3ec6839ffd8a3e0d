package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.bytes;
import static dev.switchyard.kernels.format.Fixtures.decode;
import static dev.switchyard.kernels.format.Fixtures.encode;
import static dev.switchyard.kernels.format.Fixtures.fromHex;
import static dev.switchyard.kernels.format.Fixtures.ggmlGoldenInput;
import static dev.switchyard.kernels.format.Fixtures.unsignedBytes;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Q5_1CodecTest {

    private final Q5_1Codec codec = new Q5_1Codec();

    @Test
    void decodesHandBuiltBlockToKnownValues() {
        // d = 0.5, m = -2, qh = 0x0001_0002 (values 1 and 16 have their fifth bit), qs[j] = j | (15 - j) << 4.
        int[] raw = new int[24];
        raw[1] = 0x38;
        raw[3] = 0xC0;
        raw[4] = 0x02;
        raw[6] = 0x01;
        for (int j = 0; j < 16; j++) {
            raw[8 + j] = j | (15 - j) << 4;
        }
        float[] y = decode(codec, bytes(raw), 32);
        for (int j = 0; j < 16; j++) {
            int lo = j + (j == 1 ? 16 : 0);
            int hi = (15 - j) + (j == 0 ? 16 : 0);
            assertThat(y[j]).as("value %d", j).isEqualTo(lo * 0.5f - 2f);
            assertThat(y[j + 16]).as("value %d", j + 16).isEqualTo(hi * 0.5f - 2f);
        }
        assertThat(y[1]).isEqualTo(6.5f);    // (1 | 16) * 0.5 - 2
        assertThat(y[16]).isEqualTo(13.5f);  // (15 | 16) * 0.5 - 2
    }

    @Test
    void quantizesAndDecodesBitIdenticallyToGgmlReference() {
        // 192 bytes from ggml's quantize_row_q5_1_ref (ggml commit d99724f, built with -ffp-contract=off)
        // for Fixtures.ggmlGoldenInput(), and values of its dequantize_row_q5_1 of them.
        MemorySegment golden = fromHex(
            "bb2718b52cdc0ab350a2e0a6dffbe40affb32c6b9d805094102ceab95f06873f"
            + "3a6477cb05202791cdf949b3c2f8bab8f72d22bc8f0808cd3e6f93a5b2203a91"
            + "e699e8266b178fa87a2f5fbdded4fc1bc03c30544eb30b4b9e3cd8f5ae97be56"
            + "1e28ffb5a7179473045fb795c5f1114be818b0c19abfdccffa2bf6b9fccd4502"
            + "1d0305798f802bc437c74fb5a706b9e3c72d3cbc0f69dd213cdcc4feadd5f292"
            + "9e9b1ca3c3e2ee800530cabd75f399ab84228ed3534a01a63f1ff49854ba25a7");

        assertThat(unsignedBytes(encode(codec, ggmlGoldenInput()))).containsExactly(unsignedBytes(golden));
        float[] y = decode(codec, golden, 256);
        assertThat(y[0]).isEqualTo(-0x1.46p-2f);
        assertThat(y[37]).isEqualTo(-0x1.7a8p-1f);
        assertThat(y[74]).isEqualTo(-0x1.268p-2f);
        assertThat(y[111]).isEqualTo(0x1.3a3p+0f);
        assertThat(y[148]).isEqualTo(0x1.0d4p-1f);
        assertThat(y[185]).isEqualTo(0x1.ffep-1f);
        assertThat(y[222]).isEqualTo(0x1.a44p-3f);
    }

    @Test
    void aConstantBlockDecodesToItself() {
        float[] x = new float[32];
        Arrays.fill(x, -1.25f);
        float[] y = decode(codec, encode(codec, x), 32);
        assertThat(y).containsOnly(-1.25f);
    }

    @Test
    void roundTripRmsErrorIsWithinBounds() {
        // 32 levels over the block's range, plus the f16 rounding of the minimum.
        QuantErrors.assertRmsWithin(codec, 0.06, 0.05, 0x1p-24 * 32);
    }
}
