package dev.switchyard.kernels.cuda;

import static dev.switchyard.kernels.cuda.driver.cuda_h.CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CUDA device tier for offloaded experts, with the host memory pinned in place and with every
 * copy staged (the package-private switch): copies land byte for byte, weights over a slot compute
 * bit for bit what the same bytes copied into a weight of their own do, a slot is rewritten only
 * after the kernels reading it have run, and a tier larger than the device is refused with the
 * sizes. Runs only where a GPU is present.
 */
class CudaExpertSlotsTest {

    private static final long MIB = 1L << 20;
    private static CudaBackend cuda;

    @BeforeAll
    static void open() {
        cuda = GpuTests.openIfPresent();
    }

    @BeforeEach
    void needsGpu() {
        GpuTests.assumeGpu();
    }

    @AfterAll
    static void close() {
        if (cuda != null) {
            cuda.close();
        }
    }

    private static CudaExpertSlots slots(boolean pin, int count, long slotBytes, MemorySegment host) {
        cuda.pinHostExperts(pin);
        try {
            return (CudaExpertSlots) cuda.expertSlots(count, slotBytes, List.of(host));
        } finally {
            cuda.pinHostExperts(true);
        }
    }

    private static boolean deviceCanPin() {
        return cuda.context().attribute(CU_DEVICE_ATTRIBUTE_HOST_REGISTER_SUPPORTED()) != 0;
    }

    /** Page-aligned native memory of random bytes, as a mapped file is. */
    private static MemorySegment randomHost(long bytes, long seed) {
        MemorySegment m = Arena.ofAuto().allocate(bytes, 4096);
        SplittableRandom r = new SplittableRandom(seed);
        for (long i = 0; i + 8 <= bytes; i += 8) {
            m.set(ValueLayout.JAVA_LONG_UNALIGNED, i, r.nextLong());
        }
        return m;
    }

    private static byte[] download(CudaExpertSlots slots, int slot, long offset, long bytes) {
        MemorySegment host = Arena.ofAuto().allocate(bytes);
        CudaContext ctx = cuda.context();
        ctx.makeCurrent();
        ctx.download(slots.address(slot) + offset, host, bytes);
        return host.toArray(ValueLayout.JAVA_BYTE);
    }

    private static long align(long bytes) {
        return (bytes + 63) & -64L;
    }

    /** Writes {@code src} at {@code offset} in 1 MiB pieces, as the residency cache's link pacer does. */
    private static void writeInChunks(CudaExpertSlots slots, MemorySegment src, long offset) {
        for (long at = 0; at < src.byteSize(); at += MIB) {
            long n = Math.min(MIB, src.byteSize() - at);
            slots.write(src, at, offset + at, n);
        }
    }

    @ParameterizedTest(name = "pin host memory: {0}")
    @ValueSource(booleans = {true, false})
    void copiesLandByteForByteWhetherPinnedOrStaged(boolean pin) {
        // larger than both staging buffers together, so a copy cycles through them
        long[] sizes = {20 * MIB + 123, 17 * MIB, 4097};
        long[] offsets = {0, align(sizes[0]), align(sizes[0]) + align(sizes[1])};
        long slotBytes = align(offsets[2] + sizes[2]);
        MemorySegment host = randomHost(2 * (sizes[0] + sizes[1]) + 64, 11);
        try (CudaExpertSlots slots = slots(pin, 3, slotBytes, host)) {
            assertThat(slots.hostPinned()).as(slots.describe()).isEqualTo(pin && deviceCanPin());
            for (int round = 0; round < 3; round++) {
                int slot = round % 2 == 0 ? 2 : 0;
                long from = round * 1000L + 3; // unaligned sources, different bytes each round
                MemorySegment[] parts = {
                    host.asSlice(from, sizes[0]),
                    host.asSlice(from + sizes[0], sizes[1]),
                    // a heap source cannot be pinned: staged whatever the mode
                    MemorySegment.ofArray(host.asSlice(from + 7, sizes[2]).toArray(ValueLayout.JAVA_BYTE))
                };
                slots.beginCopy(slot);
                writeInChunks(slots, parts[0], offsets[0]);
                slots.write(parts[1], 0, offsets[1], sizes[1]);
                writeInChunks(slots, parts[2], offsets[2]);
                assertThat(slots.endCopy()).as("nanoseconds on the link").isPositive();
                for (int p = 0; p < parts.length; p++) {
                    assertThat(download(slots, slot, offsets[p], sizes[p])).as("round " + round + ", part " + p)
                            .isEqualTo(parts[p].toArray(ValueLayout.JAVA_BYTE));
                }
            }
        }
    }

