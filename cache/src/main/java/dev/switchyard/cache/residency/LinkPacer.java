package dev.switchyard.cache.residency;

import dev.switchyard.kernels.ExpertSlots;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;

/**
 * Paces host-to-device copies to a link's bandwidth with a token bucket, so that on the CPU backend
 * (where the "device" is just another arena and a copy runs at memory speed) offloading costs what
 * it would over PCIe. Copies go in chunks; each chunk spends tokens earned at {@code bytesPerSecond}
 * since the last one, and waits only for the shortfall. Unlike a sleep per copy this charges large
 * and small copies alike, and idle time earns at most one burst of credit. Used by the copy thread
 * alone.
 *
 * <p>On a GPU the link is real and is the limit by itself; there a pacer is unlimited unless a rate
 * was asked for, and one above the link's never waits (its bucket refills faster than the link
 * drains it), so it only ever slows copies to a rate below the link's.
 */
public final class LinkPacer {

    static final long CHUNK = 1 << 20;
    private static final long BURST = 4 * CHUNK;

    private final double bytesPerNano; // 0: unpaced
    private double tokens;
    private long refilledAt;

    /** @param bytesPerSecond the link's bandwidth; 0 copies at memory speed */
    public LinkPacer(double bytesPerSecond) {
        if (bytesPerSecond < 0 || Double.isNaN(bytesPerSecond)) {
            throw new IllegalArgumentException("link bandwidth must be positive, or 0 for unlimited: " + bytesPerSecond);
        }
        this.bytesPerNano = bytesPerSecond / 1e9;
        this.tokens = BURST;
        this.refilledAt = System.nanoTime();
    }

    public static LinkPacer unlimited() {
        return new LinkPacer(0);
    }

    /** Copies {@code src} to {@code dst} at {@code offset}, chunk by chunk at the link's pace. */
    public void copy(MemorySegment src, MemorySegment dst, long offset) {
        long size = src.byteSize();
        for (long at = 0; at < size; at += CHUNK) {
            long n = Math.min(CHUNK, size - at);
            spend(n);
            MemorySegment.copy(src, at, dst, offset + at, n);
        }
    }

    /**
     * Writes {@code src} into the slot {@code slots} is copying into, at {@code offset}, chunk by
     * chunk at the link's pace.
     */
    public void copy(MemorySegment src, ExpertSlots slots, long offset) {
        long size = src.byteSize();
        for (long at = 0; at < size; at += CHUNK) {
            long n = Math.min(CHUNK, size - at);
            spend(n);
            slots.write(src, at, offset + at, n);
        }
    }

    private void spend(long bytes) {
        if (bytesPerNano == 0) {
            return;
        }
        while (true) {
            long now = System.nanoTime();
            tokens = Math.min(BURST, tokens + (now - refilledAt) * bytesPerNano);
            refilledAt = now;
            if (tokens >= bytes) {
                tokens -= bytes;
                return;
            }
            LockSupport.parkNanos((long) Math.ceil((bytes - tokens) / bytesPerNano));
        }
    }

    /** Parses "25GB/s", "900MB/s", "12.5GiB/s" or a plain bytes-per-second number; "0" or "unlimited" for none. */
    public static double parseBandwidth(String text) {
        String s = text.trim();
        if (s.equalsIgnoreCase("unlimited")) {
            return 0;
        }
        if (s.endsWith("/s")) {
            s = s.substring(0, s.length() - 2);
        }
        return ByteSize.parse(s);
    }
}
