package dev.switchyard.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * The frequencies and magnitude every backend takes from a {@link RopeSpec}, against YaRN written
 * out as llama.cpp applies it: per pair, the angle blended between the original and the one slowed
 * by the factor.
 */
class RopeSpecTest {

    /** ggml's rope_yarn for pair i at {@code position}, in double: the angle. */
    private static double yarnAngle(int i, double position, int dims, double base, RopeSpec.Yarn y) {
        double thetaExtrap = position * Math.pow(base, -2.0 * i / dims);
        double thetaInterp = thetaExtrap / y.factor();
        double low = Math.max(0, Math.floor(dims * Math.log(y.originalContext() / (y.betaFast() * 2 * Math.PI))
                / (2 * Math.log(base))));
        double high = Math.min(dims - 1, Math.ceil(dims * Math.log(y.originalContext() / (y.betaSlow() * 2 * Math.PI))
                / (2 * Math.log(base))));
        double ramp = 1 - Math.min(1, Math.max(0, (i - low) / Math.max(0.001, high - low)));
        double mix = ramp * y.extFactor();
        return thetaInterp * (1 - mix) + thetaExtrap * mix;
    }

    @Test
    void withoutScalingTheFrequenciesArePowersOfTheBase() {
        RopeSpec plain = new RopeSpec(true, 64, 10000, 1);
        double[] f = plain.frequencies();
        assertThat(f).hasSize(32);
        for (int i = 0; i < 32; i++) {
            assertThat(f[i]).isEqualTo(Math.pow(10000, -2.0 * i / 64));
        }
        assertThat(plain.magnitude()).isEqualTo(1.0);
    }

    @Test
    void yarnBlendsEachPairsAngleAsLlamaCppDoes() {
        RopeSpec.Yarn yarn = RopeSpec.Yarn.of(4, 32768);
        RopeSpec spec = new RopeSpec(true, 128, 1_000_000, 1, yarn);
        double[] f = spec.frequencies();
        int kept = 0;
        int slowed = 0;
        for (int i = 0; i < 64; i++) {
            for (double position : new double[] {1, 777, 100_000}) {
                double expected = yarnAngle(i, position, 128, 1_000_000, yarn);
                assertThat(position * f[i]).as("pair %d at %s", i, position).isCloseTo(expected, within(Math.abs(expected) * 1e-12));
            }
            double original = Math.pow(1_000_000, -2.0 * i / 128);
            kept += f[i] == original ? 1 : 0;
            slowed += Math.abs(f[i] - original / 4) <= original * 1e-15 ? 1 : 0;
        }
        // the fast pairs keep their angle, the slow ones turn four times slower, a ramp between
        assertThat(kept).isPositive();
        assertThat(slowed).isPositive();
        assertThat(kept + slowed).isLessThan(64);
        assertThat(spec.magnitude()).isCloseTo(1 + 0.1 * Math.log(4), within(1e-15));
    }

    @Test
    void yarnsAttentionFactorScalesTheMagnitude() {
        RopeSpec spec = new RopeSpec(false, 64, 10000, 1, new RopeSpec.Yarn(8, 4096, 32, 1, 1, 0.5));
        assertThat(spec.magnitude()).isCloseTo(0.5 * (1 + 0.1 * Math.log(8)), within(1e-15));
        assertThat(new RopeSpec(false, 64, 10000, 1, new RopeSpec.Yarn(8, 4096, 32, 1, 0, 0.5)).magnitude())
                .as("no blend, no YaRN magnitude").isEqualTo(0.5);
    }

    @Test
    void impossibleYarnSettingsAreRefused() {
        assertThatThrownBy(() -> RopeSpec.Yarn.of(0, 4096)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> RopeSpec.Yarn.of(4, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void eachPairsFactorDividesItsFrequencyBeforeYarnBlendsIt() {
        float[] factors = new float[32];
        for (int i = 0; i < factors.length; i++) {
            factors[i] = 1 + i % 5;
        }
        double[] plain = new RopeSpec(false, 64, 500000, 1).frequencies();
        double[] divided = new RopeSpec(false, 64, 500000, 1).withFactors(factors).frequencies();
        RopeSpec.Yarn yarn = RopeSpec.Yarn.of(4, 8192);
        double[] yarnPlain = new RopeSpec(false, 64, 500000, 1, yarn).frequencies();
        double[] yarnDivided = new RopeSpec(false, 64, 500000, 1, yarn, factors).frequencies();
        for (int i = 0; i < factors.length; i++) {
            assertThat(divided[i]).isCloseTo(plain[i] / factors[i], within(1e-15 * plain[i]));
            assertThat(yarnDivided[i]).isCloseTo(yarnPlain[i] / factors[i], within(1e-15 * plain[i]));
        }
        assertThat(new RopeSpec(false, 64, 500000, 1).withFactors(null).frequencies()).isEqualTo(plain);
    }

    @Test
    void factorsThatDoNotFitThePairsOrAreNotPositiveAreRefused() {
        RopeSpec spec = new RopeSpec(false, 8, 10000, 1);
        assertThatThrownBy(() -> spec.withFactors(new float[3])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("3 for 4 rotating pairs");
        assertThatThrownBy(() -> spec.withFactors(new float[] {1, 0, 1, 1})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> spec.withFactors(new float[] {1, Float.NaN, 1, 1}))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> spec.withFactors(new float[] {1, Float.NEGATIVE_INFINITY, 1, 1}))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anInfiniteFactorHoldsItsPairStill() {
        double[] plain = new RopeSpec(true, 8, 10000, 1).frequencies();
        double[] held = new RopeSpec(true, 8, 10000, 1).withFactors(new float[] {1, Float.POSITIVE_INFINITY, 1, 1})
                .frequencies();
        assertThat(held).containsExactly(plain[0], 0, plain[2], plain[3]);
        double[] yarnHeld = new RopeSpec(true, 8, 10000, 1, RopeSpec.Yarn.of(4, 64),
                new float[] {1, 1, 1, Float.POSITIVE_INFINITY}).frequencies();
        assertThat(yarnHeld[3]).isZero();
    }
}
