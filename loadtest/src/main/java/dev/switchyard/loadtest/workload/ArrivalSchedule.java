package dev.switchyard.loadtest.workload;

import java.util.random.RandomGenerator;

/**
 * When each request is sent, as offsets from the start of the run.
 *
 * <p>As vLLM's {@code bench serve} does: at rate {@code inf} every request is due at once (the
 * concurrency limit, if any, then paces them); otherwise the gaps between arrivals are drawn from a
 * gamma distribution with shape {@code burstiness} and mean {@code 1/rate}, so burstiness 1 gives a
 * Poisson process, below 1 burstier traffic and above 1 more even traffic, all at the same mean rate.
 */
public final class ArrivalSchedule {

    private ArrivalSchedule() {
    }

    /** Offsets in nanoseconds, non-decreasing; the first request is due at its first gap (0 at rate inf). */
    public static long[] offsetsNanos(int count, double rate, double burstiness, RandomGenerator random) {
        if (!(rate > 0)) {
            throw new IllegalArgumentException("request rate must be positive, got " + rate);
        }
        if (!(burstiness > 0)) {
            throw new IllegalArgumentException("burstiness must be positive, got " + burstiness);
        }
        long[] offsets = new long[count];
        if (Double.isInfinite(rate)) {
            return offsets;
        }
        double scale = 1.0 / (rate * burstiness);
        double t = 0;
        for (int i = 0; i < count; i++) {
            t += Gamma.sample(burstiness, scale, random);
            offsets[i] = Math.round(t * 1e9);
        }
        return offsets;
    }
}
