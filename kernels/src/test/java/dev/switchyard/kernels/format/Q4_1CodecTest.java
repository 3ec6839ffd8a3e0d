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

class Q4_1CodecTest {

    private final Q4_1Codec codec = new Q4_1Codec();

    @Test
    void decodesHandBuiltBlockToKnownValues() {
        // d = 0.5, m = -2, qs[j] = j | (15 - j) << 4
        int[] raw = new int[20];
        raw[1] = 0x38;
        raw[3] = 0xC0;
        for (int j = 0; j < 16; j++) {
            raw[4 + j] = j | (15 - j) << 4;
        }
        float[] y = decode(codec, bytes(raw), 32);
        for (int j = 0; j < 16; j++) {
            assertThat(y[j]).isEqualTo(j * 0.5f - 2f);
            assertThat(y[j + 16]).isEqualTo((15 - j) * 0.5f - 2f);
        }
    }

    @Test
    void quantizesAndDecodesBitIdenticallyToGgmlReference() {
        // 160 bytes from ggml's quantize_row_q4_1_ref (ggml commit d99724f, built with -ffp-contract=off)
        // for Fixtures.ggmlGoldenInput(), and values of its dequantize_row_q4_1 of them.
        MemorySegment golden = fromHex(
            "fd2b18b530d178cb777d7205f7d21e3dcec038ca3230eab99dbabb6d0a101bc1"
            + "d6fcacd1e1f455642a3222bc2f3f59ca51102548e354f49b3513c7d4ba335fbd"
            + "602e98aaaed28d9dc7966cf3df435e3b412cffb50a2fdb43e27811adeb8c5860"
            + "cdd7e6671f30f6b986018a4c4f489d6a2bd32f5a53036c79f8313cbc9e6ee9ff"
            + "d663f1c1cf46065961f97f402734cabdba114ee1a92d08d39f8f72c42add1adb");

        assertThat(unsignedBytes(encode(codec, ggmlGoldenInput()))).containsExactly(unsignedBytes(golden));
        float[] y = decode(codec, golden, 256);
        assertThat(y[0]).isEqualTo(-0x1.46p-2f);
        assertThat(y[37]).isEqualTo(-0x1.7a8p-1f);
        assertThat(y[74]).isEqualTo(-0x1.0dp-2f);
        assertThat(y[111]).isEqualTo(0x1.503p+0f);
        assertThat(y[148]).isEqualTo(0x1.1c9p-1f);
        assertThat(y[185]).isEqualTo(0x1.dbbp-1f);
        assertThat(y[222]).isEqualTo(0x1.fap-3f);
    }

    @Test
    void roundTripRmsErrorIsWithinBounds() {
        // 16 levels over the block's range, plus the f16 rounding of the minimum.
        QuantErrors.assertRmsWithin(codec, 0.12, 0.09, 0x1p-24 * 16);
    }
}
