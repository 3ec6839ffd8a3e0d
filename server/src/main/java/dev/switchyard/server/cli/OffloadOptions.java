package dev.switchyard.server.cli;

import dev.switchyard.cache.residency.ExpertMemory;
import dev.switchyard.cache.residency.LinkPacer;
import dev.switchyard.engine.forward.ExpertOffload;
import picocli.CommandLine.Option;

/**
 * The expert-offloading flags shared by generate, bench, serve and trace record; without
 * --expert-memory, none. The first three add {@link HybridOption}.
 */
final class OffloadOptions {

    @Option(names = "--expert-memory", paramLabel = "SIZE",
            description = "Offload routed experts to a device tier of SIZE: bytes (e.g. 2GB) or a share of all "
                    + "experts (e.g. 50%%). At least one layer's top-k experts. Default: no offloading.")
    String expertMemory;

    @Option(names = "--link-bandwidth", defaultValue = "auto", paramLabel = "RATE",
            description = "Host-to-device bandwidth copies are paced to, e.g. 25GB/s; 'unlimited' for no pacing; "
                    + "'auto' (the default): a modeled 25GB/s link on the CPU backend, the real link unpaced on CUDA, "
                    + "where a rate only matters if it is below the link's.")
    String linkBandwidth;

    @Option(names = "--predictor", defaultValue = "none", paramLabel = "NAME",
            description = "What prefetches experts of later layers: none, gate, affinity or combined (default: ${DEFAULT-VALUE}).")
    String predictor;

    @Option(names = "--prefetch-depth", defaultValue = "1", paramLabel = "D",
            description = "Layers ahead the predictor prefetches for (default: ${DEFAULT-VALUE}).")
    int prefetchDepth;

    /** The settings, or null when experts stay in place; without hybrid execution. */
    ExpertOffload toOffload() {
        return toOffload(false);
    }

    /**
     * The settings with hybrid execution as {@code hybrid} says, or null when experts stay in place.
     *
     * @throws IllegalArgumentException for hybrid execution without offloading, which has no misses to take
     */
    ExpertOffload toOffload(boolean hybrid) {
        if (expertMemory == null) {
            if (hybrid) {
                throw new IllegalArgumentException("--hybrid on computes missing experts on the host instead of copying "
                        + "them, so it needs offloading: add --expert-memory below 100% (e.g. --expert-memory 25%)");
            }
            return null;
        }
        double link = linkBandwidth.strip().equalsIgnoreCase("auto") ? ExpertOffload.DEVICE_LINK
                : LinkPacer.parseBandwidth(linkBandwidth);
        return new ExpertOffload(ExpertMemory.parse(expertMemory), link, predictor, prefetchDepth, hybrid);
    }
}
