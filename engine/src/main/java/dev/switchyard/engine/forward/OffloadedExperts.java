package dev.switchyard.engine.forward;

import dev.switchyard.cache.residency.ExpertResidency;
import dev.switchyard.cache.residency.LinkPacer;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.kernels.Backend;

/**
 * A model's routed experts behind a residency cache: the device tier, the compute views on its
 * slots, and the settings the transformer's prefetcher follows. Attention, embeddings, norms,
 * routers and the output head stay where they are (always resident).
 */
public final class OffloadedExperts implements AutoCloseable {

    private final ExpertResidency residency;
    private final SlotWeights weights;
    private final ExpertOffload settings;
    private final long expertBytes;

    private OffloadedExperts(ExpertResidency residency, SlotWeights weights, ExpertOffload settings, long expertBytes) {
        this.residency = residency;
        this.weights = weights;
        this.settings = settings;
        this.expertBytes = expertBytes;
    }

    public static OffloadedExperts open(ModelConfig config, GgufFile file, Backend backend, ExpertOffload settings) {
        if (!config.isMoe()) {
            throw new IllegalArgumentException("expert offloading needs a mixture-of-experts model");
        }
        if (!backend.name().startsWith("cpu")) {
            // the CUDA backend copies a weight to the device when it is wrapped, so slot views
            // would not be views; offloading there needs device slots of its own
            throw new IllegalArgumentException("expert offloading runs on the CPU backend only, not " + backend.name());
        }
        FileExpertSource source = new FileExpertSource(file, config.layers(), config.expertCount());
        int slots = settings.memory().slots(config.layers(), config.expertCount(), config.expertUsedCount(),
                source.maxPackedBytes());
        ExpertResidency residency = new ExpertResidency(source, slots, new LinkPacer(settings.linkBytesPerSecond()));
        try {
            SlotWeights weights = new SlotWeights(source, backend, slots, residency::slotMemory);
            return new OffloadedExperts(residency, weights, settings, source.maxPackedBytes());
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

    public ExpertOffload settings() {
        return settings;
    }

    /** Bytes of one packed expert (the slot size before alignment). */
    public long expertBytes() {
        return expertBytes;
    }

    @Override
    public void close() {
        residency.close();
    }
}
