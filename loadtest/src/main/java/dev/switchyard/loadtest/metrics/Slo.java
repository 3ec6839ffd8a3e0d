package dev.switchyard.loadtest.metrics;

/**
 * Service-level objectives for goodput, in milliseconds; null means "not constrained". A request is
 * good when it completed and meets every given objective (TPOT only applies with 2+ output tokens),
 * as in vLLM's {@code --goodput}.
 */
public record Slo(Double ttftMs, Double tpotMs, Double e2eMs) {

    /** Parses {@code ttft:500,tpot:50,e2e:10000} (any subset, any order). */
    public static Slo parse(String text) {
        Double ttft = null;
        Double tpot = null;
        Double e2e = null;
        for (String part : text.split(",")) {
            String[] kv = part.strip().split(":", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("expected NAME:MS pairs like ttft:500,tpot:50, got '" + part.strip() + "'");
            }
            double ms;
            try {
                ms = Double.parseDouble(kv[1].strip());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("'" + kv[1].strip() + "' is not a number of milliseconds");
            }
            if (!(ms > 0)) {
                throw new IllegalArgumentException("an objective must be positive, got " + part.strip());
            }
            switch (kv[0].strip().toLowerCase()) {
                case "ttft" -> ttft = ms;
                case "tpot" -> tpot = ms;
                case "e2e", "e2el" -> e2e = ms;
                default -> throw new IllegalArgumentException("unknown objective '" + kv[0].strip() + "' (ttft, tpot, e2e)");
            }
        }
        return new Slo(ttft, tpot, e2e);
    }

    boolean met(double ttftMs, Double tpotMs, double e2eMs) {
        return (this.ttftMs == null || ttftMs <= this.ttftMs)
                && (this.tpotMs == null || tpotMs == null || tpotMs <= this.tpotMs)
                && (this.e2eMs == null || e2eMs <= this.e2eMs);
    }
}
