package dev.switchyard.engine.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Measures the machine's memory read bandwidth the way STREAM's read kernels do: every thread sums
 * its own part of a buffer far larger than the last-level cache, several times, and the best pass
 * counts. Decode speed of a memory-bound model is bounded by this figure divided by the bytes of
 * weights each token reads.
 */
public final class BandwidthProbe {

    private static final VectorSpecies<Long> SPECIES = LongVector.SPECIES_PREFERRED;

    /** Default buffer: 1 GiB, far beyond any last-level cache of today's CPUs. */
    public static final long DEFAULT_BYTES = 1L << 30;

    public record Result(double gigabytesPerSecond, long bufferBytes, int threads, int passes) {
    }

    private BandwidthProbe() {
    }

    public static Result measure(long bytes, int threads, int passes) throws Exception {
        long size = bytes / (threads * 64L) * (threads * 64L);
        try (Arena arena = Arena.ofShared()) { // read from every worker thread
            MemorySegment buffer = arena.allocate(size, 64);
            // Touch every page with distinct values so nothing is served from a zero page.
            for (long i = 0; i < size; i += 8) {
                buffer.set(ValueLayout.JAVA_LONG, i, i);
            }
            MemorySegment shared = buffer.asReadOnly();
            // Compile the read loop before timing it: an interpreted or half-compiled pass reads at a
            // fraction of the real speed and would understate the bound.
            long warm = Math.min(size, 16L << 20) / 64 * 64;
            long guardWarm = 0;
            for (int i = 0; i < 200; i++) {
                guardWarm += sum(shared, 0, warm);
            }
            long part = size / threads;
            double best = 0;
            long guard = 0;
            try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
                for (int pass = 0; pass < passes; pass++) {
                    List<Future<Long>> parts = new ArrayList<>();
                    long start = System.nanoTime();
                    for (int t = 0; t < threads; t++) {
                        long from = t * part;
                        parts.add(pool.submit(() -> sum(shared, from, part)));
                    }
                    for (Future<Long> f : parts) {
                        guard += f.get();
                    }
                    double seconds = (System.nanoTime() - start) / 1e9;
                    best = Math.max(best, size / seconds / 1e9);
                }
            }
            if (guard + guardWarm == 42) {
                System.out.print(""); // keeps the sums observable so the reads cannot be elided
            }
            return new Result(best, size, threads, passes);
        }
    }

    private static long sum(MemorySegment segment, long from, long length) {
        // Four independent accumulators keep several loads in flight per core.
        LongVector a = LongVector.zero(SPECIES);
        LongVector b = a;
        LongVector c = a;
        LongVector d = a;
        long step = SPECIES.vectorByteSize();
        long end = from + length - length % (4 * step);
        for (long off = from; off < end; off += 4 * step) {
            a = a.add(LongVector.fromMemorySegment(SPECIES, segment, off, java.nio.ByteOrder.LITTLE_ENDIAN));
            b = b.add(LongVector.fromMemorySegment(SPECIES, segment, off + step, java.nio.ByteOrder.LITTLE_ENDIAN));
            c = c.add(LongVector.fromMemorySegment(SPECIES, segment, off + 2 * step, java.nio.ByteOrder.LITTLE_ENDIAN));
            d = d.add(LongVector.fromMemorySegment(SPECIES, segment, off + 3 * step, java.nio.ByteOrder.LITTLE_ENDIAN));
        }
        return a.add(b).add(c).add(d).reduceLanes(VectorOperators.ADD);
    }
}
