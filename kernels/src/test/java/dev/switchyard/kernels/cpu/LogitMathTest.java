package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The logit passes: {@link LogitMath#exp} within 2 ulp of {@link Math#exp}; every vector pass the
 * same bits as the scalar code lane by lane and in its stated order; the search finding what a
 * plain walk finds (but where rounding decides); and the same bits in a JVM that
 * only interprets as in one that has compiled the passes (what the Vector API's own exp does not
 * give, and a seeded draw needs).
 */
class LogitMathTest {

    private static float[] logits(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (random.nextGaussian() * 4);
        }
        return x;
    }

    @Test
    void expIsWithinTwoUlpOfMathExp() {
        SplittableRandom random = new SplittableRandom(1);
        List<Double> xs = new ArrayList<>(List.of(0.0, -0.0, -1e-300, -Double.MIN_VALUE, -1e-9, -0.5 * Math.log(2),
                -Math.log(2), -1.0, -10.0, -100.0, -707.9, -LogitMath.LOWEST * -1));
        for (int i = 0; i < 200_000; i++) {
            xs.add(-random.nextDouble() * (i % 2 == 0 ? 1 : 708));
        }
        for (double x : xs) {
            double want = Math.exp(x);
            assertThat(Math.abs(LogitMath.exp(x) - want)).as("exp(%s)", x).isLessThanOrEqualTo(2 * Math.ulp(want));
        }
        assertThat(LogitMath.exp(0)).isEqualTo(1.0);
        assertThat(LogitMath.exp(-708.5)).isZero();
        assertThat(LogitMath.exp(Double.NEGATIVE_INFINITY)).isZero();
    }

    @Test
    void vectorPassesGiveTheScalarBitsInTheirOrder() {
        for (int n : new int[] {1, 3, 17, 64, 1000, 152_064}) {
            float[] x = logits(n + 5, n);
            x[n / 2] = Float.NEGATIVE_INFINITY; // a masked token
            int from = 5;
            if (n >= 17) {
                // far below the rest (exp underflows to 0 past LOWEST), and NaN, which exp(double) takes as 0
                x[from + n / 3] = -2000f;
                x[n - 3] = Float.NaN;
            }
            float max = Float.NEGATIVE_INFINITY;
            for (int i = from; i < from + n; i++) {
                max = Float.isNaN(x[i]) ? max : Math.max(max, x[i]);
            }

            int lanes = LogitMath.lanes();
            double[] laneSums = new double[lanes];
            int whole = n - n % lanes;
            for (int i = 0; i < whole; i++) {
                laneSums[i % lanes] += LogitMath.exp((double) x[from + i] - max);
            }
            double sum = 0;
            for (double s : laneSums) {
                sum += s;
            }
            for (int i = whole; i < n; i++) {
                sum += LogitMath.exp((double) x[from + i] - max);
            }
            assertThat(LogitMath.sumExp(x, from, n, max)).as("n %d", n).isEqualTo(sum);

            float[] out = new float[n];
            double scale = 1 / 0.7;
            double total = LogitMath.expInto(x, n, max, scale, out);
            double[] laneTotals = new double[lanes];
            for (int i = 0; i < n; i++) {
                float w = (float) LogitMath.exp(((double) x[i] - max) * scale);
                assertThat(out[i]).as("n %d, i %d", n, i).isEqualTo(w);
                if (i < whole) {
                    laneTotals[i % lanes] += w;
                }
            }
            double expected = 0;
            for (double s : laneTotals) {
                expected += s;
            }
            for (int i = whole; i < n; i++) {
                expected += out[i];
            }
            assertThat(total).isEqualTo(expected);
        }
    }

    @Test
    void theInverseCdfSearchFindsWhatAPlainWalkFinds() {
        SplittableRandom random = new SplittableRandom(5);
        for (int n : new int[] {1, 7, 64, 257, 4099, 152_064}) {
            float[] x = logits(n, n + 1);
            float[] w = new float[n];
            double total = 0;
            for (int i = 0; i < n; i++) {
                w[i] = i % 5 == 0 ? 0 : (float) Math.exp(x[i] - 12);
                total += w[i];
            }
            for (int trial = 0; trial < 200; trial++) {
                double target = random.nextDouble() * total;
                double cumulative = 0;
                int want = -1;
                for (int i = 0; i < n && want < 0; i++) {
                    cumulative += w[i];
                    want = cumulative > target ? i : -1;
                }
                int got = LogitMath.walk(w, n, target);
                if (got != want) {
                    // only rounding may move the answer, across a boundary closer than it
                    double before = 0;
                    for (int i = 0; i < Math.min(got, want); i++) {
                        before += w[i];
                    }
                    assertThat(Math.abs(before + w[Math.min(got, want)] - target)).as("n %d, target %s", n, target)
                            .isLessThan(1e-5 * total);
                }
            }
            assertThat(LogitMath.walk(w, n, total * 2)).isEqualTo(-1);
        }
    }

    @Test
    void anInterpretingJvmGetsTheSameBitsAsACompilingOne() throws IOException, InterruptedException {
        assertThat(run("-Xint")).isEqualTo(run("-XX:+UseSerialGC"));
    }

    /** What {@link LogitMathCheck} prints in a child JVM started with {@code flag}. */
    private static String run(String flag) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", flag, "-Xmx256m", "-cp",
                System.getProperty("java.class.path"), LogitMathCheck.class.getName(), flag.equals("-Xint") ? "1" : "3000")
                .redirectErrorStream(true).start();
        boolean finished = p.waitFor(120, TimeUnit.SECONDS);
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!finished) {
            p.destroyForcibly();
        }
        assertThat(finished).as("child JVM finished: %s", output).isTrue();
        assertThat(p.exitValue()).as(output).isZero();
        return output.lines().filter(l -> l.startsWith("bits ")).findFirst().orElse(output);
    }
}
