package dev.switchyard.kernels.cpu;

import java.util.SplittableRandom;

/**
 * Runs the logit passes {@code args[0]} times over one row (enough for the JIT to compile them when
 * it may) and prints a hash of every bit of their last results: {@link LogitMathTest} compares an
 * interpreting JVM's line with a compiling one's.
 */
public final class LogitMathCheck {

    private LogitMathCheck() {
    }

    public static void main(String[] args) {
        int rounds = Integer.parseInt(args[0]);
        SplittableRandom random = new SplittableRandom(11);
        float[] x = new float[4099];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (random.nextGaussian() * 5);
        }
        float[] out = new float[x.length];
        long hash = 0;
        for (int round = 0; round < rounds; round++) {
            float max = Float.NEGATIVE_INFINITY;
            for (float v : x) {
                max = Math.max(max, v);
            }
            double sum = LogitMath.sumExp(x, 0, x.length, max);
            double total = LogitMath.expInto(x, x.length, max, 1 / 0.8, out);
            hash = Double.doubleToRawLongBits(sum) * 31 + Double.doubleToRawLongBits(total);
            for (float w : out) {
                hash = hash * 31 + Float.floatToRawIntBits(w);
            }
            hash = hash * 31 + LogitMath.walk(out, out.length, total * 0.37);
        }
        System.out.println("bits " + Long.toHexString(hash));
    }
}
