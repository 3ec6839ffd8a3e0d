package dev.switchyard.cache.report;

import dev.switchyard.cache.sim.SimResult;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;

/** The simulator's results for a terminal, one line per policy and cache size. */
public final class SimTable {

    private SimTable() {
    }

    public static void print(List<SimResult> results, PrintWriter out) {
        out.printf(Locale.ROOT, "%-11s %6s %6s %8s %9s %10s %10s %9s %11s %10s %9s%n", "policy", "cache", "slots",
                "hit%", "misses", "prefetch", "useful%", "wasted", "MB/token", "stall ms", "tok/s");
        for (SimResult r : results) {
            var s = r.stats();
            out.printf(Locale.ROOT, "%-11s %5.0f%% %6d %8.2f %9d %10s %10s %9s %11.1f %10.2f %9.2f%n",
                    r.policy(), 100 * r.cacheFraction(), r.capacity(), 100 * s.hitRate(), s.misses(),
                    s.prefetches() == 0 ? "-" : String.valueOf(s.prefetches()),
                    s.prefetches() == 0 ? "-" : String.format(Locale.ROOT, "%.1f", 100 * s.prefetchPrecision()),
                    s.prefetches() == 0 ? "-" : String.valueOf(s.wastedPrefetches()),
                    r.bytesPerToken() / 1e6, 1000 * r.stallPerToken(), r.tokensPerSecond());
        }
    }
}
