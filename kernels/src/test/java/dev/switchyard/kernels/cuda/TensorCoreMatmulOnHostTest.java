package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tensor-core matmul ({@code matmul_tc.cu}) run on the host, its threads as fibers and
 * wmma played by {@code kernels/src/test/cuda/host/mma.h}, against the CPU backend: its tiles,
 * shared-memory traffic, bounds on partial tiles of rows and tokens, 32-byte-aligned fragment
 * addresses and 3xTF32 arithmetic, checked where no GPU is (the GPU tests check it on the device).
 * Skipped, with the reason, where no C++ compiler or no source tree is at hand.
 */
@SuppressWarnings("restricted")
class TensorCoreMatmulOnHostTest {

    @TempDir
    static Path dir;

    private static MethodHandle matmul;
    private static CpuBackend cpu;

    @BeforeAll
    static void build() throws IOException, InterruptedException {
        SymbolLookup lookup = HostHarness.build("kernels/src/test/cuda/matmul_tc_host.cpp", dir, "-std=c++20", "-pthread");
        matmul = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("matmul_tc_host"), FunctionDescriptor.of(
                ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT,
                ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
        cpu = new CpuBackend(2);
    }

    @AfterAll
    static void stop() {
        if (cpu != null) {
            cpu.close();
        }
    }

    @Test
    void partialTilesOfRowsAndTokensMatchTheCpuBackend() throws Throwable {
        int rows = 70;   // a whole tile of 64 rows and 6 more
        int cols = 256;  // whole 32-column steps, whole K-quant super-blocks
        for (GgmlType type : new GgmlType[] {GgmlType.F32, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.IQ4_XS, GgmlType.IQ3_S,
            GgmlType.MXFP4}) {
            for (int tokens : new int[] {CudaKernels.TC_MIN_TOKENS + 1, 70}) {
                assertThat(CudaKernels.tensorCores(true, cols, tokens, 0)).isTrue();
                MemorySegment data = GpuTests.weights(type, 41, rows, cols, 1);
                float[] x = GpuTests.gaussian(tokens * 3L, tokens * cols, 1f);
                Weight w = cpu.weight(type, data, new long[] {cols, rows});
                FloatMatrix xc = GpuTests.matrix(cpu, x, tokens, cols);
                FloatMatrix oc = cpu.allocate(tokens, rows);
                cpu.matmul(w, 0, xc, oc, tokens);
                float[] expected = GpuTests.read(oc, tokens);
                float[] actual;
                try (Arena a = Arena.ofConfined()) {
                    MemorySegment wd = a.allocate(data.byteSize(), 64);
                    wd.copyFrom(data);
                    MemorySegment xd = a.allocateFrom(ValueLayout.JAVA_FLOAT, x);
                    MemorySegment od = a.allocate(ValueLayout.JAVA_FLOAT, (long) tokens * rows);
                    od.fill((byte) 0xFF); // NaN: every output must be written
                    int rc = (int) matmul.invokeExact(type.id(), wd, type.byteSize(cols), rows, cols, xd, od, tokens);
                    assertThat(rc).isZero();
                    actual = od.toArray(ValueLayout.JAVA_FLOAT);
                }
                GpuTests.assertClose(actual, expected, 5e-5, type + ", " + tokens + " tokens");
            }
        }
    }
}
