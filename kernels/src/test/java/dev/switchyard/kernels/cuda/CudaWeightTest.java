package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/** What the CUDA backend refuses before it touches the device (runs everywhere). */
class CudaWeightTest {

    @Test
    void formatsWithoutKernelsAreRefusedWhenTheWeightIsCreated() {
        MemorySegment data = Arena.ofAuto().allocate(GgmlType.TQ1_0.byteSize(256));
        assertThatThrownBy(() -> new CudaWeight(null, GgmlType.TQ1_0, data, new long[] {256, 1}))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("no kernels for TQ1_0");
    }

    @Test
    void quantizedRowsMustHoldWholeBlocks() {
        MemorySegment data = Arena.ofAuto().allocate(1024);
        assertThatThrownBy(() -> new CudaWeight(null, GgmlType.Q8_0, data, new long[] {40, 2}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiple of 32");
    }
}
