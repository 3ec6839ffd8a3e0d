package dev.switchyard.cache.sim;

/**
 * A demand policy that estimates what Belady's optimum knows. An MoE walks its layers in a fixed
 * cycle, so how long until an expert's layer comes round again is known exactly; only whether the
 * router picks the expert there is not. That chance is estimated from the past: an expert picked at
 * its layer's last visit comes back at the layer's measured repeat rate, any other at its own
 * long-run pick rate. The expected wait until the expert's next use is then
 * {@code layersAhead + layers * (1 - pNext) / pLongRun} (a geometric wait over later visits), and on
 * a miss the resident expert with the longest expected wait leaves, or the newcomer stays out when
 * its own wait is longer still. Experts the running layer has asked for are never evicted while it
 * runs (its kernels may be reading them). Layers must be announced ({@link #beginLayer}), as the
 * simulator does.
 *
 * <p>LRU is the worst case for this cycle: with room for fewer experts than a whole pass uses, it
 * keeps exactly the last pass's picks, so it only hits when the router repeats itself.
 */
public final class NextUsePolicy implements Policy {

    /** Weight of one visit in the running pick rates: about the last hundred visits count. */
    private static final double RATE_WEIGHT = 1.0 / 128;
    /** Pick rates never fall to zero: an expert unseen for long may still come back. */
    private static final double MIN_RATE = 1e-3;

    private final int capacity;
    private final int layers;
    private final int experts;
    private final boolean[] resident;
    private final int[] residentKeys;
    private int residentCount;
    /** Per key: long-run share of its layer's visits that picked it. */
    private final double[] pickRate;
    /** Per key: picked at its layer's most recent finished visit. */
    private final boolean[] pickedLastVisit;
    /** Per key: picked during the visit now running (the current layer's only). */
    private final boolean[] pickedNow;
    /** Per layer: share of last visit's picks picked again at the next visit. */
    private final double[] repeatRate;
    private int currentLayer;
    private boolean visiting;
    private final PolicyStats stats = new PolicyStats();

    public NextUsePolicy(int capacity, int layers, int experts, int topK) {
        this.capacity = capacity;
        this.layers = layers;
        this.experts = experts;
        int keys = layers * experts;
        this.resident = new boolean[keys];
        this.residentKeys = new int[capacity];
        this.pickRate = new double[keys];
        this.pickedLastVisit = new boolean[keys];
        this.pickedNow = new boolean[keys];
        this.repeatRate = new double[layers];
        // before anything is seen: a uniform router, which repeats itself by chance only
        double uniform = Math.min(1.0, (double) topK / experts);
        java.util.Arrays.fill(pickRate, uniform);
        java.util.Arrays.fill(repeatRate, uniform);
    }

    @Override
    public void beginLayer(int layer) {
        if (visiting) {
            finishVisit(currentLayer);
        }
        currentLayer = layer;
        visiting = true;
    }

    /** Folds the visit that just ended into its layer's rates. */
    private void finishVisit(int layer) {
        int base = layer * experts;
        int before = 0;
        int again = 0;
        for (int e = 0; e < experts; e++) {
            int key = base + e;
            boolean picked = pickedNow[key];
            if (pickedLastVisit[key]) {
                before++;
                if (picked) {
                    again++;
                }
            }
            pickRate[key] += RATE_WEIGHT * ((picked ? 1.0 : 0.0) - pickRate[key]);
            pickedLastVisit[key] = picked;
            pickedNow[key] = false;
        }
        if (before > 0) {
            repeatRate[layer] += RATE_WEIGHT * ((double) again / before - repeatRate[layer]);
        }
    }

    @Override
    public boolean access(int key) {
        pickedNow[key] = true;
        if (resident[key]) {
            stats.hit();
            return true;
        }
        stats.miss();
        if (residentCount < capacity) {
            admit(key);
            return false;
        }
        int victimSlot = -1;
        double longest = -1;
        for (int i = 0; i < residentCount; i++) {
            int k = residentKeys[i];
            if (pickedNow[k]) {
                continue; // the running layer may be reading it
            }
            double wait = expectedWait(k, pickedLastVisit[k]);
            if (wait > longest) {
                longest = wait;
                victimSlot = i;
            }
        }
        // the newcomer, just picked, comes back at its layer's repeat rate one whole cycle from now
        if (victimSlot < 0 || expectedWait(key, true) >= longest) {
            return false;
        }
        resident[residentKeys[victimSlot]] = false;
        residentKeys[victimSlot] = key;
        resident[key] = true;
        stats.eviction();
        return false;
    }

    private void admit(int key) {
        resident[key] = true;
        residentKeys[residentCount++] = key;
    }

    /**
     * Expected layers until {@code key} is next used: the wait for its layer's next visit, then,
     * each visit it is not picked at, one more cycle.
     */
    private double expectedWait(int key, boolean pickedLast) {
        int layer = key / experts;
        int ahead = Math.floorMod(layer - currentLayer, layers);
        if (ahead == 0) {
            ahead = layers; // the current layer's own experts are needed again only next cycle
        }
        double longRun = Math.max(MIN_RATE, pickRate[key]);
        double next = pickedLast ? Math.max(MIN_RATE, repeatRate[layer]) : longRun;
        return ahead + layers * (1.0 - next) / longRun;
    }

    /** Whether {@code key} is resident now (for tests). */
    boolean holds(int key) {
        return resident[key];
    }

    @Override
    public PolicyStats stats() {
        return stats;
    }
}
