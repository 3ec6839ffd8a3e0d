package dev.switchyard.kernels.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class IQGridTest {

    /**
     * SHA-256 of each table as ggml-common.h lays it out in memory (uint64 or uint32 entries,
     * little-endian): iq2xxs_grid, iq2xs_grid, iq2s_grid, iq3xxs_grid, iq3s_grid, iq1s_grid.
     */
    static Stream<Arguments> grids() {
        return Stream.of(
                Arguments.of(IQGrid.IQ2_XXS, 256, 8, "05826b5d3e472a3a78f196be62ac78acf81df0f909626e12ab9fa2a5d490dd54"),
                Arguments.of(IQGrid.IQ2_XS, 512, 8, "06e47aaca60b4dc1d9b5a3f34540437058a6b142b4d7a59d5ded769b4d1bf1de"),
                Arguments.of(IQGrid.IQ2_S, 1024, 8, "e1aa1473412b0552c2174c30ef22ab4073f6a181b85a17056e8249bd2932fd88"),
                Arguments.of(IQGrid.IQ3_XXS, 256, 4, "46e35f5a997efdee6c99ce57854c8a0d4f0ff8ca57e5e8a60c0793ea580acf5d"),
                Arguments.of(IQGrid.IQ3_S, 512, 4, "bd1af4945a1717c65610b0284e4628b9a1ba3b306fae3a06f6e5f597356e349f"),
                Arguments.of(IQGrid.IQ1_S, 2048, 8, "07540ffc1aeaf6ad4d97e96b0fcc765aae39671d4ae4a27bbd0e796fde167c6a"));
    }

    @ParameterizedTest
    @MethodSource("grids")
    void packedPointsAreGgmlsTablesByteForByte(IQGrid grid, int size, int dim, String sha256) throws Exception {
        ByteBuffer bytes = ByteBuffer.allocate(size * dim).order(ByteOrder.LITTLE_ENDIAN);
        for (int e = 0; e < size; e++) {
            if (dim == 8) {
                bytes.putLong(grid.packed(e));
            } else {
                bytes.putInt((int) grid.packed(e));
            }
        }
        assertThat(grid.size()).isEqualTo(size);
        assertThat(grid.dim()).isEqualTo(dim);
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes.array())))
                .isEqualTo(sha256);
    }

    @Test
    void pointsReadAsTheirCoordinates() {
        // Entries 1 and 200 of each table, written out: ggml's 0x192b081908080808 is entry 200 of
        // iq2xxs_grid, coordinate 0 in its lowest byte.
        assertThat(coordinates(IQGrid.IQ2_XXS, 1)).containsExactly(43, 8, 8, 8, 8, 8, 8, 8);
        assertThat(coordinates(IQGrid.IQ2_XXS, 200)).containsExactly(8, 8, 8, 8, 25, 8, 43, 25);
        assertThat(coordinates(IQGrid.IQ2_XS, 200)).containsExactly(8, 8, 8, 8, 25, 43, 25, 8);
        assertThat(coordinates(IQGrid.IQ2_S, 200)).containsExactly(8, 25, 25, 8, 43, 43, 8, 8);
        assertThat(coordinates(IQGrid.IQ3_XXS, 200)).containsExactly(4, 62, 4, 44);
        assertThat(coordinates(IQGrid.IQ3_S, 200)).containsExactly(15, 1, 1, 5);
        assertThat(coordinates(IQGrid.IQ1_S, 200)).containsExactly(-1, 0, 0, -1, -1, -1, 0, -1);
        assertThat(IQGrid.IQ2_XXS.packed(200)).isEqualTo(0x192b081908080808L);
        assertThat(IQGrid.IQ3_XXS.packed(200)).isEqualTo(0x2c043e04L);
        assertThat(IQGrid.IQ1_S.packed(2047)).isEqualTo(0x0101010101010101L);
        assertThat(IQGrid.IQ1_S.packed(0)).isEqualTo(-1L);
    }

    @ParameterizedTest
    @MethodSource("grids")
    void nearestPointOfAGridPointIsItself(IQGrid grid) {
        float[] t = new float[grid.dim()];
        for (int e = 0; e < grid.size(); e++) {
            for (int j = 0; j < grid.dim(); j++) {
                t[j] = grid.value(e, j);
            }
            assertThat(grid.nearest(t, 0)).as("%s point %d", grid.name(), e).isEqualTo(e);
        }
    }

    @Test
    void nearestPointIsCloseForValuesOffTheGrid() {
        // A point between levels finds a grid point no farther than the nearest of a brute-force scan by more than a level step.
        IQGrid grid = IQGrid.IQ2_XXS;
        float[] t = {40f, 9f, 30f, 20f, 8f, 12f, 44f, 3f};
        int found = grid.nearest(t, 0);
        double best = Double.MAX_VALUE;
        for (int e = 0; e < grid.size(); e++) {
            best = Math.min(best, distance(grid, e, t));
        }
        assertThat(distance(grid, found, t)).isLessThanOrEqualTo(best * 1.5);
    }

    private static double distance(IQGrid grid, int e, float[] t) {
        double d = 0;
        for (int j = 0; j < grid.dim(); j++) {
            d += (t[j] - grid.value(e, j)) * (double) (t[j] - grid.value(e, j));
        }
        return d;
    }

    private static int[] coordinates(IQGrid grid, int entry) {
        int[] c = new int[grid.dim()];
        for (int j = 0; j < c.length; j++) {
            c[j] = grid.value(entry, j);
        }
        return c;
    }
}
