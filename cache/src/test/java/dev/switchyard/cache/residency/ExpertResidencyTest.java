package dev.switchyard.cache.residency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

// A deadlock (a copy waiting for a slot nobody will return) shows as a timeout, not a hung build.
@Timeout(value = 2, unit = TimeUnit.MINUTES)
class ExpertResidencyTest {

    @Test
    void aCopyHoldsTheExpertsBytesPackedAndASecondAskHits() throws Exception {
        try (ExpertResidency r = new ExpertResidency(new PatternSource(2, 4), 3, LinkPacer.unlimited())) {
            Resident a = r.acquire(1, 2);
            assertTrue(PatternSource.holds(a.memory(), 1, 2));
            r.release(a);
            Resident b = r.acquire(1, 2);
            assertEquals(a, b, "the resident copy is reused");
            r.release(b);
            ResidencyCounters c = r.stats().snapshot();
            assertEquals(1, c.hits());
            assertEquals(1, c.demandMisses());
            assertEquals(1, c.copies());
            assertEquals(2600, c.h2dBytes());
            assertEquals(1, c.layerHits()[1]);
            assertEquals(0, c.layerHits()[0]);
        }
    }

    @Test
    void hybridExecutionSeesWhatIsComingAndItsChoicesAreCountedApartFromHitsAndMisses() throws Exception {
        PatternSource source = new PatternSource(2, 4);
        CountDownLatch gate = new CountDownLatch(1);
        source.gate = gate;
        try (ExpertResidency r = new ExpertResidency(source, 4, LinkPacer.unlimited())) {
            assertEquals(0, r.copiesAhead());
            r.loadAhead(1, 0);
            r.loadAhead(1, 1);
            // one copy on the link (held up), one waiting behind it
            while (r.copiesAhead() < 2) {
                Thread.onSpinWait();
            }
            assertTrue(r.isResidentOrComing(1, 0));
            assertTrue(r.isResidentOrComing(1, 1));
            assertFalse(r.isResidentOrComing(1, 2));
            r.copyChosen(1);
            r.computedOnHost(1);
            r.computedOnHost(0);
            gate.countDown();
            for (int e = 0; e < 2; e++) {
                r.release(r.acquire(1, e));
            }
            while (r.copiesAhead() > 0) { // the copy thread lets go of its last copy just after it lands
                Thread.onSpinWait();
            }
            assertTrue(r.isResidentOrComing(1, 0));
            assertFalse(r.isResidentOrComing(1, 2), "an expert computed on the host is not brought in");
            ResidencyCounters c = r.stats().snapshot();
            assertEquals(2, c.copies());
            assertEquals(0, c.hits());
            assertEquals(2, c.demandMisses());
            assertEquals(1, c.layerHostExperts()[0]);
            assertEquals(1, c.layerHostExperts()[1]);
            assertEquals(2, c.hostExperts());
            assertEquals(1, c.copiedExperts());
            assertEquals(0, c.minus(c).hostExperts());
        }
    }

    @Test
    void concurrentAsksForOneExpertShareOneCopy() throws Exception {
        PatternSource source = new PatternSource(1, 4);
        CountDownLatch gate = new CountDownLatch(1);
        source.gate = gate;
        try (ExpertResidency r = new ExpertResidency(source, 2, LinkPacer.unlimited());
             ExecutorService pool = Executors.newFixedThreadPool(6)) {
            List<Future<Boolean>> asks = new ArrayList<>();
            CountDownLatch started = new CountDownLatch(6);
            for (int i = 0; i < 6; i++) {
                asks.add(pool.submit(() -> {
                    started.countDown();
                    Resident x = r.acquire(0, 3);
                    boolean ok = PatternSource.holds(x.memory(), 0, 3);
                    r.release(x);
                    return ok;
                }));
            }
            started.await();
            // every asker is either waiting on the one copy or about to find it in the cache
            while (r.stats().snapshot().hits() + r.stats().snapshot().demandMisses() < 6) {
                Thread.onSpinWait();
            }
            gate.countDown();
            for (Future<Boolean> f : asks) {
                assertTrue(f.get());
            }
            assertEquals(1, r.stats().snapshot().copies());
        }
    }

