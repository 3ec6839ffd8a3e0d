package dev.switchyard.cache.residency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.switchyard.kernels.ExpertSlots;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.cpu.CpuExpertSlots;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * What a GPU's device tier relies on to order a slot's reuse after the kernels that read it: every
 * hold on a slot ends with {@link ExpertSlots#readsQueued} before the slot can be copied into again,
 * and copies into a slot never overlap. Checked on the CPU with slots that count the calls, under
 * many threads and tiny tiers.
 */
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class SlotReuseOrderingTest {

    /** Host slots that count, per slot, holds taken (by the test), reads queued and copies begun. */
    private static final class CountingSlots implements ExpertSlots {

        final CpuExpertSlots inner;
        final AtomicLongArray holds;
        final AtomicLongArray readsQueued;
        final AtomicReference<String> problem = new AtomicReference<>();
        private int copying = -1;

        CountingSlots(int count, long slotBytes) {
            inner = new CpuExpertSlots(count, slotBytes);
            holds = new AtomicLongArray(count);
            readsQueued = new AtomicLongArray(count);
        }

        @Override
        public int count() {
            return inner.count();
        }

        @Override
        public long slotBytes() {
            return inner.slotBytes();
        }

        @Override
        public MemorySegment hostView(int slot) {
            return inner.hostView(slot);
        }

        @Override
        public Weight weight(int slot, long offset, GgmlType type, long[] dims) {
            return inner.weight(slot, offset, type, dims);
        }

        @Override
        public void beginCopy(int slot) {
            if (copying >= 0) {
                problem.compareAndSet(null, "copy into slot " + slot + " began while slot " + copying + "'s ran");
            }
            copying = slot;
            long h = holds.get(slot);
            long r = readsQueued.get(slot);
            if (h != r) {
                problem.compareAndSet(null, "slot " + slot + " copied into after " + h + " holds but " + r + " reads queued");
            }
            inner.beginCopy(slot);
        }

        @Override
        public void write(MemorySegment src, long srcOffset, long slotOffset, long bytes) {
            inner.write(src, srcOffset, slotOffset, bytes);
        }

        @Override
        public long endCopy() {
            copying = -1;
            return inner.endCopy();
        }

        @Override
        public void readsQueued(int slot) {
            readsQueued.incrementAndGet(slot);
            inner.readsQueued(slot);
        }

        @Override
        public boolean realLink() {
            return false;
        }

        @Override
        public String describe() {
            return "counting " + inner.describe();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    @Test
    void everyHoldQueuesItsReadsBeforeItsSlotIsCopiedIntoAgain() throws Exception {
        int layers = 3;
        int experts = 8;
        for (int slots : new int[] {1, 2, 4}) {
            PatternSource source = new PatternSource(layers, experts);
            CountingSlots memory = new CountingSlots(slots, SlotPool.align(source.maxPackedBytes()));
            try (ExpertResidency r = new ExpertResidency(source, memory, LinkPacer.unlimited());
                 ExecutorService pool = Executors.newFixedThreadPool(6)) {
                List<Future<?>> workers = new ArrayList<>();
                for (int w = 0; w < 6; w++) {
                    long seed = 100L * slots + w;
                    workers.add(pool.submit(() -> {
                        SplittableRandom rnd = new SplittableRandom(seed);
                        for (int i = 0; i < 1000; i++) {
                            if (rnd.nextInt(3) == 0) {
                                r.prefetch(rnd.nextInt(layers), rnd.nextInt(experts));
                            }
                            Resident x = r.acquire(rnd.nextInt(layers), rnd.nextInt(experts));
                            memory.holds.incrementAndGet(x.slot()); // "kernels queued" over the slot
                            Thread.yield();
                            r.release(x);
                        }
                        return null;
                    }));
                }
                for (Future<?> f : workers) {
                    f.get();
                }
                assertNull(memory.problem.get(), "slots=" + slots);
                for (int s = 0; s < slots; s++) {
                    assertEquals(memory.holds.get(s), memory.readsQueued.get(s), "slot " + s + ": one reads-queued per hold");
                }
                r.evictAllOnceCopiesLand(java.time.Duration.ofSeconds(5));
                assertEquals(slots, r.freeSlots(), "every slot back in the pool (slots=" + slots + ")");
            }
        }
    }
}
