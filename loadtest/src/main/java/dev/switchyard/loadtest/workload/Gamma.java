package dev.switchyard.loadtest.workload;

import java.util.random.RandomGenerator;

/**
 * Gamma-distributed samples by Marsaglia and Tsang's method ("A Simple Method for Generating Gamma
 * Variables", ACM TOMS 26(3), 2000): one normal and one uniform per try, accepted over 95% of the time
 * for shape >= 1. Shapes below 1 use the boost {@code Gamma(a) = Gamma(a+1) * U^(1/a)} from the same paper.
 */
final class Gamma {

    private Gamma() {
    }

    static double sample(double shape, double scale, RandomGenerator random) {
        if (shape < 1) {
            double u = random.nextDouble();
            return sample(shape + 1, scale, random) * Math.pow(u, 1.0 / shape);
        }
        double d = shape - 1.0 / 3.0;
        double c = 1.0 / Math.sqrt(9.0 * d);
        while (true) {
            double x = random.nextGaussian();
            double v = 1.0 + c * x;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = random.nextDouble();
            if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
                return d * v * scale;
            }
        }
    }
}
