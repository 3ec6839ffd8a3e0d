package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.kernels.FloatMatrix;
import org.junit.jupiter.api.Test;

/** Reading a run of rows puts row r in dst[r] and touches no other entry. */
class ReadRowsTest {

    @Test
    void aRunOfRowsLandsAtTheRowsOwnIndices() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            FloatMatrix m = cpu.allocate(5, 3);
            for (int r = 0; r < 5; r++) {
                m.writeRow(r, new float[] {r, 10 * r, 100 * r});
            }
            float[][] dst = new float[5][3];
            dst[0][0] = -1;
            dst[4][2] = -1;
            m.readRows(1, 3, dst);
            assertThat(dst[0]).containsExactly(-1, 0, 0);
            assertThat(dst[1]).containsExactly(1, 10, 100);
            assertThat(dst[3]).containsExactly(3, 30, 300);
            assertThat(dst[4]).containsExactly(0, 0, -1);
            assertThatThrownBy(() -> m.readRows(3, 3, dst)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }
}
