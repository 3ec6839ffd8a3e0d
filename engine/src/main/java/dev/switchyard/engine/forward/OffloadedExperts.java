package dev.switchyard.engine.forward;

import dev.switchyard.cache.residency.ExpertResidency;
import dev.switchyard.cache.residency.LinkPacer;
import dev.switchyard.cache.residency.SlotPool;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.ExpertSlots;

/**
 * A model's routed experts behind a residency cache: the device tier (the backend's
 * {@link ExpertSlots}: host arena slots on the CPU, device memory on a GPU), the compute views on
 * its slots, the settings the transformer's prefetcher follows and, with hybrid execution, the host
 * path that computes some misses from host memory instead. Attention, embeddings, norms, routers
 * and the output head stay where they are (always resident).
 */
public final class OffloadedExperts implements AutoCloseable {

    private final ExpertResidency residency;
    private final SlotWeights weights;
    private final ExpertOffload settings;
    private final long expertBytes;
    private final HostExperts host; // null without hybrid execution

    private OffloadedExperts(ExpertResidency residency, SlotWeights weights, ExpertOffload settings, long expertBytes,
                             HostExperts host) {
        this.residency = residency;
        this.weights = weights;
        this.settings = settings;
        this.expertBytes = expertBytes;
        this.host = host;
    }

    /**
     * Opens the backend's device tier for {@code settings}' share of the model's routed experts and,
     * with hybrid execution, the host path (its rate measured now, which takes a tenth of a second).
     *
     * @param maxTokens the largest step of the transformer that will compute them
     * @throws IllegalArgumentException when the model has no routed experts, or the tier asked for
     *                                  holds less than one token's experts or does not fit on the device
     */
    public static OffloadedExperts open(ModelConfig config, GgufFile file, Backend backend, ExpertOffload settings,
                                        int maxTokens) {
        if (!config.isMoe()) {
            throw new IllegalArgumentException("expert offloading needs a mixture-of-experts model");
        }
        FileExpertSource source = new FileExpertSource(file, config);
        int slots = settings.memory().slots(config.routedLayers(), config.expertCount(), config.expertUsedCount(),
                source.maxPackedBytes());
        ExpertSlots memory = backend.expertSlots(slots, SlotPool.align(source.maxPackedBytes()), source.hostRegions());
        LinkPacer pacer;
        try {
            pacer = new LinkPacer(settings.pacedBytesPerSecond(memory.realLink()));
        } catch (RuntimeException e) {
            memory.close();
            throw e;
        }
        ExpertResidency residency = new ExpertResidency(source, memory, pacer); // owns the slots from here
        try {
            SlotWeights weights = new SlotWeights(source, memory);
            HostExperts host = settings.hybrid() ? HostExperts.open(residency, source, backend, maxTokens,
                    HybridCostModel.modeledLink(settings, memory.realLink())) : null;
            return new OffloadedExperts(residency, weights, settings, source.maxPackedBytes(), host);
        } catch (RuntimeException e) {
            residency.close();
            throw e;
        }
    }

    public ExpertResidency residency() {
        return residency;
    }

    SlotWeights weights() {
        return weights;
    }

    /** The host path of hybrid execution, or null without it. */
    HostExperts host() {
        return host;
    }

    public ExpertOffload settings() {
        return settings;
    }

    /** Where the slots are and how copies reach them (pinned or staged host memory on a GPU). */
    public String describe() {
        return residency.memory().describe();
    }

    /** Bytes of one packed expert (the slot size before alignment). */
    public long expertBytes() {
        return expertBytes;
    }

    @Override
    public void close() {
        if (host != null) {
            host.close();
        }
        residency.close();
    }
}
