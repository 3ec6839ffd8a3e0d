package dev.switchyard.cache.report;

import dev.switchyard.cache.sim.SimResult;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.io.Writer;
import java.util.List;

/**
 * The simulator's results as CSV, one row per policy and cache size, with exactly the columns of
 * {@link #HEADER}. Rates are fractions in 0..1; prefetch_precision is empty for a policy that
 * issued no prefetches (it has none to be precise about).
 */
public final class SimCsv {

    public static final String HEADER =
            "policy,cache_fraction,hit_rate,demand_miss_rate,prefetch_precision,bytes_per_token,stall_s_per_token,predicted_tok_s";

    private SimCsv() {
    }

    public static void write(List<SimResult> results, Writer out) throws IOException {
        out.write(HEADER);
        out.write('\n');
        for (SimResult r : results) {
            out.write(String.join(",",
                    r.policy(),
                    number(r.cacheFraction()),
                    number(r.stats().hitRate()),
                    number(r.stats().missRate()),
                    number(r.stats().prefetchPrecision()),
                    number(r.bytesPerToken()),
                    number(r.stallPerToken()),
                    number(r.tokensPerSecond())));
            out.write('\n');
        }
    }

    /** Six significant digits, plain notation, no trailing zeros: 0.25, 1.23457e-05 -> 0.0000123457. */
    private static String number(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "";
        }
        return new BigDecimal(v).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }
}
