package dev.switchyard.cache.residency;

import java.lang.foreign.MemorySegment;

/**
 * The host tier: where an expert's matrices live before they are copied to a slot (on the CPU
 * backend, views on the memory-mapped model file).
 */
public interface ExpertSource {

    int layers();

    int experts();

    /** The expert's matrices in packing order (gate, up, down). */
    MemorySegment[] parts(int layer, int expert);

    /** Bytes of the largest packed expert of any layer: the slot size. */
    long maxPackedBytes();
}
