package dev.switchyard.kernels.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class BlocksTest {

    @Test
    void nearestIntRoundsHalvesToEvenLikeGgml() {
        assertThat(Blocks.nearestInt(0.5f)).isZero();
        assertThat(Blocks.nearestInt(1.5f)).isEqualTo(2);
        assertThat(Blocks.nearestInt(2.5f)).isEqualTo(2);
        assertThat(Blocks.nearestInt(-0.5f)).isZero();
        assertThat(Blocks.nearestInt(-1.5f)).isEqualTo(-2);
        assertThat(Blocks.nearestInt(-2.5f)).isEqualTo(-2);
        assertThat(Blocks.nearestInt(2.5000002f)).isEqualTo(3);
        assertThat(Blocks.nearestInt(Float.NaN)).isZero();
    }

    @Test
    void roundHalfAwayRoundsLikeCRoundf() {
        assertThat(Blocks.roundHalfAway(0.5f)).isEqualTo(1);
        assertThat(Blocks.roundHalfAway(2.5f)).isEqualTo(3);
        assertThat(Blocks.roundHalfAway(-0.5f)).isEqualTo(-1);
        assertThat(Blocks.roundHalfAway(-2.5f)).isEqualTo(-3);
        // floor(x + 0.5) would give 1 here: the sum rounds up to exactly 1.0 in float.
        assertThat(Blocks.roundHalfAway(0.49999997f)).isZero();
        assertThat(Blocks.roundHalfAway(-126.49999f)).isEqualTo(-126);
    }

    @Test
    void putScaleSaturatesInsteadOfOverflowing() {
        MemorySegment s = Arena.ofAuto().allocate(6);

        assertThat(Blocks.putScale(s, 0, 1e9f)).isEqualTo(65504f);
        assertThat(Blocks.putScale(s, 2, -1e9f)).isEqualTo(-65504f);
        assertThat(Blocks.putScale(s, 4, Float.NaN)).isZero();
        assertThat(Fixtures.halves(s, 3)).containsExactly(0x7BFF, 0xFBFF, 0x0000);
    }
}
