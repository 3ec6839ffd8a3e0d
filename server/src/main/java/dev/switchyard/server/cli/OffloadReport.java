package dev.switchyard.server.cli;

import dev.switchyard.cache.residency.ResidencyCounters;
import dev.switchyard.engine.forward.OffloadedExperts;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What the residency cache did over some tokens, as generate and bench print it. */
final class OffloadReport {

    private OffloadReport() {
    }

    static String summary(OffloadedExperts offloaded, ResidencyCounters c) {
        String line = String.format(Locale.ROOT,
                "experts: %d slots, %.1f%% hits (%d hits, %d demand misses), %.3f s stalled%s, "
                        + "%.1f MiB moved at %.1f GB/s, "
                        + "%d evictions, prefetch %d issued / %d useful / %d dropped for want of a free slot",
                offloaded.residency().slots(), 100 * c.hitRate(), c.hits(), c.demandMisses(),
                c.stallSeconds(), overLinkBound(c), c.h2dBytes() / 1048576.0, c.linkBytesPerSecond() / 1e9, c.evictions(),
                c.prefetchIssued(), c.prefetchUseful(), c.prefetchSkipped());
        if (!offloaded.settings().hybrid()) {
            return line;
        }
        return line + String.format(Locale.ROOT, ", hybrid: %d misses computed on the host, %d copied",
                c.hostExperts(), c.copiedExperts());
    }

    /**
     * How far the stall is from the demand misses' copies at the link's rate, where there were
     * copies, and how much of it went on predictions still in flight.
     */
    private static String overLinkBound(ResidencyCounters c) {
        double over = c.stallOverLinkBound();
        if (Double.isNaN(over)) {
            return "";
        }
        return String.format(Locale.ROOT, " (%.2fx the link's bound; %.3f s of it on predictions still in flight, "
                + "demand misses %.2fx)", over, c.lateStallSeconds(), c.demandStallOverLinkBound());
    }

    /** Per-token figures over {@code tokens} tokens. */
    static Map<String, Object> perToken(ResidencyCounters c, long tokens) {
        Map<String, Object> m = new LinkedHashMap<>();
        double n = Math.max(1, tokens);
        m.put("hits_per_token", round(c.hits() / n, 100));
        m.put("demand_misses_per_token", round(c.demandMisses() / n, 100));
        // hybrid execution (zero without it): misses computed on the host, and those it chose to copy
        m.put("host_experts_per_token", round(c.hostExperts() / n, 100));
        m.put("copied_experts_per_token", round(c.copiedExperts() / n, 100));
        m.put("stall_ms_per_token", round(c.stallSeconds() * 1e3 / n, 1000));
        // the demand misses' copies back to back at the link rate achieved; null (not NaN) without copies
        double bound = c.linkBoundStallSeconds();
        m.put("stall_link_bound_ms_per_token", Double.isNaN(bound) ? null : round(bound * 1e3 / n, 1000));
        double over = c.stallOverLinkBound();
        m.put("stall_over_link_bound", Double.isNaN(over) ? null : round(over, 100));
        // the share of the stall spent on predicted experts still being copied when their layer asked
        m.put("late_prediction_stall_ms_per_token", round(c.lateStallSeconds() * 1e3 / n, 1000));
        double demandOver = c.demandStallOverLinkBound();
        m.put("demand_stall_over_link_bound", Double.isNaN(demandOver) ? null : round(demandOver, 100));
        m.put("mib_moved_per_token", round(c.h2dBytes() / 1048576.0 / n, 100));
        // null, not NaN, when the window copied nothing: JSON has no NaN
        m.put("link_gb_s", c.copySeconds() > 0 ? round(c.linkBytesPerSecond() / 1e9, 10) : null);
        m.put("prefetch_issued", c.prefetchIssued());
        m.put("prefetch_useful", c.prefetchUseful());
        // issued but never copied: a prediction never waits for a slot or evicts to get one
        m.put("prefetch_dropped", c.prefetchSkipped());
        return m;
    }

    /**
     * The predictor's precision and recall for each layer (see {@link ResidencyCounters#prefetchPrecision}
     * and {@link ResidencyCounters#prefetchRecall}), as fractions rounded to 0.001; null where
     * undefined (layer 0, which nothing precedes, is never predicted).
     */
    static Map<String, Object> predictorByLayer(ResidencyCounters c) {
        List<Double> precision = new ArrayList<>();
        List<Double> recall = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            precision.add(orNull(round(c.prefetchPrecision(l), 1000)));
            recall.add(orNull(round(c.prefetchRecall(l), 1000)));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("precision", precision);
        m.put("recall", recall);
        return m;
    }

    /** {@link #predictorByLayer} as a table, one line per layer. */
    static List<String> predictorTable(ResidencyCounters c) {
        List<String> lines = new ArrayList<>();
        lines.add("layer   precision   recall   (prefetches used / issued; demanded experts a prediction brought)");
        for (int l = 0; l < c.layers(); l++) {
            lines.add(String.format(Locale.ROOT, "%-5d   %9s   %6s", l, percent(c.prefetchPrecision(l)),
                    percent(c.prefetchRecall(l))));
        }
        return lines;
    }

    private static String percent(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }

    private static Double orNull(double v) {
        return Double.isNaN(v) ? null : v;
    }

    private static double round(double v, double scale) {
        return Double.isNaN(v) ? Double.NaN : Math.round(v * scale) / scale;
    }
}