    @Test
    void aDemandedExpertIsComputableEvenWhenTheCacheKeepsNothing() throws Exception {
        // one slot: Caffeine is bounded to zero entries and evicts each copy as it completes
        try (ExpertResidency r = new ExpertResidency(new PatternSource(2, 3), 1, LinkPacer.unlimited())) {
            for (int i = 0; i < 50; i++) {
                Resident x = r.acquire(i % 2, i % 3);
                assertTrue(PatternSource.holds(x.memory(), i % 2, i % 3));
                r.release(x);
            }
            assertEquals(1, r.freeSlots());
        }
    }

    @Test
    void anExpertInUseIsNeverOverwrittenUnderTinyCachesAndManyThreads() throws Exception {
        int layers = 3;
        int experts = 8;
        for (int slots : new int[] {1, 2, 3, 5}) {
            PatternSource source = new PatternSource(layers, experts);
            try (ExpertResidency r = new ExpertResidency(source, slots, LinkPacer.unlimited());
                 ExecutorService pool = Executors.newFixedThreadPool(8)) {
                // which expert each slot holds for its current holders, and how many there are
                AtomicReferenceArray<String> owner = new AtomicReferenceArray<>(slots);
                AtomicIntegerArray holders = new AtomicIntegerArray(slots);
                List<Future<String>> workers = new ArrayList<>();
                for (int w = 0; w < 8; w++) {
                    long seed = 1000L * slots + w;
                    workers.add(pool.submit(() -> {
                        SplittableRandom rnd = new SplittableRandom(seed);
                        for (int i = 0; i < 1500; i++) {
                            int l = rnd.nextInt(layers);
                            int e = rnd.nextInt(experts);
                            if (rnd.nextInt(4) == 0) {
                                r.prefetch(rnd.nextInt(layers), rnd.nextInt(experts));
                            }
                            if (rnd.nextInt(4) == 0) {
                                r.loadAhead(rnd.nextInt(layers), rnd.nextInt(experts));
                            }
                            Resident x = r.acquire(l, e);
                            String me = l + "/" + e;
                            synchronized (owner) {
                                if (holders.getAndIncrement(x.slot()) > 0 && !me.equals(owner.get(x.slot()))) {
                                    return "slot " + x.slot() + " handed to " + me + " while " + owner.get(x.slot()) + " used it";
                                }
                                owner.set(x.slot(), me);
                            }
                            boolean before = PatternSource.holds(x.memory(), l, e);
                            Thread.yield(); // let copies run while we "compute"
                            boolean after = PatternSource.holds(x.memory(), l, e);
                            synchronized (owner) {
                                holders.decrementAndGet(x.slot());
                            }
                            r.release(x);
                            if (!before || !after) {
                                return me + " in slot " + x.slot() + " was " + (before ? "overwritten while in use" : "wrong on arrival");
                            }
                        }
                        return null;
                    }));
                }
                for (Future<String> f : workers) {
                    String problem = f.get();
                    assertEquals(null, problem, "slots=" + slots);
                }
                ResidencyCounters c = r.stats().snapshot();
                assertEquals(8 * 1500, c.hits() + c.demandMisses());
                assertEquals(slots, freeSlotsOnceCopiesSettle(r), "every slot back in the pool (slots=" + slots + ")");
            }
        }
    }

    @Test
    void noSlotLeaksAfterThousandsOfLoads() throws Exception {
        try (ExpertResidency r = new ExpertResidency(new PatternSource(4, 8), 4, LinkPacer.unlimited())) {
            SplittableRandom rnd = new SplittableRandom(7);
            for (int i = 0; i < 5000; i++) {
                r.prefetch(rnd.nextInt(4), rnd.nextInt(8));
                Resident x = r.acquire(rnd.nextInt(4), rnd.nextInt(8));
                r.release(x);
            }
            ResidencyCounters c = r.stats().snapshot();
            assertTrue(c.demandMisses() > 1000, "a 4-slot cache of 32 experts misses often: " + c.demandMisses());
            assertTrue(c.evictions() > 1000, "and evicts as often: " + c.evictions());
            r.evictAllOnceCopiesLand(java.time.Duration.ofSeconds(5));
            assertEquals(4, r.freeSlots());
        }
    }