    @ParameterizedTest(name = "pin host memory: {0}")
    @ValueSource(booleans = {true, false})
    void aWeightOverASlotComputesBitForBitWhatTheSameBytesCopiedDo(boolean pin) {
        int rows = 96;
        int cols = 512;
        int tokens = 5;
        GgmlType[] types = GpuTests.TYPES;
        long[] offsets = new long[types.length + 1];
        for (int i = 0; i < types.length; i++) {
            offsets[i + 1] = offsets[i] + align(types[i].byteSize((long) rows * cols));
        }
        MemorySegment host = Arena.ofAuto().allocate(offsets[types.length], 4096);
        long slotBytes = 0;
        for (int i = 0; i < types.length; i++) {
            host.asSlice(offsets[i]).copyFrom(GpuTests.weights(types[i], 40 + i, rows, cols, 1));
            slotBytes = Math.max(slotBytes, align(64 + offsets[i + 1] - offsets[i]));
        }
        FloatMatrix x = GpuTests.matrix(cuda, GpuTests.gaussian(3, tokens * cols, 1f), tokens, cols);
        FloatMatrix inSlot = cuda.allocate(tokens, rows);
        FloatMatrix own = cuda.allocate(tokens, rows);
        try (CudaExpertSlots slots = slots(pin, types.length, slotBytes, host)) {
            for (int i = 0; i < types.length; i++) {
                long bytes = types[i].byteSize((long) rows * cols);
                MemorySegment data = host.asSlice(offsets[i], bytes);
                slots.beginCopy(i);
                slots.write(data, 0, 64, bytes); // not at the slot's start: views take offsets
                slots.endCopy();
                long[] dims = {cols, rows};
                Weight view = slots.weight(i, 64, types[i], dims);
                cuda.matmul(view, 0, x, inSlot, tokens);
                cuda.matmul(cuda.weight(types[i], data, dims), 0, x, own, tokens);
                assertThat(GpuTests.read(inSlot, tokens)).as(types[i].toString())
                        .containsExactly(GpuTests.read(own, tokens));
            }
        }
    }

    @ParameterizedTest(name = "pin host memory: {0}")
    @ValueSource(booleans = {true, false})
    void aSlotIsRewrittenOnlyAfterTheKernelsReadingItHaveRun(boolean pin) {
        int rows = 4096;
        int cols = 4096;
        int tokens = 64;
        GgmlType type = GgmlType.Q8_0;
        long bytes = type.byteSize((long) rows * cols);
        MemorySegment host = Arena.ofAuto().allocate(2 * align(bytes), 4096);
        MemorySegment a = host.asSlice(0, bytes);
        MemorySegment b = host.asSlice(align(bytes), bytes);
        a.copyFrom(GpuTests.weights(type, 1, rows, cols, 1));
        b.copyFrom(GpuTests.weights(type, 2, rows, cols, 1));
        long[] dims = {cols, rows};
        FloatMatrix x = GpuTests.matrix(cuda, GpuTests.gaussian(5, tokens * cols, 1f), tokens, cols);
        FloatMatrix out = cuda.allocate(tokens, rows);
        cuda.matmul(cuda.weight(type, a, dims), 0, x, out, tokens);
        float[] expectedA = GpuTests.read(out, tokens);
        cuda.matmul(cuda.weight(type, b, dims), 0, x, out, tokens);
        float[] expectedB = GpuTests.read(out, tokens);
        try (CudaExpertSlots slots = slots(pin, 1, align(bytes), host)) {
            Weight view = slots.weight(0, 0, type, dims);
            slots.beginCopy(0);
            writeInChunks(slots, a, 0);
            slots.endCopy();
            // tens of milliseconds of kernels over expert A, queued and not yet run ...
            for (int i = 0; i < 50; i++) {
                cuda.matmul(view, 0, x, out, tokens);
            }
            slots.readsQueued(0);
            // ... then the slot goes to expert B at once, as a freed slot may
            slots.beginCopy(0);
            writeInChunks(slots, b, 0);
            slots.endCopy();
            assertThat(GpuTests.read(out, tokens)).as("the last kernel queued over A saw only A")
                    .containsExactly(expectedA);
            cuda.matmul(view, 0, x, out, tokens);
            assertThat(GpuTests.read(out, tokens)).as("kernels queued after the copy see B").containsExactly(expectedB);
        }
    }

    @Test
    void aTierLargerThanTheDeviceIsRefusedNamingTheSizes() {
        long total = cuda.context().memoryInfo()[1];
        long slotBytes = align(total / 2 + 64 * MIB);
        assertThatThrownBy(() -> cuda.expertSlots(2, slotBytes, List.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expert memory of 2 slots x")
                .hasMessageContaining("does not fit on cuda:0")
                .hasMessageContaining("free of");
    }
}
