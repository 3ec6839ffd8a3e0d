package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.assertAllZero;
import static dev.switchyard.kernels.format.Fixtures.bytes;
import static dev.switchyard.kernels.format.Fixtures.decode;
import static dev.switchyard.kernels.format.Fixtures.encode;
import static dev.switchyard.kernels.format.Fixtures.fromHex;
import static dev.switchyard.kernels.format.Fixtures.ggmlGoldenInput;
import static dev.switchyard.kernels.format.Fixtures.unsignedBytes;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class Q6_KCodecTest {

    private final Q6_KCodec codec = new Q6_KCodec();

    private static final int[] SCALES = {1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 127, -128};

    // ql[i] = i, so nibbles are predictable; qh is 0xE4 (bit pairs 3,2,1,0 from the top) for the
    // first half and 0x1B (0,1,2,3) for the second, so each 32-value group of a half gets its own
    // top bits; d = 0.5 at the end of the block.
    private static MemorySegment handBuiltBlock() {
        int[] raw = new int[210];
        for (int i = 0; i < 128; i++) {
            raw[i] = i;
        }
        for (int i = 0; i < 32; i++) {
            raw[128 + i] = 0xE4;
            raw[160 + i] = 0x1B;
        }
        for (int i = 0; i < 16; i++) {
            raw[192 + i] = SCALES[i];
        }
        raw[208] = 0x00; // d = 0.5
        raw[209] = 0x38;
        return bytes(raw);
    }

    @Test
    void decodesHandBuiltBlockToKnownValues() {
        float[] y = decode(codec, handBuiltBlock(), 256);

        // Worked by hand: value = 0.5 * scale * (q - 32).
        assertThat(y[0]).isEqualTo(-16f);     // ql[0] low 0, top bits 0: q-32 = -32, scale 1
        assertThat(y[33]).isEqualTo(-15f);    // ql[33] = 0x21 low 1, top 1: 17-32, scale 2
        assertThat(y[70]).isEqualTo(0f);      // ql[6] high 0, top 2: 32-32
        assertThat(y[127]).isEqualTo(-38f);   // ql[63] = 0x3F high 3, top 3: 51-32 = 19, scale -4
        assertThat(y[128]).isEqualTo(40f);    // ql[64] = 0x40 low 0, top 3: 48-32 = 16, scale 5
        assertThat(y[170]).isEqualTo(30f);    // ql[106] = 0x6A low 10, top 2: 42-32 = 10, scale 6
        assertThat(y[200]).isEqualTo(-42f);   // ql[72] = 0x48 high 4, top 1: 20-32 = -12, scale 7
        assertThat(y[239]).isEqualTo(-1651f); // ql[111] = 0x6F high 6, top 0: -26, scale 127
        assertThat(y[255]).isEqualTo(1600f);  // ql[127] = 0x7F high 7, top 0: -25, scale -128

        // Every value, from the layout: in half h, group g (32 values) takes its low 4 bits from
        // ql[64h + l + 32 (g odd)], low nibble for g < 2, and bits 2g..2g+1 of qh[32h + l].
        int[] qh = {0xE4, 0x1B};
        for (int i = 0; i < 256; i++) {
            int h = i / 128;
            int g = (i % 128) / 32;
            int l = i % 32;
            int ql = 64 * h + l + (g % 2) * 32; // index and value, as ql[i] = i
            int low = g < 2 ? ql & 15 : ql >> 4;
            int q = low | ((qh[h] >> (2 * g)) & 3) << 4;
            assertThat(y[i]).as("value %d", i).isEqualTo(0.5f * SCALES[i / 16] * (q - 32));
        }
    }

    @Test
    void decodesEachBlockAtItsOwnOffset() {
        MemorySegment one = handBuiltBlock();
        MemorySegment three = Arena.ofAuto().allocate(3 * 210);
        three.asSlice(210, 210).copyFrom(one);

        float[] y = decode(codec, three, 768);

        assertAllZero(y, 0, 256);
        assertThat(Arrays.copyOfRange(y, 256, 512)).containsExactly(decode(codec, one, 256));
        assertAllZero(y, 512, 768);
    }

    @Test
    void quantizesGridAlignedValuesToTheDocumentedLayout() {
        // Every 16-value sub-block holds the integers -8..7: the largest magnitude -8 puts the
        // grid at 0.25 per level (levels -32, -28, .., 28), an exact fit, so every sub-block scale
        // is -128 and d = 0.25 / -128 = -2^-9.
        float[] x = new float[256];
        for (int i = 0; i < 256; i++) {
            x[i] = (i % 16) - 8;
        }

        MemorySegment s = encode(codec, x);

        int[] b = unsignedBytes(s);
        // Stored q = level + 32 = 4 * (i % 16); values l, l+32, l+64, l+96 of a half share it, so
        // each ql byte repeats one nibble and each qh byte repeats one bit pair.
        for (int h = 0; h < 2; h++) {
            for (int l = 0; l < 32; l++) {
                int q = 4 * (l % 16);
                assertThat(b[64 * h + l]).as("ql[%d]", 64 * h + l).isEqualTo((q & 15) * 0x11);
                assertThat(b[64 * h + l + 32]).as("ql[%d]", 64 * h + l + 32).isEqualTo((q & 15) * 0x11);
                assertThat(b[128 + 32 * h + l]).as("qh[%d]", 32 * h + l).isEqualTo((q >> 4) * 0x55);
            }
        }
        assertThat(Arrays.copyOfRange(b, 192, 208)).containsOnly(0x80);
        assertThat(b[208]).isEqualTo(0x00); // d = -2^-9 is f16 0x9800
        assertThat(b[209]).isEqualTo(0x98);
        assertThat(decode(codec, s, 256)).containsExactly(x);
    }

    @Test
    void zerosEncodeToAnAllZeroBlock() {
        assertThat(unsignedBytes(encode(codec, new float[256]))).containsOnly(0);
    }

    @Test
    void quantizesBitIdenticallyToGgmlReference() {
        // 210 bytes from ggml's quantize_row_q6_K_ref (ggml commit d99724f, built with -ffp-contract=off)
        // for Fixtures.ggmlGoldenInput().
        MemorySegment golden = fromHex(
            "130f370ce9232b71984d51f30072975fd8883a891cfadb3021361c57990bb88a"
            + "433f98101de76955cdf5a6a2048813e8f5df4e1f23709f3ba631d208855201a0"
            + "52403e0aebb711061d1b0842f85a1f4b54eb561585eb12a2a1472130f926c27f"
            + "2f0f31ea408a77921e19c160298a1be496386709f7f7635022609172d548215d"
            + "c302515021bc221e6562208c2cab192866a061446d2d69630060461220b08a88"
            + "45c81482522573b40028a1976819413517de840a0899c7094c617e2a980cd825"
            + "e4e0cdbfa2a2908be0e1c3cea9a680930711");

        MemorySegment s = encode(codec, ggmlGoldenInput());

        assertThat(unsignedBytes(s)).containsExactly(unsignedBytes(golden));
    }

    @Test
    void roundTripRmsErrorIsWithinBounds() {
        // Per super-block at most 3% of the block's RMS, over a whole tensor at most 2%, plus the
        // error half a subnormal step in d can cause (d * 128 * 32) for data so small that the
        // f16 super-scale loses precision.
        double floor = 0x1p-25 * 128 * 32;
        QuantErrors.assertRmsWithin(codec, 0.03, 0.02, floor);
    }
}
