package dev.switchyard.kernels.format;

import static dev.switchyard.kernels.format.Fixtures.assertAllZero;
import static dev.switchyard.kernels.format.Fixtures.decode;
import static dev.switchyard.kernels.format.Fixtures.encode;
import static dev.switchyard.kernels.format.Fixtures.gaussian;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What every codec promises through {@link TensorCodec}, checked for each supported type. */
class TensorCodecContractTest {

    /** Two super-blocks: a whole number of blocks for every type. */
    private static final int N = 512;
    private static final byte SENTINEL = (byte) 0xA5;

    static Stream<TensorCodec> codecs() {
        return Arrays.stream(GgmlType.values()).filter(GgmlType::isSupported).map(TensorCodecs::forType);
    }

    static Stream<TensorCodec> quantizedCodecs() {
        return codecs().filter(c -> c.type().isQuantized());
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void quantizeWritesExactlyByteSizeAndNothingAround(TensorCodec codec) {
        long size = codec.type().byteSize(N);
        long offset = 13;
        float[] x = gaussian(21, N, 1f);

        // Filled with two different patterns, a byte left unwritten would tell them apart.
        MemorySegment a = filled(offset + size + 16, SENTINEL);
        MemorySegment b = filled(offset + size + 16, (byte) 0x5A);
        codec.quantize(x, 0, a, offset, N);
        codec.quantize(x, 0, b, offset, N);

        assertThat(a.asSlice(offset, size).mismatch(b.asSlice(offset, size))).isEqualTo(-1L);
        assertThat(a.asSlice(0, offset).toArray(ValueLayout.JAVA_BYTE)).containsOnly(SENTINEL);
        assertThat(a.asSlice(offset + size).toArray(ValueLayout.JAVA_BYTE)).containsOnly(SENTINEL);
        // And a destination that ends exactly at the last byte is big enough.
        codec.quantize(x, 0, filled(offset + size, SENTINEL), offset, N);
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void honoursSourceAndDestinationArrayOffsets(TensorCodec codec) {
        float[] x = gaussian(22, N + 5, 1f);
        float[] plain = Arrays.copyOfRange(x, 5, 5 + N);

        MemorySegment s = Arena.ofAuto().allocate(codec.type().byteSize(N));
        codec.quantize(x, 5, s, 0, N);
        assertThat(s.mismatch(encode(codec, plain))).isEqualTo(-1L);

        float[] y = new float[N + 6];
        Arrays.fill(y, Float.NaN);
        codec.dequantize(s, 0, y, 3, N);
        assertThat(Arrays.copyOfRange(y, 3, 3 + N)).containsExactly(decode(codec, s, N));
        assertThat(new float[] {y[0], y[1], y[2], y[N + 3], y[N + 4], y[N + 5]})
                .containsOnly(Float.NaN);
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void readsAndWritesPastTwoGigabytes(TensorCodec codec, @TempDir Path dir) throws IOException {
        // A sparse file mapped at 3 GiB: only the pages we touch take space, and any offset
        // squeezed through an int on the way would land in the wrong place or throw.
        long offset = (1L << 31) + 7;
        long size = codec.type().byteSize(N);
        float[] x = gaussian(23, N, 1f);
        MemorySegment expected = encode(codec, x);

        try (Arena arena = Arena.ofConfined();
             FileChannel ch = FileChannel.open(dir.resolve("sparse.bin"), StandardOpenOption.CREATE_NEW,
                     StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.SPARSE)) {
            MemorySegment mapped = ch.map(FileChannel.MapMode.READ_WRITE, 0, 3L << 30, arena);

            codec.quantize(x, 0, mapped, offset, N);

            assertThat(mapped.asSlice(offset, size).mismatch(expected)).isEqualTo(-1L);
            assertThat(mapped.get(ValueLayout.JAVA_BYTE, offset - 1)).isZero();
            assertThat(mapped.get(ValueLayout.JAVA_BYTE, offset + size)).isZero();
            float[] y = new float[N];
            codec.dequantize(mapped, offset, y, 0, N);
            assertThat(y).containsExactly(decode(codec, expected, N));
        }
    }

    @ParameterizedTest
    @MethodSource("codecs")
    void zerosDecodeToZeros(TensorCodec codec) {
        float[] y = decode(codec, encode(codec, new float[N]), N);

        assertAllZero(y, 0, N);
    }

    @ParameterizedTest
    @MethodSource("quantizedCodecs")
    void nonFiniteInputsQuantizeToFiniteValuesWithoutTouchingOtherBlocks(TensorCodec codec) {
        int block = codec.type().blockSize();
        int blocks = 6;
        float[] x = gaussian(24, blocks * block, 1f);
        Arrays.fill(x, 0, block, Float.NaN);                       // block 0: all NaN
        Arrays.fill(x, block, 2 * block, Float.POSITIVE_INFINITY); // block 1: all +inf
        // block 2: clean; block 3: a few non-finite and huge values among normal ones
        int b3 = 3 * block;
        x[b3] = Float.NaN;
        x[b3 + 1] = Float.POSITIVE_INFINITY;
        x[b3 + 2] = Float.NEGATIVE_INFINITY;
        x[b3 + 3] = Float.MAX_VALUE;
        x[b3 + 4] = -Float.MAX_VALUE / 2; // past every f16-scaled format's limit, within MXFP4's range
        // block 4: clean; block 5: one -inf
        x[5 * block + block / 2] = Float.NEGATIVE_INFINITY;

        float[] y = decode(codec, encode(codec, x), x.length);

        for (int i = 0; i < y.length; i++) {
            assertThat(y[i]).as("value %d", i).isFinite();
        }
        assertAllZero(y, 0, block);
        for (int i = block; i < 2 * block; i++) {
            assertThat(y[i]).as("value %d", i).isPositive();
        }
        assertThat(y[b3 + 1]).isPositive();
        assertThat(y[b3 + 2]).isNegative();
        assertThat(y[b3 + 3]).isPositive();
        assertThat(y[b3 + 4]).isNegative();
        assertThat(y[5 * block + block / 2]).isNegative();
        for (int clean : new int[] {2, 4}) {
            float[] alone = Arrays.copyOfRange(x, clean * block, (clean + 1) * block);
            assertThat(Arrays.copyOfRange(y, clean * block, (clean + 1) * block))
                    .as("clean block %d", clean)
                    .containsExactly(decode(codec, encode(codec, alone), block));
        }
    }

    @ParameterizedTest
    @MethodSource("quantizedCodecs")
    void refusesPartialBlocks(TensorCodec codec) {
        int n = codec.type().blockSize() + 1;
        MemorySegment s = Arena.ofAuto().allocate(4 * codec.type().typeSize());

        assertThatThrownBy(() -> codec.quantize(new float[n], 0, s, 0, n))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> codec.dequantize(s, 0, new float[n], 0, n))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static MemorySegment filled(long size, byte value) {
        return Arena.ofAuto().allocate(size).fill(value);
    }
}
