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

class Q5_0CodecTest {

    private final Q5_0Codec codec = new Q5_0Codec();

    @Test
    void decodesHandBuiltBlockToKnownValues() {
        // d = 0.5, qh = 0x8000_0001 (values 0 and 31 have their fifth bit), qs[j] = j | (15 - j) << 4.
        int[] raw = new int[22];
        raw[1] = 0x38;
        raw[2] = 0x01;
        raw[5] = 0x80;
        for (int j = 0; j < 16; j++) {
            raw[6 + j] = j | (15 - j) << 4;
        }
        float[] y = decode(codec, bytes(raw), 32);
        for (int j = 0; j < 16; j++) {
            int lo = j + (j == 0 ? 16 : 0);
            int hi = (15 - j) + (j == 15 ? 16 : 0);
            assertThat(y[j]).as("value %d", j).isEqualTo((lo - 16) * 0.5f);
            assertThat(y[j + 16]).as("value %d", j + 16).isEqualTo((hi - 16) * 0.5f);
        }
        assertThat(y[0]).isEqualTo(0f);      // 0 | 16 - 16
        assertThat(y[1]).isEqualTo(-7.5f);   // 1 - 16
        assertThat(y[31]).isEqualTo(0f);     // 0 | 16 - 16
    }

    @Test
    void quantizesAndDecodesBitIdenticallyToGgmlReference() {
        // 176 bytes from ggml's quantize_row_q5_0_ref (ggml commit d99724f, built with -ffp-contract=off)
        // for Fixtures.ggmlGoldenInput(), and values of its dequantize_row_q5_0 of them.
        MemorySegment golden = fromHex(
            "f1a8c322814c4847dc47edd3d5810c36623342584c58e9aca0f878c0a4797603"
            + "a88987593f059547280311036caf70b7f73261401a480779612b141212a74084"
            + "5d438fb0212a02e0f972ac899137c3935ea0f50540240157faa858484b0ca960"
            + "372535db989316c50c09543d10febfac0232ba7dcfa8c845303db30977357018"
            + "25a505faf5aee096009ea3f229004ff508585120901a071be14ae4b08a0c6650"
            + "698831279a749b45a0c0d65369448847");

        assertThat(unsignedBytes(encode(codec, ggmlGoldenInput()))).containsExactly(unsignedBytes(golden));
        float[] y = decode(codec, golden, 256);
        assertThat(y[0]).isEqualTo(-0x1.3c4p-2f);
        assertThat(y[37]).isEqualTo(-0x1.6188p-1f);
        assertThat(y[74]).isEqualTo(-0x1.dbp-3f);
        assertThat(y[111]).isEqualTo(0x1.4838p+0f);
        assertThat(y[148]).isEqualTo(0x1.02c8p-1f);
        assertThat(y[185]).isEqualTo(0x1.ed98p-1f);
        assertThat(y[222]).isEqualTo(0x1.bd4p-3f);
    }

    @Test
    void zerosEncodeToZeroScaleAndMiddleLevel() {
        int[] b = unsignedBytes(encode(codec, new float[32]));
        // d = 0 / -16 = -0 (as ggml writes it), every level 16: nibble 0 with the fifth bit set
        assertThat(b[0]).isZero();
        assertThat(b[1]).isEqualTo(0x80);
        for (int i = 2; i < 6; i++) {
            assertThat(b[i]).isEqualTo(0xFF);
        }
        for (int i = 6; i < 22; i++) {
            assertThat(b[i]).isZero();
        }
    }

    @Test
    void roundTripRmsErrorIsWithinBounds() {
        // Steps of max / 16: an error of about step / sqrt(12) = max / 55, and a Gaussian block's
        // largest value is 2.5 to 3.5 times its RMS; half of Q4_0's error.
        QuantErrors.assertRmsWithin(codec, 0.08, 0.06, 0x1p-24 * 16);
    }
}
