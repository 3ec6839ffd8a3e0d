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

class Q4_KCodecTest {

    private final Q4_KCodec codec = new Q4_KCodec();

    // The sub-block scales and mins the hand-built block encodes, both 6-bit.
    private static final int[] SC = {1, 2, 3, 63, 16, 33, 47, 60};
    private static final int[] M = {0, 4, 63, 1, 17, 32, 5, 48};

    // d = 0.5, dmin = 0.25, SC and M packed by hand, and qs[i] = i so that every nibble is
    // predictable. Packing: bytes 0..3 are sc[j] | (sc[j+4] >> 4) << 6, bytes 4..7 are
    // m[j] | (m[j+4] >> 4) << 6, bytes 8..11 are (sc[j+4] & 15) | (m[j+4] & 15) << 4.
    private static MemorySegment handBuiltBlock() {
        int[] raw = new int[144];
        raw[0] = 0x00; // d = 0.5
        raw[1] = 0x38;
        raw[2] = 0x00; // dmin = 0.25
        raw[3] = 0x34;
        int[] scales = {
            0x41, 0x82, 0x83, 0xFF,  // 1|1<<6, 2|2<<6, 3|2<<6, 63|3<<6
            0x40, 0x84, 0x3F, 0xC1,  // 0|1<<6, 4|2<<6, 63|0<<6, 1|3<<6
            0x10, 0x01, 0x5F, 0x0C,  // 0|1<<4, 1|0<<4, 15|5<<4, 12|0<<4
        };
        System.arraycopy(scales, 0, raw, 4, 12);
        for (int i = 0; i < 128; i++) {
            raw[16 + i] = i;
        }
        return bytes(raw);
    }

    @Test
    void decodesHandBuiltBlockToKnownValues() {
        float[] y = decode(codec, handBuiltBlock(), 256);

        // Worked by hand: value = 0.5 * sc * q - 0.25 * m.
        assertThat(y[0]).isEqualTo(0f);        // sub 0, qs[0] low 0
        assertThat(y[5]).isEqualTo(2.5f);      // sub 0, qs[5] low 5: 0.5*1*5
        assertThat(y[40]).isEqualTo(-1f);      // sub 1, qs[8] high 0: -0.25*4
        assertThat(y[100]).isEqualTo(62.75f);  // sub 3, qs[36] = 0x24 high 2: 0.5*63*2 - 0.25*1
        assertThat(y[130]).isEqualTo(11.75f);  // sub 4, qs[66] = 0x42 low 2: 0.5*16*2 - 0.25*17
        assertThat(y[170]).isEqualTo(58f);     // sub 5, qs[74] = 0x4A high 4: 0.5*33*4 - 0.25*32
        assertThat(y[200]).isEqualTo(186.75f); // sub 6, qs[104] = 0x68 low 8: 0.5*47*8 - 0.25*5
        assertThat(y[255]).isEqualTo(198f);    // sub 7, qs[127] = 0x7F high 7: 0.5*60*7 - 0.25*48

        // Every value, from the layout: 64-value chunk c reads qs[32c .. 32c+32), low nibbles
        // first (sub-block 2c), then high nibbles (sub-block 2c+1).
        for (int i = 0; i < 256; i++) {
            int chunk = i / 64;
            int within = i % 64;
            int qs = 32 * chunk + within % 32; // index and value, as qs[i] = i
            int q = within < 32 ? qs & 15 : qs >> 4;
            int sub = i / 32;
            assertThat(y[i]).as("value %d", i).isEqualTo(0.5f * SC[sub] * q - 0.25f * M[sub]);
        }
    }

    @Test
    void decodesEachBlockAtItsOwnOffset() {
        MemorySegment one = handBuiltBlock();
        MemorySegment three = Arena.ofAuto().allocate(3 * 144);
        three.asSlice(144, 144).copyFrom(one);

        float[] y = decode(codec, three, 768);

        assertAllZero(y, 0, 256);
        assertThat(Arrays.copyOfRange(y, 256, 512)).containsExactly(decode(codec, one, 256));
        assertAllZero(y, 512, 768);
    }

    @Test
    void quantizesGridAlignedValuesWithFullScalesAndMins() {
        // Every sub-block holds 0..15 in steps of 0.5, shifted down by 2: scale 0.5 and min -2
        // fit exactly, so all eight sub-blocks get the largest 6-bit scale and min (63).
        float[] x = new float[256];
        for (int i = 0; i < 256; i++) {
            x[i] = (i % 16) * 0.5f - 2f;
        }

        MemorySegment s = encode(codec, x);

        int[] b = unsignedBytes(s);
        float d = Float.float16ToFloat((short) (b[0] | b[1] << 8));
        float dmin = Float.float16ToFloat((short) (b[2] | b[3] << 8));
        assertThat((double) d).isCloseTo(0.5 / 63, withinPercentage(0.1));
        assertThat((double) dmin).isCloseTo(2.0 / 63, withinPercentage(0.1));
        // sc = m = 63 everywhere: 63 | 3 << 6 = 0xFF, and the high-half nibbles 15 | 15 << 4 = 0xFF.
        assertThat(Arrays.copyOfRange(b, 4, 16)).containsOnly(0xFF);
        // Values l and l + 32 share a byte and both have level l % 16.
        for (int l = 0; l < 128; l++) {
            assertThat(b[16 + l]).as("qs[%d]", l).isEqualTo((l % 16) * 0x11);
        }
        float[] y = decode(codec, s, 256);
        for (int i = 0; i < 256; i++) {
            // Only the f16 rounding of d and dmin (2^-11 relative) separates y from x.
            assertThat((double) Math.abs(y[i] - x[i])).isLessThanOrEqualTo((7.5 + 2) * 0x1p-11 + 1e-6);
        }
    }

    @Test
    void zerosEncodeToAnAllZeroBlock() {
        assertThat(unsignedBytes(encode(codec, new float[256]))).containsOnly(0);
    }

    @Test
    void quantizesBitIdenticallyToGgmlReference() {
        // 144 bytes from ggml's quantize_row_q4_K_ref (ggml commit d99724f, built with -ffp-contract=off)
        // for Fixtures.ggmlGoldenInput().
        MemorySegment golden = fromHex(
            "281ce2254fa0b0fb4ea0aafe0100bcffd0a1b8dba70db21568c2ce1e1e40584a"
            + "93bdb76d071717c0effea1d3edfc536c0eee89aaf120d4e87264c43af543f7b3"
            + "612394aca5d181a4dea47ef8d2506b3c691eabc2f288d1adbb3bf8a03c37c597"
            + "80028c444d4790691ed825555c0c5e66ae1ef91f96d29031fff52649a1d9afb0"
            + "c9164eefad260fdc9c8470c526df17d3");

        MemorySegment s = encode(codec, ggmlGoldenInput());

        assertThat(unsignedBytes(s)).containsExactly(unsignedBytes(golden));
    }

    @Test
    void roundTripRmsErrorIsWithinBounds() {
        // Per super-block at most 10% of the block's RMS, over a whole tensor at most 8%, plus the
        // error half a subnormal step in d or dmin can cause (d * 63 * 15 + dmin * 63) for data so
        // small that the f16 super-scales lose precision.
        double floor = 0x1p-25 * (63 * 15 + 63);
        QuantErrors.assertRmsWithin(codec, 0.10, 0.08, floor);
    }
}
