package dev.switchyard.cache.residency;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.CountDownLatch;

/** Experts whose bytes say which expert they are: any mix-up of slots shows in the contents. */
final class PatternSource implements ExpertSource {

    static final long[] SIZES = {1000, 600, 1000};

    private final int layers;
    private final int experts;
    private final MemorySegment[][][] parts;
    volatile CountDownLatch gate; // when set, copies wait for it (tests of sharing)

    PatternSource(int layers, int experts) {
        this.layers = layers;
        this.experts = experts;
        this.parts = new MemorySegment[layers][experts][SIZES.length];
        for (int l = 0; l < layers; l++) {
            for (int e = 0; e < experts; e++) {
                for (int p = 0; p < SIZES.length; p++) {
                    byte[] b = new byte[(int) SIZES[p]];
                    for (int i = 0; i < b.length; i++) {
                        b[i] = value(l, e, p, i);
                    }
                    parts[l][e][p] = MemorySegment.ofArray(b);
                }
            }
        }
    }

    static byte value(int layer, int expert, int part, int i) {
        return (byte) (layer * 31 + expert * 7 + part * 3 + i);
    }

    /** Whether {@code packed} holds exactly expert (layer, expert). */
    static boolean holds(MemorySegment packed, int layer, int expert) {
        for (int p = 0; p < SIZES.length; p++) {
            long base = PackedExpert.offset(SIZES, p);
            for (int i = 0; i < SIZES[p]; i++) {
                if (packed.get(ValueLayout.JAVA_BYTE, base + i) != value(layer, expert, p, i)) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public int layers() {
        return layers;
    }

    @Override
    public int experts() {
        return experts;
    }

    @Override
    public MemorySegment[] parts(int layer, int expert) {
        CountDownLatch g = gate;
        if (g != null) {
            try {
                g.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return parts[layer][expert];
    }

    @Override
    public long maxPackedBytes() {
        return PackedExpert.size(SIZES);
    }
}
