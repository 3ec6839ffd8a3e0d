package dev.switchyard.engine.structured;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The pattern of a range matches an integer's JSON spelling exactly when the integer lies within it:
 * random ranges, bounded on both sides, one or neither, against every integer near their ends and
 * random ones far off; never a leading zero or a negative zero.
 */
class IntegerRangeTest {

    @Test
    void aRangesPatternMatchesExactlyTheIntegersWithin() {
        Random random = new Random(17);
        for (int trial = 0; trial < 300; trial++) {
            Long min = random.nextInt(5) == 0 ? null : (long) (random.nextGaussian() * Math.pow(10, random.nextInt(6)));
            Long max = random.nextInt(5) == 0 ? null : (min == null ? 0 : min) + (long) Math.abs(random.nextGaussian()
                    * Math.pow(10, random.nextInt(6)));
            RegexPattern p = RegexPattern.compile(IntegerRange.pattern(min, max));
            for (long center : new long[] {min == null ? -5 : min, max == null ? 5 : max, 0}) {
                for (long v = center - 120; v <= center + 120; v++) {
                    assertThat(p.matches(Long.toString(v))).as("%d in [%s, %s]", v, min, max)
                            .isEqualTo((min == null || v >= min) && (max == null || v <= max));
                }
            }
            for (int i = 0; i < 200; i++) {
                long v = (long) (random.nextGaussian() * Math.pow(10, random.nextInt(14)));
                assertThat(p.matches(Long.toString(v))).as("%d in [%s, %s]", v, min, max)
                        .isEqualTo((min == null || v >= min) && (max == null || v <= max));
            }
            assertThat(p.matches("-0")).isFalse();
            assertThat(p.matches("01")).isFalse();
        }
    }
}
