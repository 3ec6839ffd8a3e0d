package dev.switchyard.cache.residency;

import dev.switchyard.kernels.ExpertSlots;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.locks.LockSupport;

/**
 * Paces host-to-device copies to a link's bandwidth (a token bucket that banks nothing while idle,
 * kept as a virtual clock), so that on the CPU backend (where the "device"
 * is just another arena and a copy runs at memory speed) offloading costs what it would over PCIe.
 * The link is modeled as busy until it has carried what it was given: each chunk of a copy adds its
 * bytes over {@code bytesPerSecond} to that time (starting from now if the link was idle), and the
 * copy waits until then. So a copy of S bytes takes at least S / bandwidth, large and small copies
 * are charged alike, and an idle link earns no credit (a real one does not carry the next copy any
 * faster for having rested). Used by the copy thread alone.
 *
 * <p>On a GPU the link is real and is the limit by itself; there a pacer is unlimited unless a rate
 * was asked for, and one above the link's barely waits (the real copy takes longer than the pacer
 * allows), so it only ever slows copies to a rate below the link's.
 */
public final class LinkPacer {

    static final long CHUNK = 1 << 20;
    /**
     * How late the link may fall behind and still catch up: a wait wakes up late (timer slack, a
     * busy core), and without this every late wake-up would be lost time, leaving copies well below
     * the bandwidth asked for. A gap longer than this is idle time, which earns nothing.
     */
    static final long CATCH_UP_NANOS = 1_000_000;

    private final double bytesPerNano; // 0: unpaced
    private long busyUntil; // System.nanoTime() at which the link has carried everything given so far

    /** @param bytesPerSecond the link's bandwidth; 0 copies at memory speed */
    public LinkPacer(double bytesPerSecond) {
        if (bytesPerSecond < 0 || Double.isNaN(bytesPerSecond)) {
            throw new IllegalArgumentException("link bandwidth must be positive, or 0 for unlimited: " + bytesPerSecond);
        }
        this.bytesPerNano = bytesPerSecond / 1e9;
        this.busyUntil = System.nanoTime();
    }

    public static LinkPacer unlimited() {
        return new LinkPacer(0);
    }

    /** Copies {@code src} to {@code dst} at {@code offset}, chunk by chunk at the link's pace. */
    public void copy(MemorySegment src, MemorySegment dst, long offset) {
        paced(src.byteSize(), (at, n) -> MemorySegment.copy(src, at, dst, offset + at, n));
    }

    /**
     * Writes {@code src} into the slot {@code slots} is copying into, at {@code offset}, chunk by
     * chunk at the link's pace.
     */
    public void copy(MemorySegment src, ExpertSlots slots, long offset) {
        paced(src.byteSize(), (at, n) -> slots.write(src, at, offset + at, n));
    }

    /** Copies one chunk: {@code n} bytes from {@code at} in the source. */
    @FunctionalInterface
    private interface ChunkCopy {
        void copy(long at, long n);
    }

    private void paced(long size, ChunkCopy chunk) {
        for (long at = 0; at < size; at += CHUNK) {
            long n = Math.min(CHUNK, size - at);
            give(n);
            chunk.copy(at, n);
            waitForLink();
        }
    }

    /** Hands {@code bytes} to the link: it is busy that much longer, from now if it was idle. */
    private void give(long bytes) {
        if (bytesPerNano == 0) {
            return;
        }
        long now = System.nanoTime();
        if (now - busyUntil > CATCH_UP_NANOS) {
            busyUntil = now; // idle: the link starts on this chunk now, with nothing banked
        }
        busyUntil += (long) Math.ceil(bytes / bytesPerNano);
    }

    /** Waits until the link has carried everything given to it. */
    private void waitForLink() {
        if (bytesPerNano == 0) {
            return;
        }
        long wait;
        while ((wait = busyUntil - System.nanoTime()) > 0) {
            LockSupport.parkNanos(wait);
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
