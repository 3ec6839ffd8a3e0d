package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.format.GgmlType;
import org.junit.jupiter.api.Test;

/**
 * Which shapes take the 16-byte-load kernels (runs everywhere): the GPU tests' shapes must reach the
 * kernels they are meant to check, the wide one and the generic one.
 */
class WideKernelChoiceTest {

    private static boolean wide(GgmlType type, int cols) {
        return CudaKernels.wide(type, type.byteSize(cols), 0, 0);
    }

    @Test
    void theMatmulTestShapesReachBothKernels() {
        for (GgmlType type : GpuTests.TYPES) {
            for (int cols : CudaMatmulTest.wideCols(type)) {
                assertThat(wide(type, cols)).as(type + " x " + cols).isTrue();
            }
            int cols = CudaMatmulTest.cols(type);
            assertThat(wide(type, cols)).as(type + " x " + cols).isFalse();
        }
    }

    @Test
    void quantizedRowsNeedWholeGroupsOfEightBlocks() {
        assertThat(wide(GgmlType.Q8_0, 256)).isTrue();
        assertThat(wide(GgmlType.Q8_0, 4096)).isTrue();
        assertThat(wide(GgmlType.Q8_0, 14336)).isTrue();
        assertThat(wide(GgmlType.Q8_0, 224)).isFalse();
        assertThat(wide(GgmlType.Q4_0, 256)).isTrue();
        assertThat(wide(GgmlType.Q4_0, 480)).isFalse();
    }

    @Test
    void formatsWithoutAWideKernelAndUnalignedAddressesTakeTheGenericOne() {
        assertThat(wide(GgmlType.Q4_K, 4096)).isFalse();
        assertThat(wide(GgmlType.Q6_K, 4096)).isFalse();
        long rowBytes = GgmlType.BF16.byteSize(4096);
        assertThat(CudaKernels.wide(GgmlType.BF16, rowBytes, 0x1000, 0x2000)).isTrue();
        assertThat(CudaKernels.wide(GgmlType.BF16, rowBytes, 0x1002, 0x2000)).isFalse();
        assertThat(CudaKernels.wide(GgmlType.BF16, rowBytes, 0x1000, 0x2008)).isFalse();
    }

    @Test
    void theRoutedExpertTestShapesReachBothKernels() {
        for (GgmlType type : CudaRoutedExpertsTest.TYPES) {
            for (CudaRoutedExpertsTest.Shape s : CudaRoutedExpertsTest.shapes(type)) {
                assertThat(wide(type, s.dim())).as(type + " gate/up of " + s).isEqualTo(s.wideGateUp());
                assertThat(wide(type, s.ffn())).as(type + " down of " + s).isEqualTo(s.wideDown());
            }
        }
    }
}
