package dev.switchyard.server.cli;

import dev.switchyard.cache.residency.ResidencyCounters;
import dev.switchyard.engine.forward.OffloadedExperts;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** What the residency cache did over some tokens, as generate and bench print it. */
final class OffloadReport {

    private OffloadReport() {
    }

    static String summary(OffloadedExperts offloaded, ResidencyCounters c) {
        return String.format(Locale.ROOT,
                "experts: %d slots, %.1f%% hits (%d hits, %d demand misses), %.3f s stalled, %.1f MiB moved at %.1f GB/s, "
                        + "%d evictions, prefetch %d issued / %d useful",
                offloaded.residency().slots(), 100 * c.hitRate(), c.hits(), c.demandMisses(),
                c.stallSeconds(), c.h2dBytes() / 1048576.0, c.linkBytesPerSecond() / 1e9, c.evictions(),
                c.prefetchIssued(), c.prefetchUseful());
    }

    /** Per-token figures over {@code tokens} tokens. */
    static Map<String, Object> perToken(ResidencyCounters c, long tokens) {
        Map<String, Object> m = new LinkedHashMap<>();
        double n = Math.max(1, tokens);
        m.put("hits_per_token", round(c.hits() / n, 100));
        m.put("demand_misses_per_token", round(c.demandMisses() / n, 100));
        m.put("stall_ms_per_token", round(c.stallSeconds() * 1e3 / n, 1000));
        m.put("mib_moved_per_token", round(c.h2dBytes() / 1048576.0 / n, 100));
        // null, not NaN, when the window copied nothing: JSON has no NaN
        m.put("link_gb_s", c.copySeconds() > 0 ? round(c.linkBytesPerSecond() / 1e9, 10) : null);
        m.put("prefetch_issued", c.prefetchIssued());
        m.put("prefetch_useful", c.prefetchUseful());
        return m;
    }

    private static double round(double v, double scale) {
        return Double.isNaN(v) ? Double.NaN : Math.round(v * scale) / scale;
    }
}
