package dev.switchyard.loadtest.target;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How every generation request of a run asks the server to sample: greedy by default (as vLLM's
 * {@code bench serve} measures), or with a temperature and any of top-p, top-k and min-p, since
 * sampling a row costs a server more than taking its argmax and production traffic mostly samples.
 * Null fields are left out of the requests (the server's defaults apply).
 */
public record RequestSampling(double temperature, Double topP, Integer topK, Double minP) {

    public static final RequestSampling GREEDY = new RequestSampling(0, null, null, null);

    public RequestSampling {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be a number of at least 0, got " + temperature);
        }
        if (topP != null && !(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        }
        if (topK != null && topK < 1) {
            throw new IllegalArgumentException("top-k must be at least 1, got " + topK);
        }
        if (minP != null && !(minP >= 0 && minP <= 1)) {
            throw new IllegalArgumentException("min-p must be in [0, 1], got " + minP);
        }
    }

    /** The fields as a result file records them (RESULTS.md, "config"), unset ones as null. */
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("temperature", temperature);
        m.put("top_p", topP);
        m.put("top_k", topK);
        m.put("min_p", minP);
        return m;
    }
}
