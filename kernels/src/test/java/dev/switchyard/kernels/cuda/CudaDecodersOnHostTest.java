package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.TensorCodecs;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every weight format's CUDA decoder ({@code decode<TYPE>} of {@code common.cuh}, through which
 * every matmul, embedding and expert kernel reads its weights) built for the host with a C++
 * compiler ({@code kernels/src/test/cuda/decode_host.cpp}) and held to the Java codec bit for bit,
 * every value of rows the codec wrote: the decoding half of the kernels, checked where no GPU is.
 * Skipped, with the reason, where no compiler or no source tree is at hand.
 */
@SuppressWarnings("restricted")
class CudaDecodersOnHostTest {

    @TempDir
    static Path dir;

    private static MethodHandle decode;

    @BeforeAll
    static void build() throws IOException, InterruptedException {
        SymbolLookup lookup = HostHarness.build("kernels/src/test/cuda/decode_host.cpp", dir, "-std=c++17");
        decode = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("decode_host"), FunctionDescriptor.of(
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
    }

    private static float[] decodeOnHost(GgmlType type, MemorySegment row, int n) throws Throwable {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ValueLayout.JAVA_FLOAT, n);
            MemorySegment in = a.allocate(row.byteSize(), 16);
            in.copyFrom(row);
            int rc = (int) decode.invokeExact(type.id(), in, n, out);
            assertThat(rc).as("%s has a decoder in the harness", type).isZero();
            return out.toArray(ValueLayout.JAVA_FLOAT);
        }
    }

    @Test
    void everyFormatTheKernelsReadDecodesAsTheCodecDoes() throws Throwable {
        int rows = 3;
        int cols = 1024;
        for (GgmlType type : GpuTests.TYPES) {
            assertThat(CudaKernels.supports(type)).as("%s has kernels", type).isTrue();
            MemorySegment data = GpuTests.weights(type, 31, rows, cols, 1);
            long rowBytes = type.byteSize(cols);
            for (int r = 0; r < rows; r++) {
                MemorySegment row = data.asSlice(r * rowBytes, rowBytes);
                float[] expected = new float[cols];
                TensorCodecs.forType(type).dequantize(row, 0, expected, 0, cols);
                float[] actual = decodeOnHost(type, row, cols);
                for (int k = 0; k < cols; k++) {
                    assertThat(Float.floatToRawIntBits(actual[k])).as("%s row %d value %d: %s against %s", type, r, k,
                            actual[k], expected[k]).isEqualTo(Float.floatToRawIntBits(expected[k]));
                }
            }
        }
    }

    /**
     * MXFP4's scale is built from its bits on the device: every exponent (block e of the row has
     * exponent e) with every nibble, bit for bit as the codec decodes it, subnormal half scales
     * (e &lt; 2) and infinite products (e &gt;= 253) included.
     */
    @Test
    void mxfp4DecodesEveryExponentAndNibbleAsTheCodec() throws Throwable {
        int n = 256 * 32;
        MemorySegment row = Arena.ofAuto().allocate(256 * 17);
        for (int e = 0; e < 256; e++) {
            row.set(ValueLayout.JAVA_BYTE, e * 17L, (byte) e);
            for (int j = 0; j < 16; j++) {
                row.set(ValueLayout.JAVA_BYTE, e * 17L + 1 + j, (byte) (j | (15 - j) << 4));
            }
        }
        float[] expected = new float[n];
        TensorCodecs.forType(GgmlType.MXFP4).dequantize(row, 0, expected, 0, n);
        float[] actual = decodeOnHost(GgmlType.MXFP4, row, n);
        for (int k = 0; k < n; k++) {
            assertThat(Float.floatToRawIntBits(actual[k])).as("block %d value %d: %s against %s", k / 32, k % 32,
                    actual[k], expected[k]).isEqualTo(Float.floatToRawIntBits(expected[k]));
        }
    }

    @Test
    void everyFormatWithKernelsIsChecked() {
        for (GgmlType type : GgmlType.values()) {
            if (CudaKernels.supports(type)) {
                assertThat(GpuTests.TYPES).as("%s is in the GPU tests' formats", type).contains(type);
            }
        }
    }
}
