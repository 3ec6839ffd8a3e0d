package dev.switchyard.engine.bench;

import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;

/**
 * Warm-up for a benchmark: repeats a run until the JIT has settled, that is until a run during which
 * the compilers worked for less than {@code settledShare} of its wall time, or {@code maxRuns} runs.
 *
 * <p>One warm-up run is not always enough on a small machine: with two cores the JVM has a single
 * C2 thread, whose queue stays long for seconds, and it raises the thresholds for moving a method up
 * to C2 in proportion (by 11x on the bench preset's first decode runs, 2 threads). Until then a
 * kernel first used heavily in a later phase (a two-token pass at batch 16) or a hot loop called
 * rarely (attention's softmax, once per head, looping over the whole context) runs in profiled C1
 * code, where every Vector API operation allocates (JFR's allocation samples show it).
 */
public final class JitWarmup {

    /** Most warm-up runs before measuring anyway. */
    public static final int MAX_RUNS = 6;
    /** A run is settled when compilation took less than this share of its wall time. */
    public static final double SETTLED_SHARE = 0.02;

    private final LongSupplier compileMillis;
    private final int maxRuns;
    private final double settledShare;

    /** Against the JVM's own compilation time, where it is measured (else a single run). */
    public static JitWarmup ofThisJvm() {
        CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
        LongSupplier millis = jit != null && jit.isCompilationTimeMonitoringSupported()
                ? jit::getTotalCompilationTime : null;
        return new JitWarmup(millis, MAX_RUNS, SETTLED_SHARE);
    }

    /** {@code compileMillis}: total compiler time so far, in ms; null when unknown (one run). */
    public JitWarmup(LongSupplier compileMillis, int maxRuns, double settledShare) {
        if (maxRuns < 1 || !(settledShare > 0)) {
            throw new IllegalArgumentException("maxRuns >= 1 and settledShare > 0 are required");
        }
        this.compileMillis = compileMillis;
        this.maxRuns = maxRuns;
        this.settledShare = settledShare;
    }

    /** Runs {@code run} (which returns its wall time in seconds) until settled; returns how many runs. */
    public int warmUp(DoubleSupplier run) {
        for (int runs = 1; ; runs++) {
            long before = compileMillis == null ? 0 : compileMillis.getAsLong();
            double seconds = run.getAsDouble();
            if (compileMillis == null || runs == maxRuns) {
                return runs;
            }
            long compiled = compileMillis.getAsLong() - before;
            if (compiled < settledShare * seconds * 1000) {
                return runs;
            }
        }
    }
}
