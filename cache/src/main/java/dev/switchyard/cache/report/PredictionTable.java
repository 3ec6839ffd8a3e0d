package dev.switchyard.cache.report;

import dev.switchyard.cache.predict.PredictionStats;
import java.io.PrintWriter;
import java.util.Locale;

/** A predictor's precision and recall per target layer, one column pair per depth. */
public final class PredictionTable {

    private PredictionTable() {
    }

    public static void print(String predictor, PredictionStats stats, PrintWriter out) {
        out.printf(Locale.ROOT, "predictor %s: precision / recall of the experts proposed for each layer%n", predictor);
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-8s", "layer"));
        for (int d = 1; d <= stats.maxDepth(); d++) {
            head.append(String.format(Locale.ROOT, " %17s", "+" + d + " ahead P / R"));
        }
        out.println(head);
        for (int l = 1; l < stats.layers(); l++) {
            StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "%-8d", l));
            for (int d = 1; d <= stats.maxDepth(); d++) {
                row.append(cell(stats.precision(d, l), stats.recall(d, l)));
            }
            out.println(row);
        }
        StringBuilder all = new StringBuilder(String.format(Locale.ROOT, "%-8s", "all"));
        for (int d = 1; d <= stats.maxDepth(); d++) {
            all.append(cell(stats.precision(d), stats.recall(d)));
        }
        out.println(all);
    }

    private static String cell(double p, double r) {
        if (Double.isNaN(p) && Double.isNaN(r)) {
            return String.format(Locale.ROOT, " %17s", "-");
        }
        return String.format(Locale.ROOT, " %8s / %6s", pct(p), pct(r));
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * v);
    }
}