    @Test
    void aPrefetchedExpertCountsAsUsefulOnceADemandUsesIt() throws Exception {
        try (ExpertResidency r = new ExpertResidency(new PatternSource(2, 4), 4, LinkPacer.unlimited())) {
            r.prefetch(1, 1);
            r.prefetch(1, 1); // already coming: not issued twice
            Resident x = r.acquire(1, 1);
            r.release(x);
            Resident y = r.acquire(1, 1);
            r.release(y);
            ResidencyCounters c = r.stats().snapshot();
            assertEquals(1, c.prefetchIssued());
            assertEquals(1, c.prefetchUseful());
            assertEquals(1, c.copies());
            assertTrue(r.isResident(1, 1));
            assertFalse(r.isResident(0, 1));
        }
    }

    @Test
    void aPredictionIntoAFullCacheTakesAnIdleExpertsPlaceInsteadOfBeingTurnedAway() throws Exception {
        // 3 slots, 2 kept: layer 0's experts fill the cache and expert (1, 3) is in use. W-TinyLFU
        // would turn a newcomer it has never seen away on arrival; the prediction instead takes the
        // place of an idle expert of another layer, and is there when its layer asks.
        try (ExpertResidency r = new ExpertResidency(new PatternSource(2, 4), 3, LinkPacer.unlimited())) {
            r.release(r.acquire(0, 0));
            r.release(r.acquire(0, 1));
            Resident inUse = r.acquire(1, 3);
            ResidencyCounters before = r.stats().snapshot();
            r.prefetch(1, 2);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!r.isResident(1, 2) && System.nanoTime() < deadline) {
                Thread.sleep(1);
            }
            assertTrue(r.isResident(1, 2), "the prediction was copied and kept");
            int resident = 0;
            for (int l = 0; l < 2; l++) {
                for (int e = 0; e < 4; e++) {
                    resident += r.isResident(l, e) ? 1 : 0;
                }
            }
            assertTrue(resident <= 2, "still within the cache's bound: " + resident);
            ResidencyCounters c = r.stats().snapshot().minus(before);
            assertEquals(0, c.prefetchSkipped());
            assertEquals(1, c.prefetchIssued());
            Resident predicted = r.acquire(1, 2);
            assertTrue(PatternSource.holds(predicted.memory(), 1, 2));
            r.release(predicted);
            r.release(inUse);
            assertEquals(1, r.stats().snapshot().minus(before).prefetchUseful());
            r.evictAllOnceCopiesLand(java.time.Duration.ofSeconds(5));
            assertEquals(3, r.freeSlots());
        }
    }

    @Test
    void aCopyTheLayerAskedForIsMadeOnceEvenWhenTheCacheTurnsItAway() throws Exception {
        // 3 slots, 2 kept: two hot experts fill the cache, and W-TinyLFU prefers them to a newcomer
        try (ExpertResidency r = new ExpertResidency(new PatternSource(1, 8), 3, LinkPacer.unlimited())) {
            for (int i = 0; i < 40; i++) {
                r.release(r.acquire(0, i % 2));
            }
            ResidencyCounters before = r.stats().snapshot();
            r.loadAhead(0, 5);
            Resident x = r.acquire(0, 5);
            assertTrue(PatternSource.holds(x.memory(), 0, 5));
            r.release(x);
            ResidencyCounters c = r.stats().snapshot().minus(before);
            assertFalse(r.isResident(0, 5), "turned away: the hot experts stay");
            assertTrue(r.isResident(0, 0) && r.isResident(0, 1));
            assertEquals(1, c.copies(), "used once from its one copy, not copied again on demand");
            assertEquals(1, c.demandMisses());
            r.evictAllOnceCopiesLand(java.time.Duration.ofSeconds(5));
            assertEquals(3, r.freeSlots());
        }
    }

    @Test
    void anExpertTheLayerFoundResidentSurvivesAnEvictionBeforeItsAcquire() throws Exception {
        try (ExpertResidency r = new ExpertResidency(new PatternSource(2, 4), 4, LinkPacer.unlimited())) {
            Resident first = r.acquire(1, 3);
            r.release(first);
            ResidencyCounters before = r.stats().snapshot();
            r.loadAhead(1, 3);
            r.evict(1, 3); // as Caffeine would when a prediction for a later layer needs room
            assertFalse(r.isResident(1, 3));
            Resident x = r.acquire(1, 3);
            assertEquals(first.slot(), x.slot(), "the layer uses the bytes it found, not a new copy");
            assertTrue(PatternSource.holds(x.memory(), 1, 3));
            r.release(x);
            ResidencyCounters c = r.stats().snapshot().minus(before);
            assertEquals(0, c.copies());
            assertEquals(1, c.hits(), "resident when the layer asked");
            assertEquals(4, r.freeSlots(), "the evicted expert's slot returns once the layer is done with it");
        }
    }

    @Test
    void anUnclaimedFoundExpertIsGivenBackWhenACopyNeedsItsSlot() throws Exception {
        // 2 slots, 1 kept: the layer found expert 0 resident and holds it; Caffeine evicts it; a
        // copy that must wait for a slot takes the hold back instead of waiting forever
        try (ExpertResidency r = new ExpertResidency(new PatternSource(1, 4), 2, LinkPacer.unlimited())) {
            r.release(r.acquire(0, 0));
            r.loadAhead(0, 0);
            r.evict(0, 0);
            r.release(r.acquire(0, 1)); // the other slot, now expert 1's, kept by the cache
            Resident other = r.acquire(0, 2); // no slot free: only giving back the hold makes one
            assertTrue(PatternSource.holds(other.memory(), 0, 2));
            r.release(other);
            Resident again = r.acquire(0, 0);
            assertTrue(PatternSource.holds(again.memory(), 0, 0));
            r.release(again);
            r.evictAllOnceCopiesLand(java.time.Duration.ofSeconds(5));
            assertEquals(2, r.freeSlots());
        }
    }

    @Test
    void aCopyStartedForTheLayerIsAMissEvenWhenItArrivesBeforeTheAcquire() throws Exception {
        try (ExpertResidency r = new ExpertResidency(new PatternSource(2, 4), 4, LinkPacer.unlimited())) {
            r.loadAhead(1, 2);
            while (!r.isResident(1, 2)) {
                Thread.onSpinWait();
            }
            r.release(r.acquire(1, 2));
            r.loadAhead(1, 2);
            r.release(r.acquire(1, 2));
            ResidencyCounters c = r.stats().snapshot();
            assertEquals(1, c.demandMisses(), "the hit rate is the cache's, whatever the link's speed");
            assertEquals(1, c.hits(), "resident when its layer asked the second time");
            assertEquals(1, c.copies());
        }
    }

    /**
     * Predicts expert 1 of layer 1, then runs {@code ask} (which acquires it) on {@code pool}; returns
     * once the acquire has counted its hit, which it does before the copy it waits for has arrived.
     */
    private static Future<Boolean> askWhilePredicted(ExpertResidency r, ExecutorService pool, Callable<Boolean> ask) {
        r.prefetch(1, 1);
        Future<Boolean> asked = pool.submit(ask);
        while (r.stats().snapshot().hits() < 1) {
            Thread.onSpinWait();
        }
        return asked;
    }

    @Test
    void waitsForAPredictionStillInFlightAreCountedApartFromDemandMisses() throws Exception {
        PatternSource source = new PatternSource(2, 8);
        CountDownLatch gate = new CountDownLatch(1);
        source.gate = gate;
        try (ExpertResidency r = new ExpertResidency(source, 6, LinkPacer.unlimited());
             ExecutorService pool = Executors.newSingleThreadExecutor()) {
            Future<Boolean> use = askWhilePredicted(r, pool, () -> {
                r.release(r.acquire(1, 1));
                return true;
            });
            Thread.sleep(30); // the layer waits for the prediction to land (how long depends on when its thread ran)
            gate.countDown();
            use.get();
            ResidencyCounters late = r.stats().snapshot();
            assertTrue(late.lateStallSeconds() > 0, "late: " + late.lateStallSeconds());
            assertEquals(late.stallSeconds(), late.lateStallSeconds(), "the only wait was for the prediction");

            r.release(r.acquire(1, 3)); // a demand miss: stall, not late
            ResidencyCounters after = r.stats().snapshot();
            assertEquals(1, after.demandMisses());
            assertEquals(late.lateStallSeconds(), after.lateStallSeconds());
            assertTrue(after.stallSeconds() > late.stallSeconds());
        }
    }

    @Test
    void anExpertOnItsWayByAPredictionIsAHitAndPrecisionAndRecallAreKeptPerLayer() throws Exception {
        PatternSource source = new PatternSource(2, 8);
        CountDownLatch gate = new CountDownLatch(1);
        source.gate = gate;
        try (ExpertResidency r = new ExpertResidency(source, 6, LinkPacer.unlimited());
             ExecutorService pool = Executors.newSingleThreadExecutor()) {
            Future<Boolean> use = askWhilePredicted(r, pool, () -> {
                Resident x = r.acquire(1, 1);
                boolean ok = PatternSource.holds(x.memory(), 1, 1);
                r.release(x);
                return ok;
            });
            gate.countDown();
            assertTrue(use.get());
            r.prefetch(1, 4); // never used
            r.release(r.acquire(1, 3)); // never predicted
            r.release(r.acquire(0, 3));
            ResidencyCounters c = r.stats().snapshot();
            assertEquals(2, c.layerPrefetchIssued()[1]);
            assertEquals(1, c.layerPrefetchUseful()[1]);
            assertEquals(0.5, c.prefetchPrecision(1));
            assertEquals(0.5, c.prefetchRecall(1), "one of layer 1's two demanded experts came by prediction");
            assertTrue(Double.isNaN(c.prefetchPrecision(0)), "nothing was predicted for layer 0");
            assertEquals(0.0, c.prefetchRecall(0));
            assertEquals(1, c.hits());
            assertEquals(2, c.demandMisses());
        }
    }

    @Test
    void layersAskingAheadFromManyThreadsNeitherDeadlockNorLeakSlots() throws Exception {
        int layers = 3;
        int experts = 8;
        for (int slots : new int[] {1, 2, 3, 5}) {
            try (ExpertResidency r = new ExpertResidency(new PatternSource(layers, experts), slots, LinkPacer.unlimited());
                 ExecutorService pool = Executors.newFixedThreadPool(6)) {
                List<Future<String>> workers = new ArrayList<>();
                for (int w = 0; w < 6; w++) {
                    long seed = 77L * slots + w;
                    workers.add(pool.submit(() -> {
                        SplittableRandom rnd = new SplittableRandom(seed);
                        for (int i = 0; i < 800; i++) {
                            // as a transformer layer does: ask ahead for what it routed to, predict, then
                            // acquire each in expert order
                            int l = rnd.nextInt(layers);
                            boolean[] routed = new boolean[experts];
                            for (int j = 1 + rnd.nextInt(3); j > 0; j--) {
                                routed[rnd.nextInt(experts)] = true;
                            }
                            for (int e = 0; e < experts; e++) {
                                if (routed[e]) {
                                    r.loadAhead(l, e);
                                }
                            }
                            if (rnd.nextBoolean()) {
                                r.prefetch((l + 1) % layers, rnd.nextInt(experts));
                            }
                            for (int e = 0; e < experts; e++) {
                                if (routed[e]) {
                                    Resident x = r.acquire(l, e);
                                    boolean ok = PatternSource.holds(x.memory(), l, e);
                                    r.release(x);
                                    if (!ok) {
                                        return l + "/" + e + " held the wrong bytes";
                                    }
                                }
                            }
                        }
                        return null;
                    }));
                }
                for (Future<String> f : workers) {
                    assertEquals(null, f.get(), "slots=" + slots);
                }
                assertEquals(slots, freeSlotsOnceCopiesSettle(r), "every slot back in the pool (slots=" + slots + ")");
            }
        }
    }

    /** Free slots after evicting everything, once the last predictions' copies (which nobody waits for) have landed. */
    private static int freeSlotsOnceCopiesSettle(ExpertResidency r) throws InterruptedException {
        r.evictAllOnceCopiesLand(java.time.Duration.ofSeconds(5));
        return r.freeSlots();
    }
}
