package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.assertAllZero;
import static dev.switchyard.kernels.format.Fixtures.bytes;
import static dev.switchyard.kernels.format.Fixtures.decode;
import static dev.switchyard.kernels.format.Fixtures.encode;
import static dev.switchyard.kernels.format.Fixtures.fromHex;
import static dev.switchyard.kernels.format.Fixtures.ggmlGoldenInput;
import static dev.switchyard.kernels.format.Fixtures.unsignedBytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Q5_KCodecTest {

    private final Q5_KCodec codec = new Q5_KCodec();

    // The sub-block scales and mins the hand-built block encodes (packed as in Q4_KCodecTest).
    private static final int[] SC = {1, 2, 3, 63, 16, 33, 47, 60};
    private static final int[] M = {0, 4, 63, 1, 17, 32, 5, 48};

    // d = 0.5, dmin = 0.25, SC and M packed by hand, qh[l] = 37 * l (mod 256) so that every
    // sub-block's fifth bits differ, and qs[i] = i.
    private static MemorySegment handBuiltBlock() {
        int[] raw = new int[176];
        raw[0] = 0x00; // d = 0.5
        raw[1] = 0x38;
        raw[2] = 0x00; // dmin = 0.25
        raw[3] = 0x34;
        int[] scales = {
            0x41, 0x82, 0x83, 0xFF,
            0x40, 0x84, 0x3F, 0xC1,
            0x10, 0x01, 0x5F, 0x0C,
        };
        System.arraycopy(scales, 0, raw, 4, 12);
        for (int l = 0; l < 32; l++) {
            raw[16 + l] = (37 * l) & 0xFF;
        }
        for (int i = 0; i < 128; i++) {
            raw[48 + i] = i;
        }
        return bytes(raw);
    }

    @Test
    void decodesHandBuiltBlockToKnownValues() {
        float[] y = decode(codec, handBuiltBlock(), 256);

        // Worked by hand: value = 0.5 * sc * q - 0.25 * m, q = nibble + 16 * bit.
        assertThat(y[0]).isEqualTo(0f);        // sub 0, qs[0] low 0, qh[0] = 0
        assertThat(y[1]).isEqualTo(8.5f);      // sub 0, qs[1] low 1, qh[1] = 37 bit 0 set: 0.5*1*17
        assertThat(y[33]).isEqualTo(-1f);      // sub 1, qs[1] high 0, qh[1] bit 1 clear: -0.25*4
        // Every value, from the layout: 64-value chunk c reads qs[32c .. 32c+32), low nibbles
        // first (sub-block 2c), then high nibbles (sub-block 2c+1); bit j of qh[l] tops value l
        // of sub-block j.
        for (int i = 0; i < 256; i++) {
            int chunk = i / 64;
            int within = i % 64;
            int l = within % 32;
            int qs = 32 * chunk + l;
            int sub = i / 32;
            int q = (within < 32 ? qs & 15 : qs >> 4) + 16 * ((((37 * l) & 0xFF) >> sub) & 1);
            assertThat(y[i]).as("value %d", i).isEqualTo(0.5f * SC[sub] * q - 0.25f * M[sub]);
        }
    }

    @Test
    void decodesEachBlockAtItsOwnOffset() {
        MemorySegment one = handBuiltBlock();
        MemorySegment three = Arena.ofAuto().allocate(3 * 176);
        three.asSlice(176, 176).copyFrom(one);

        float[] y = decode(codec, three, 768);

        assertAllZero(y, 0, 256);
        assertThat(Arrays.copyOfRange(y, 256, 512)).containsExactly(decode(codec, one, 256));
        assertAllZero(y, 512, 768);
    }

    @Test
    void quantizesGridAlignedValuesWithFullScalesAndMins() {
        // Every sub-block holds 0..31 in steps of 0.5, shifted down by 4: scale 0.5 and min -4 fit
        // exactly, so all eight sub-blocks get the largest 6-bit scale and min (63).
        float[] x = new float[256];
        for (int i = 0; i < 256; i++) {
            x[i] = (i % 32) * 0.5f - 4f;
        }

        MemorySegment s = encode(codec, x);

        int[] b = unsignedBytes(s);
        float d = Float.float16ToFloat((short) (b[0] | b[1] << 8));
        float dmin = Float.float16ToFloat((short) (b[2] | b[3] << 8));
        assertThat((double) d).isCloseTo(0.5 / 63, withinPercentage(0.1));
        assertThat((double) dmin).isCloseTo(4.0 / 63, withinPercentage(0.1));
        assertThat(Arrays.copyOfRange(b, 4, 16)).containsOnly(0xFF);
        // Value l of every sub-block has level l: fifth bit set (all eight bits of qh[l]) from 16 on.
        for (int l = 0; l < 32; l++) {
            assertThat(b[16 + l]).as("qh[%d]", l).isEqualTo(l >= 16 ? 0xFF : 0);
        }
        for (int l = 0; l < 128; l++) {
            assertThat(b[48 + l]).as("qs[%d]", l).isEqualTo((l % 16) * 0x11);
        }
        float[] y = decode(codec, s, 256);
        for (int i = 0; i < 256; i++) {
            // Only the f16 rounding of d and dmin (2^-11 relative) separates y from x.
            assertThat((double) Math.abs(y[i] - x[i])).isLessThanOrEqualTo((15.5 + 4) * 0x1p-11 + 1e-6);
        }
    }

    @Test
    void zerosEncodeToAnAllZeroBlock() {
        assertThat(unsignedBytes(encode(codec, new float[256]))).containsOnly(0);
    }

    @Test
    void quantizesAndDecodesBitIdenticallyToGgmlReference() {
        // 176 bytes from ggml's quantize_row_q5_K_ref (ggml commit d99724f, built with -ffp-contract=off)
        // for Fixtures.ggmlGoldenInput(), and values of its dequantize_row_q5_K of them.
        MemorySegment golden = fromHex(
            "1b1813264f60aefa4d5fabf700ffddffd65efe6faab1aa3cf0923b6599c0e9a9"
            + "e2037acdd80868dadfbb068e1bd31485a0427fb65e0b741adf938c3b2d80a084"
            + "356a7eca0d2e2e80bffb42a6c9e8b5b90ecf0345e230bab1e5c98856eb77ef68"
            + "c336294a4bb203399e39def2a581b85ac43f5796f501b24b7869f1516a6f9c3f"
            + "10050b798c8f21c43ec14bbca90bbeed5c2ce43f3da52262fefc5c8353b25e70"
            + "832d9cdf5b4d0fa93919f19a5cbe2ea8");

        MemorySegment s = encode(codec, ggmlGoldenInput());

        assertThat(unsignedBytes(s)).containsExactly(unsignedBytes(golden));
        float[] y = decode(codec, golden, 256);
        assertThat(y[0]).isEqualTo(-0x1.3bdcp-2f);
        assertThat(y[37]).isEqualTo(-0x1.789ap-1f);
        assertThat(y[74]).isEqualTo(-0x1.215cp-2f);
        assertThat(y[111]).isEqualTo(0x1.40bd8p+0f);
        assertThat(y[148]).isEqualTo(0x1.097p-1f);
        assertThat(y[185]).isEqualTo(0x1.01248p+0f);
        assertThat(y[222]).isEqualTo(0x1.8fbap-3f);
    }

    @Test
    void roundTripRmsErrorIsWithinBounds() {
        // Half of Q4_K's bounds (one more bit), plus the error half a subnormal step in d or dmin
        // can cause (d * 63 * 31 + dmin * 63) for data so small that the f16 super-scales lose precision.
        double floor = 0x1p-25 * (63 * 31 + 63);
        QuantErrors.assertRmsWithin(codec, 0.05, 0.04, floor);
    }
}
