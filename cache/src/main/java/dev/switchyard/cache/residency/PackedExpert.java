package dev.switchyard.cache.residency;

/**
 * Where each matrix of an expert lies in its slot: back to back in the order given (gate, up,
 * down), each starting on a cache line, so an expert moves host to device in one copy (the order
 * the host parts are read in; STYLE item 12) and the compute side finds its matrices by offset.
 */
public final class PackedExpert {

    private PackedExpert() {
    }

    /** Offset of part {@code i} when parts of {@code sizes} bytes are packed. */
    public static long offset(long[] sizes, int i) {
        long at = 0;
        for (int p = 0; p < i; p++) {
            at += SlotPool.align(sizes[p]);
        }
        return at;
    }

    /** Bytes the packed parts occupy. */
    public static long size(long[] sizes) {
        return offset(sizes, sizes.length);
    }
}
