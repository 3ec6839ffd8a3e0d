package dev.switchyard.engine.forward;

/**
 * Hybrid execution's choice for one expert miss: copy the expert to the device, or compute it on
 * the host from host memory, where every expert lives anyway. Fiddler (Kamahori et al., "Fiddler:
 * CPU-GPU Orchestration for Fast Inference of Mixture-of-Experts Models", 2024) showed that for a
 * few tokens the host often wins: a Mixtral-8x7B expert is 336 MiB in fp16, 7 ms over a 48 GB/s
 * link, while the host reads it once per token from its own memory. The two sides:
 * <pre>
 *   copy = (bytes queued ahead on the link + expert bytes) / link rate
 *   host = tokens x expert bytes / host rate
 * </pre>
 * and the host is chosen when {@code host < copy}. The link rate is the residency's achieved rate
 * once a copy has been measured, else the configured or modeled one. The host rate is bytes of
 * expert weights the host computes per second for one token: seeded at load (a short measurement),
 * then an exponential moving average of the host path's own timings, so it follows the host as it
 * warms up and as the machine's load changes. An expert resident or coming is never offered here:
 * it is the device's whatever this says.
 *
 * <p>A host rate estimated too low would never be corrected: the host would not be chosen, so not
 * timed. (The load-time measurement runs on cold code, and on a loaded machine; seen here: 2 to 16
 * MB/s for an expert of 400 KiB, under a load average of 50 on two cores.) So after
 * {@link #RETIME_AFTER} misses in a row sent over a link that costs anything, the next miss of a
 * single token goes to the host anyway and is timed: at most one miss in that many, the cheapest
 * kind, pays for keeping the estimate live. An estimate too high corrects itself, as the host is
 * then chosen and timed.
 *
 * <p>The choice changes speed only: both sides compute the same expert with the same kernels.
 * Not thread-safe: one per transformer, which runs one step at a time.
 */
final class HybridCostModel {

    /** Weight of each new host timing in the moving average: about the last ten timings count. */
    static final double HOST_SMOOTHING = 0.2;

    /** Misses in a row the link may take before a one-token miss is computed on the host to time it again. */
    static final int RETIME_AFTER = 64;

    private final double modeledLinkBytesPerSecond;
    private double hostBytesPerSecond;
    private int linkChoicesInARow;

    /**
     * @param modeledLinkBytesPerSecond the link's rate until copies are measured;
     *                                  {@link Double#POSITIVE_INFINITY} where copies cost nothing
     * @param hostBytesPerSecond        the host rate's seed: expert bytes computed per second for one token
     */
    HybridCostModel(double modeledLinkBytesPerSecond, double hostBytesPerSecond) {
        if (!(modeledLinkBytesPerSecond > 0)) {
            throw new IllegalArgumentException("the modeled link rate must be positive: " + modeledLinkBytesPerSecond);
        }
        if (!(hostBytesPerSecond > 0) || Double.isInfinite(hostBytesPerSecond)) {
            throw new IllegalArgumentException("the host rate must be positive and finite: " + hostBytesPerSecond);
        }
        this.modeledLinkBytesPerSecond = modeledLinkBytesPerSecond;
        this.hostBytesPerSecond = hostBytesPerSecond;
    }

    /**
     * The link rate to expect before any copy is measured: the rate copies are paced to, else on a
     * real link (a GPU's) {@link ExpertOffload#MODELED_LINK}, else (unpaced copies between two host
     * arenas) none to speak of.
     */
    static double modeledLink(ExpertOffload settings, boolean realLink) {
        double paced = settings.pacedBytesPerSecond(realLink);
        if (paced > 0) {
            return paced;
        }
        return realLink ? ExpertOffload.MODELED_LINK : Double.POSITIVE_INFINITY;
    }

    /**
     * The choice for one miss: {@link #hostIsFaster}, or the host anyway when it is due to be timed
     * again (see above). True: compute it on the host.
     *
     * @param measuredLinkBytesPerSecond the link's achieved rate, NaN (or not positive) while unknown
     */
    boolean computeOnHost(int tokens, long expertBytes, long queuedBytes, double measuredLinkBytesPerSecond) {
        double copy = copySeconds(expertBytes, queuedBytes, measuredLinkBytesPerSecond);
        boolean host = hostSeconds(tokens, expertBytes) < copy
                || (tokens == 1 && copy > 0 && linkChoicesInARow >= RETIME_AFTER);
        linkChoicesInARow = host ? 0 : linkChoicesInARow + 1;
        return host;
    }

    /**
     * Whether computing a missing expert of {@code expertBytes} on the host for {@code tokens}
     * tokens is faster than copying it, with {@code queuedBytes} on the link ahead of its copy.
     *
     * @param measuredLinkBytesPerSecond the link's achieved rate, NaN (or not positive) while unknown
     */
    boolean hostIsFaster(int tokens, long expertBytes, long queuedBytes, double measuredLinkBytesPerSecond) {
        return hostSeconds(tokens, expertBytes) < copySeconds(expertBytes, queuedBytes, measuredLinkBytesPerSecond);
    }

    /** Seconds until a copy of {@code expertBytes} asked for now lands. */
    double copySeconds(long expertBytes, long queuedBytes, double measuredLinkBytesPerSecond) {
        double rate = measuredLinkBytesPerSecond > 0 ? measuredLinkBytesPerSecond : modeledLinkBytesPerSecond;
        return (queuedBytes + expertBytes) / rate;
    }

    /** Seconds the host takes to compute an expert of {@code expertBytes} for {@code tokens} tokens. */
    double hostSeconds(int tokens, long expertBytes) {
        return (double) tokens * expertBytes / hostBytesPerSecond;
    }

    /** The host path computed an expert of {@code expertBytes} for {@code tokens} tokens in {@code nanos}. */
    void hostTimed(int tokens, long expertBytes, long nanos) {
        if (tokens <= 0 || nanos <= 0) {
            return;
        }
        double rate = (double) tokens * expertBytes * 1e9 / nanos;
        hostBytesPerSecond += HOST_SMOOTHING * (rate - hostBytesPerSecond);
    }

    /** Expert bytes the host computes per second for one token, as estimated now. */
    double hostBytesPerSecond() {
        return hostBytesPerSecond;
    }
}
