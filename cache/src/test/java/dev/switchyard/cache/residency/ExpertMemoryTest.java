package dev.switchyard.cache.residency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;

class ExpertMemoryTest {

    @Test
    void percentagesAndByteSizesBecomeSlotCounts() {
        assertEquals(16, ExpertMemory.parse("50%").slots(4, 8, 2, 1000));
        assertEquals(32, ExpertMemory.parse("100%").slots(4, 8, 2, 1000));
        assertEquals(5, ExpertMemory.parse("5KB").slots(4, 8, 2, 1000));
        assertEquals(32, ExpertMemory.parse("1GB").slots(4, 8, 2, 1000), "never more slots than experts");
        assertThrows(IllegalArgumentException.class, () -> ExpertMemory.parse("1KB").slots(4, 8, 2, 1000));
        assertThrows(IllegalArgumentException.class, () -> ExpertMemory.parse("0%"));
    }

    @Test
    void bandwidthsParseAsBytesPerSecond() {
        assertEquals(25e9, LinkPacer.parseBandwidth("25GB/s"));
        assertEquals(1.5 * (1 << 30), LinkPacer.parseBandwidth("1.5GiB/s"));
        assertEquals(0, LinkPacer.parseBandwidth("unlimited"));
        assertThrows(IllegalArgumentException.class, () -> LinkPacer.parseBandwidth("fast"));
    }

    @Test
    void aPacedCopyMovesEveryByteInPlace() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment src = arena.allocate(3 * LinkPacer.CHUNK + 17);
            for (long i = 0; i < src.byteSize(); i++) {
                src.set(java.lang.foreign.ValueLayout.JAVA_BYTE, i, (byte) (i * 13));
            }
            MemorySegment dst = arena.allocate(src.byteSize() + 64);
            new LinkPacer(50e9).copy(src, dst, 64);
            assertEquals(-1, src.mismatch(dst.asSlice(64)));
        }
    }
}
