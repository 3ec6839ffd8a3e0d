package dev.switchyard.engine.moe;

/**
 * Running totals over {@link DispatchPlan#plan planned} capacity groups: how many assignments were
 * dropped or rerouted, and how uneven the expert loads were.
 *
 * <p>The <em>load ratio</em> of a group of {@code T} tokens routed top-{@code k} over {@code E}
 * experts is its busiest expert's load over the mean load {@code T * k / E}: 1 is perfectly even, and
 * a grouped expert kernel that waits for its busiest expert runs about that many times longer than an
 * even split would. It is recorded twice: for the plain top-k ({@code dropless}) and for the dispatched
 * assignments. Totals pool the groups weighted by their size ({@link #loadRatio()} is
 * {@code sum(max load) / sum(T * k / E)}), so the many one-token decode groups, whose ratio is always
 * {@code E / k}, do not swamp the prompt windows.
 *
 * <p>Not thread-safe; one per planner, {@link #add} to combine.
 */
public final class DispatchStats {

    private long groups;
    private long tokens;
    private long assignments;
    private long dropped;
    private long rerouted;
    private double maxLoadSum;
    private double droplessMaxLoadSum;
    private double meanLoadSum;
    private double worstLoadRatio;
    private double worstDroplessLoadRatio;

    /**
     * Records one group.
     *
     * @param tokens          the group's token count {@code T}
     * @param k               experts per token
     * @param experts         the expert count {@code E}
     * @param dropped         assignments that run no expert
     * @param rerouted        assignments moved to another expert (they still run; not counted as dropped)
     * @param maxLoad         the busiest expert's load after dispatch
     * @param droplessMaxLoad the busiest expert's load under the plain top-k
     */
    public void record(int tokens, int k, int experts, int dropped, int rerouted, int maxLoad, int droplessMaxLoad) {
        double meanLoad = (double) tokens * k / experts;
        groups++;
        this.tokens += tokens;
        assignments += (long) tokens * k;
        this.dropped += dropped;
        this.rerouted += rerouted;
        maxLoadSum += maxLoad;
        droplessMaxLoadSum += droplessMaxLoad;
        meanLoadSum += meanLoad;
        if (meanLoad > 0) {
            worstLoadRatio = Math.max(worstLoadRatio, maxLoad / meanLoad);
            worstDroplessLoadRatio = Math.max(worstDroplessLoadRatio, droplessMaxLoad / meanLoad);
        }
    }

    /** Adds another accumulator's totals to this one's. */
    public void add(DispatchStats other) {
        groups += other.groups;
        tokens += other.tokens;
        assignments += other.assignments;
        dropped += other.dropped;
        rerouted += other.rerouted;
        maxLoadSum += other.maxLoadSum;
        droplessMaxLoadSum += other.droplessMaxLoadSum;
        meanLoadSum += other.meanLoadSum;
        worstLoadRatio = Math.max(worstLoadRatio, other.worstLoadRatio);
        worstDroplessLoadRatio = Math.max(worstDroplessLoadRatio, other.worstDroplessLoadRatio);
    }

    public void reset() {
        groups = 0;
        tokens = 0;
        assignments = 0;
        dropped = 0;
        rerouted = 0;
        maxLoadSum = 0;
        droplessMaxLoadSum = 0;
        meanLoadSum = 0;
        worstLoadRatio = 0;
        worstDroplessLoadRatio = 0;
    }

    /** The ratio of the busiest expert's load to the mean load {@code T * k / E} of one group. */
    public static double loadRatio(int maxLoad, int tokens, int k, int experts) {
        return maxLoad / ((double) tokens * k / experts);
    }

    public long groups() {
        return groups;
    }

    public long tokens() {
        return tokens;
    }

    /** Top-k assignments considered: the sum of {@code T * k}. */
    public long assignments() {
        return assignments;
    }

    public long dropped() {
        return dropped;
    }

    public long rerouted() {
        return rerouted;
    }

    /** Dropped assignments over all assignments; 0 before any. */
    public double dropRate() {
        return assignments == 0 ? 0 : (double) dropped / assignments;
    }

    /** Rerouted assignments over all assignments; 0 before any. */
    public double rerouteRate() {
        return assignments == 0 ? 0 : (double) rerouted / assignments;
    }

    /** Pooled load ratio after dispatch: {@code sum(max load) / sum(T * k / E)}; 0 before any group. */
    public double loadRatio() {
        return meanLoadSum == 0 ? 0 : maxLoadSum / meanLoadSum;
    }

    /** Pooled load ratio the plain top-k would have had. */
    public double droplessLoadRatio() {
        return meanLoadSum == 0 ? 0 : droplessMaxLoadSum / meanLoadSum;
    }

    /** The highest load ratio of any one group after dispatch. */
    public double worstLoadRatio() {
        return worstLoadRatio;
    }

    /** The highest load ratio of any one group under the plain top-k. */
    public double worstDroplessLoadRatio() {
        return worstDroplessLoadRatio;
    }

    @Override
    public String toString() {
        return String.format(java.util.Locale.ROOT,
                "groups=%d tokens=%d assignments=%d dropped=%d (%.2f%%) rerouted=%d (%.2f%%) "
                        + "load ratio %.3f (dropless %.3f), worst %.3f (dropless %.3f)",
                groups, tokens, assignments, dropped, 100 * dropRate(), rerouted, 100 * rerouteRate(),
                loadRatio(), droplessLoadRatio(), worstLoadRatio, worstDroplessLoadRatio);
    }
}
