package dev.switchyard.cache.residency;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

/**
 * The pacer never lets a copy beat the link by more than its catch-up allowance: only lower bounds
 * on time are checked, which a slow or busy machine cannot break (it can only make copies slower).
 */
class LinkPacerTest {

    private static final long MIB = 1 << 20;

    /** The least time {@code bytes} may take at {@code bytesPerSecond}. */
    private static long atLeast(long bytes, double bytesPerSecond) {
        return (long) (bytes / bytesPerSecond * 1e9) - LinkPacer.CATCH_UP_NANOS;
    }

    private static long copyNanos(LinkPacer pacer, long bytes) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(bytes);
            MemorySegment dst = arena.allocate(bytes);
            long start = System.nanoTime();
            pacer.copy(src, dst, 0);
            return System.nanoTime() - start;
        }
    }

    @Test
    void aCopyTakesAtLeastItsBytesOverTheBandwidth() {
        LinkPacer pacer = new LinkPacer(200e6);
        long bytes = 8 * MIB + 12345; // a partial last chunk is charged too
        assertThat(copyNanos(pacer, bytes)).isGreaterThanOrEqualTo(atLeast(bytes, 200e6));
    }

    @Test
    void anIdleLinkEarnsNoCredit() throws InterruptedException {
        LinkPacer pacer = new LinkPacer(100e6);
        Thread.sleep(60); // long enough to have banked several MiB at this rate
        long bytes = 4 * MIB;
        assertThat(copyNanos(pacer, bytes)).isGreaterThanOrEqualTo(atLeast(bytes, 100e6));
    }

    @Test
    void backToBackCopiesQueueOnTheLink() {
        LinkPacer pacer = new LinkPacer(400e6);
        long start = System.nanoTime();
        copyNanos(pacer, 3 * MIB);
        copyNanos(pacer, 3 * MIB);
        assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(atLeast(6 * MIB, 400e6));
    }

    @Test
    void anUnlimitedLinkCopiesTheBytes() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(3 * MIB);
            for (long i = 0; i < src.byteSize(); i += 4096) {
                src.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i / 4096));
            }
            MemorySegment dst = arena.allocate(3 * MIB + 64);
            LinkPacer.unlimited().copy(src, dst, 64);
            assertThat(dst.asSlice(64).mismatch(src)).isEqualTo(-1);
        }
    }
}
