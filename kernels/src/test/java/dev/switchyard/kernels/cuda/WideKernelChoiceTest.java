package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.format.GgmlType;
import org.junit.jupiter.api.Test;

/**
 * Which shapes take the 16-byte-load kernels, and which attention steps take split-K (runs
 * everywhere): the GPU tests' shapes must reach the kernels they are meant to check, the wide one
 * and the generic one, split-K attention and attention_paged.
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
    void stepsOfManyTokensTakeTheTensorCoreMatmul() {
        int min = CudaKernels.TC_MIN_TOKENS;
        assertThat(CudaKernels.tensorCores(true, 4096, min, 0)).isTrue();
        assertThat(CudaKernels.tensorCores(true, 4096, 512, 256)).isTrue();
        assertThat(CudaKernels.tensorCores(true, 4096, min - 1, 0)).as("a decode-sized step").isFalse();
        assertThat(CudaKernels.tensorCores(true, 4100, 512, 0)).as("columns past whole 32-column steps").isFalse();
        assertThat(CudaKernels.tensorCores(true, 4096, 512, 8)).as("activations off 16 bytes").isFalse();
        assertThat(CudaKernels.tensorCores(false, 4096, 512, 0)).as("a GPU without them, or switched off").isFalse();
        for (int tokens : CudaMatmulTest.TENSOR_CORE_TOKENS) {
            assertThat(CudaKernels.tensorCores(true, CudaMatmulTest.TENSOR_CORE_COLS, tokens, 0))
                    .as("the tensor-core test's shape, %d tokens", tokens).isTrue();
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

    @Test
    void decodeStepsOfTheAttentionTestSplitAndItsPrefillDoesNot() {
        int sms = CudaAttentionTest.H200_SMS;
        for (int tokens : CudaAttentionTest.LONG_DECODE_TOKENS) {
            int splits = CudaKernels.attentionSplits(CudaAttentionTest.LONG_HEADS, tokens, sms);
            assertThat(splits).as(tokens + " tokens").isGreaterThan(1);
        }
        int prefill = CudaAttentionTest.LONG_LENGTHS[0] + CudaAttentionTest.LONG_LENGTHS[1];
        assertThat(CudaKernels.attentionSplits(CudaAttentionTest.LONG_HEADS, prefill, sms)).isEqualTo(1);
    }

    @Test
    void attentionSplitsAimAtTwoBlocksPerSmAndStayWithinTheCombinesLimit() {
        // 8 heads x 1 token on 132 SMs: ceil(264 / 8) = 33 splits, clamped to 32
        assertThat(CudaKernels.attentionSplits(8, 1, 132)).isEqualTo(CudaKernels.ATTENTION_MAX_SPLITS);
        // 32 heads x 2 tokens: ceil(264 / 64) = 5
        assertThat(CudaKernels.attentionSplits(32, 2, 132)).isEqualTo(5);
        // 32 heads x 4 tokens: 128 blocks still leave SMs idle; ceil(264 / 128) = 3
        assertThat(CudaKernels.attentionSplits(32, 4, 132)).isEqualTo(3);
        // 132 blocks or more fill the device: one block per (head, token)
        assertThat(CudaKernels.attentionSplits(33, 4, 132)).isEqualTo(1);
        assertThat(CudaKernels.attentionSplits(64, 1000, 132)).isEqualTo(1);
    }
}
