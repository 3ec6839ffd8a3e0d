package dev.switchyard.cache.predict;

/**
 * Precision and recall of a predictor per target layer and depth, over the union of experts a step
 * needs: precision = proposed and used / proposed (what a prefetch of the proposals would not
 * waste), recall = proposed and used / used (what it would save from a demand fetch).
 */
public final class PredictionStats {

    private final long[][] proposed; // [depth-1][target layer]
    private final long[][] correct;
    private final long[][] used;

    public PredictionStats(int maxDepth, int layers) {
        proposed = new long[maxDepth][layers];
        correct = new long[maxDepth][layers];
        used = new long[maxDepth][layers];
    }

    public void record(int depth, int target, int proposedCount, int correctCount, int usedCount) {
        proposed[depth - 1][target] += proposedCount;
        correct[depth - 1][target] += correctCount;
        used[depth - 1][target] += usedCount;
    }

    public int maxDepth() {
        return proposed.length;
    }

    public int layers() {
        return proposed[0].length;
    }

    public double precision(int depth, int target) {
        return ratio(correct[depth - 1][target], proposed[depth - 1][target]);
    }

    public double recall(int depth, int target) {
        return ratio(correct[depth - 1][target], used[depth - 1][target]);
    }

    /** Over every target layer at {@code depth}. */
    public double precision(int depth) {
        return ratio(sum(correct[depth - 1]), sum(proposed[depth - 1]));
    }

    public double recall(int depth) {
        return ratio(sum(correct[depth - 1]), sum(used[depth - 1]));
    }

    private static long sum(long[] v) {
        long s = 0;
        for (long x : v) {
            s += x;
        }
        return s;
    }

    private static double ratio(long a, long b) {
        return b == 0 ? Double.NaN : (double) a / b;
    }
}
