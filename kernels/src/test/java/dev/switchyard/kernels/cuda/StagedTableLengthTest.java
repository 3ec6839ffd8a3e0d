package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The block tables staged for attention take a power of two of ints, so what is staged after them
 * moves only when a step's tables pass one (and its graphs are captured again), not every time a
 * sequence starts a block. Runs without a GPU.
 */
class StagedTableLengthTest {

    @Test
    void roundsUpToAPowerOfTwoWithinTheArray() {
        int[][] cases = {{0, 8, 0}, {1, 8, 1}, {2, 8, 2}, {3, 8, 4}, {5, 8, 8}, {64, 256, 64}, {65, 256, 128},
            {129, 200, 200}};
        for (int[] c : cases) {
            assertThat(CudaBackend.stagedTableLength(c[0], c[1])).as("%d of %d", c[0], c[1]).isEqualTo(c[2]);
        }
    }

    @Test
    void aGrowingTableChangesTheStagedLengthOnlyAtPowersOfTwo() {
        int changes = 0;
        int last = CudaBackend.stagedTableLength(1, Integer.MAX_VALUE);
        for (int length = 2; length <= 4096; length++) {
            int staged = CudaBackend.stagedTableLength(length, Integer.MAX_VALUE);
            assertThat(staged).isGreaterThanOrEqualTo(length).isLessThan(2 * length);
            changes += staged != last ? 1 : 0;
            last = staged;
        }
        assertThat(changes).isEqualTo(12);
    }
}
