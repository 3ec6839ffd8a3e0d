package dev.switchyard.cache.residency;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Policy;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.switchyard.cache.ExpertCaches;
import dev.switchyard.cache.ExpertKey;
import dev.switchyard.kernels.ExpertSlots;
import dev.switchyard.kernels.cpu.CpuExpertSlots;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Which experts are on the device, and getting the others there.
 *
 * <h2>Design</h2>
 * <ul>
 *   <li><b>Slots are the budget.</b> A {@link SlotPool} of equal slots, one packed expert each. A
 *       copy takes a free slot or, if it is a copy a compute thread waits for, waits for one; it
 *       never takes a slot that is in use, so the device tier is never overcommitted.</li>
 *   <li><b>Caffeine chooses, reference counts free.</b> An {@code AsyncCache<ExpertKey, Resident>}
 *       configured by {@link ExpertCaches} (the simulator's {@code caffeine} policy uses the same)
 *       is bounded to one expert less than the pool, so that after Caffeine has evicted down to
 *       its bound one slot is always free or about to be. Caffeine evicts on its own schedule and
 *       knows nothing of kernels in flight; eviction only drops the cache's reference
 *       ({@link Resident}), and the slot returns to the pool when the last kernel using it
 *       releases it. In-flight copies weigh nothing and are never evicted; concurrent asks for one
 *       expert share its copy through the cached future.</li>
 *   <li><b>A layer asks ahead.</b> {@link #loadAhead} is called for each expert the layer now
 *       computing routed to, before its acquires: it records the layer's accesses in routing order
 *       (the acquire that follows uses what it found and is not counted again) and starts the
 *       missing experts' copies while the resident ones compute. Such a copy is the layer's own:
 *       it holds a second reference, reserved for the layer's acquire, so that Caffeine turning the
 *       newcomer away (W-TinyLFU may) cannot throw it away before its one use; and with no slot
 *       free it is not dropped but parked, unrun, until the acquire promotes it to a demand. Either
 *       way the expert is copied and entered into the cache once, as in a replay. An expert it
 *       finds resident is held the same way, so that a prediction for a later layer that makes
 *       Caffeine evict it before the layer gets to it costs no second copy: predictions never take
 *       away what the current layer needs.</li>
 *   <li><b>Progress.</b> Compute threads acquire one expert, compute, release, and never wait for
 *       a copy while holding a reference. So every slot not resident is free, held by a thread
 *       that will release it without waiting, or reserved for an acquire; a copy that must wait
 *       for a slot takes back the reservations of finished copies nobody has claimed yet (their
 *       acquires then find them in the cache or copy them again), so a waiting copy always gets a
 *       slot. A demand copy is created holding its requester's reference, so even a cache bounded
 *       to zero entries (which evicts each copy as it completes) makes progress.</li>
 *   <li><b>One copy thread</b> (a single link): demand copies first, then the current layer's
 *       copies, then predictions ({@link #prefetch}) best first. Speculative copies never wait
 *       for a slot: a prediction with none free is dropped, so it can neither block compute nor
 *       hold up a demand copy. Copies are paced by {@link LinkPacer}.</li>
 *   <li><b>Hits are the cache's, stalls are the link's.</b> An acquire is a hit when the expert was
 *       resident, or on its way by a prediction, when its layer asked for it; a miss when its copy
 *       started because the layer routed to it, even if that copy arrived before the acquire (the
 *       time waited is the stall). So the hit rate measures the policy and the predictor, not the
 *       link's speed, and is what the simulator's {@code caffeine} policy reports for a trace of
 *       the same run (up to Caffeine's randomness; see {@code CaffeinePolicy}).</li>
 *   <li><b>Hybrid execution leaves the cache alone.</b> The engine may compute a missing expert on
 *       the host instead of copying it: it asks {@link #isResidentOrComing} first (an expert
 *       resident or coming is always used from the device) and {@link #copiesAhead} for the link's
 *       queue, and then either reports {@link #computedOnHost}, and asks for nothing (no copy, no
 *       access recorded, neither hit nor miss), or {@link #copyChosen} and asks ahead as usual.</li>
 *   <li><b>The backend owns the bytes.</b> Slot memory and the copy into a slot are the backend's
 *       {@link ExpertSlots}: an off-heap arena and memory copies on the CPU, device memory and a
 *       copy stream on a GPU. A copy completes (its future with it) once its bytes have landed.
 *       Where kernels run after their launch returns, a slot released to the pool may still be
 *       read: {@link #release} first tells the slots that the holder's kernels are queued, and the
 *       next copy into that slot lands after them.</li>
 *   <li><b>Hot path.</b> A hit is a map lookup on a prebuilt key, two array reads, two CASes and
 *       two counter updates: nothing is allocated. A miss allocates its copy task.</li>
 * </ul>
 * Results never depend on any of this: a slot holds the expert's bytes exactly as the host does.
 */
public final class ExpertResidency implements AutoCloseable {

    private final ExpertSource source;
    private final SlotPool pool;
    private final LinkPacer pacer;
    private final AsyncCache<ExpertKey, Resident> cache;
    private final CopyQueue queue;
    private final ResidencyStats stats;
    private final ExpertKey[][] keys;
    // by dense key, what a layer's loadAhead left for that layer's acquire: the copy it started, whose
    // reserved reference the acquire claims, or the entry it found, so that the acquire need not look
    // (and be counted by Caffeine) a second time
    private final AtomicReferenceArray<LoadTask> reserved;
    // a resident expert the layer found, held by a reference reserved for its acquire: a prediction
    // for a later layer may make Caffeine evict it meanwhile, and the layer must not lose it then
    private final AtomicReferenceArray<Resident> held;
    private final AtomicReferenceArray<CompletableFuture<Resident>> found;
    private final int capacity;
    private final Thread copyThread;
    /** The layer whose experts were last asked for ahead: the one computing (the copy thread reads it). */
    private volatile int runningLayer = -1;
    /** Whether the copy thread is carrying a copy now. */
    private volatile boolean copying;
    /** How far down Caffeine's eviction order a prediction looks for an expert to replace. */
    private static final int VICTIMS_LOOKED_AT = 8;

    /**
     * A device tier of host memory (the CPU backend's).
     *
     * @param slots the pool's size in experts (at least the model's top-k)
     */
    public ExpertResidency(ExpertSource source, int slots, LinkPacer pacer) {
        this(source, new CpuExpertSlots(slots, SlotPool.align(source.maxPackedBytes())), pacer);
    }

    /**
     * @param memory a backend's slots (at least the model's top-k, each holding the largest packed
     *               expert); closed with this residency
     */
    public ExpertResidency(ExpertSource source, ExpertSlots memory, LinkPacer pacer) {
        if (memory.slotBytes() < source.maxPackedBytes()) {
            memory.close();
            throw new IllegalArgumentException("slots of " + memory.slotBytes() + " bytes cannot hold an expert of "
                    + source.maxPackedBytes());
        }
        int slots = memory.count();
        this.source = source;
        this.pool = new SlotPool(memory);
        this.pacer = pacer;
        this.stats = new ResidencyStats(source.layers());
        this.capacity = slots - 1;
        this.keys = new ExpertKey[source.layers()][source.experts()];
        for (int l = 0; l < keys.length; l++) {
            for (int e = 0; e < keys[l].length; e++) {
                keys[l][e] = new ExpertKey(l, e);
            }
        }
        this.reserved = new AtomicReferenceArray<>(source.layers() * source.experts());
        this.held = new AtomicReferenceArray<>(source.layers() * source.experts());
        this.found = new AtomicReferenceArray<>(source.layers() * source.experts());
        // maintenance and listeners on the calling thread: the copy thread may be waiting for
        // exactly the slot an eviction would free
        this.cache = ExpertCaches.<Resident>bounded(capacity)
                .evictionListener((ExpertKey k, Resident r, RemovalCause cause) -> {
                    if (r != null) {
                        stats.evictions.increment();
                        r.release();
                    }
                })
                .buildAsync();
        this.queue = new CopyQueue(slots);
        this.copyThread = Thread.ofPlatform().daemon().name("expert-copy").start(this::copyLoop);
    }

    public int slots() {
        return pool.count();
    }

    /**
     * Experts the cache keeps resident at most: one less than the slots, the spare one being where
     * the next copy lands. A simulated cache of this many experts makes the same choices.
     */
    public int capacity() {
        return capacity;
    }

    public long slotBytes() {
        return pool.slotBytes();
    }

    /** Slot {@code slot}'s bytes where the tier is host memory ({@link MemorySegment#NULL} on a device). */
    public MemorySegment slotMemory(int slot) {
        return pool.segment(slot);
    }

    /** The backend's slots: for building compute views on them once, and for reports. */
    public ExpertSlots memory() {
        return pool.memory();
    }

    public ResidencyStats stats() {
        return stats;
    }

    /** Free slots now (tests: with nothing in use and nothing cached, every slot is free). */
    public int freeSlots() {
        return pool.freeSlots();
    }

    /** Whether the expert is resident now (no access recorded: a map view's get would record one). */
    public boolean isResident(int layer, int expert) {
        return cache.synchronous().policy().getIfPresentQuietly(keys[layer][expert]) != null;
    }

    /**
     * Whether the expert is resident or on its way (any copy in flight, a prediction's included).
     * Records no access, as {@link #isResident} does not.
     */
    public boolean isResidentOrComing(int layer, int expert) {
        return cache.asMap().containsKey(keys[layer][expert]);
    }

    /**
     * Copies the link carries before one the running layer asks for now: demand copies, the copies
     * the layer asked for ahead and have not started, and the one being carried (counted whole).
     * Predictions wait behind it and are not counted. An estimate: the copy thread moves on meanwhile.
     */
    public int copiesAhead() {
        return queue.waitingAhead() + (copying ? 1 : 0);
    }

    /**
     * Hybrid execution: the layer now computing routed to an expert that is neither resident nor
     * coming, and computes it on the host from host memory instead of copying it. Nothing is copied
     * or entered into the cache (Caffeine records no access): counted as a host expert, apart from
     * hits and misses, so the hit rate stays the cache's.
     */
    public void computedOnHost(int layer) {
        runningLayer = layer;
        stats.hostExpert(layer);
    }

    /**
     * Hybrid execution chose to copy a missing expert of {@code layer} rather than compute it on the
     * host; {@link #loadAhead} then starts the copy and counts the miss as for any other.
     */
    public void copyChosen(int layer) {
        stats.copiedExpert(layer);
    }

    /**
     * The expert, resident and held for the caller until {@link #release}; waits for its copy on a
     * miss. Callers must hold no other expert while calling this (see Progress above).
     */
    public Resident acquire(int layer, int expert) {
        ExpertKey key = keys[layer][expert];
        int i = index(key);
        LoadTask ahead = claim(reserved, i);
        if (ahead != null) {
            stats.miss(layer);
            return timed(() -> useReserved(ahead, key));
        }
        Resident kept = claim(held, i);
        if (kept != null) {
            stats.hit(layer);
            if (kept.firstUseOfPrefetch()) {
                stats.prefetchUseful(layer);
            }
            return kept;
        }
        CompletableFuture<Resident> f = claim(found, i);
        if (f == null) {
            f = cache.getIfPresent(key);
        }
        Resident r = landed(f);
        if (r != null && r.tryRetain()) {
            stats.hit(layer);
            if (r.firstUseOfPrefetch()) {
                stats.prefetchUseful(layer);
            }
            return r;
        }
        if (f instanceof LoadTask copy && copy.kind == LoadTask.Kind.PREFETCH) {
            stats.hit(layer); // a prediction was bringing it: the layer only waits for the rest of the copy
            return timed(() -> loadOnDemand(key), stats.lateStallNanos);
        }
        stats.miss(layer);
        return timed(() -> loadOnDemand(key));
    }

    private Resident timed(Supplier<Resident> load) {
        return timed(load, null);
    }

    /** Runs {@code load}, its time counted as stall, and also into {@code share} where given. */
    private Resident timed(Supplier<Resident> load, LongAdder share) {
        long start = System.nanoTime();
        try {
            return load.get();
        } finally {
            long waited = System.nanoTime() - start;
            stats.stallNanos.add(waited);
            if (share != null) {
                share.add(waited);
            }
        }
    }

    /** Takes what loadAhead left at {@code i}, if anything (the caller then owns a reserved reference). */
    private static <T> T claim(AtomicReferenceArray<T> left, int i) {
        T value = left.get(i);
        return value != null && left.compareAndSet(i, value, null) ? value : null;
    }

    /** Waits for a reserved copy (ahead of any prediction, as a demand); asks again if it was dropped. */
    private Resident useReserved(LoadTask task, ExpertKey key) {
        if (!task.isDone() && task.promote()) {
            queue.promote(task);
        }
        Resident r = task.join();
        return r != null ? r : loadOnDemand(key); // dropped for want of a free slot
    }

    private int index(ExpertKey key) {
        return key.index(keys[0].length);
    }

    /** Gives up the caller's hold on {@code r}, once it has queued every kernel that reads it. */
    public void release(Resident r) {
        pool.memory().readsQueued(r.slot());
        r.release();
    }

    private Resident loadOnDemand(ExpertKey key) {
        while (true) {
            LoadTask mine = new LoadTask(key, LoadTask.Kind.DEMAND);
            CompletableFuture<Resident> f = cache.get(key, (k, executor) -> mine);
            if (f == mine) {
                submit(mine);
                return mine.join(); // created holding our reference
            }
            if (f instanceof LoadTask other && other.promote()) {
                queue.promote(other);
            }
            Resident r = f.join();
            if (r != null && r.tryRetain()) {
                if (r.firstUseOfPrefetch()) {
                    stats.prefetchUseful(r.layer());
                }
                return r;
            }
            // a dropped prediction, or a copy evicted and freed before we could hold it: ask again
        }
    }

    /**
     * The layer now computing routed to this expert and will acquire it: records the access, as the
     * layer's accesses come in routing order, and starts its copy if it is neither resident nor
     * coming. The acquire that follows uses what this found and is not counted again.
     */
    public void loadAhead(int layer, int expert) {
        runningLayer = layer;
        ExpertKey key = keys[layer][expert];
        int i = index(key);
        CompletableFuture<Resident> f = cache.getIfPresent(key);
        if (f == null) {
            LoadTask task = new LoadTask(key, LoadTask.Kind.AHEAD);
            f = cache.get(key, (k, executor) -> task);
            if (f == task) {
                LoadTask unclaimed = reserved.getAndSet(i, task);
                if (unclaimed != null) {
                    unclaimed.thenAccept(ExpertResidency::dropReservation);
                }
                submit(task);
                return;
            }
        }
        Resident r = landed(f);
        if (r != null && r.tryRetain()) {
            Resident unclaimed = held.getAndSet(i, r);
            if (unclaimed != null) {
                unclaimed.release();
            }
            return;
        }
        found.set(i, f);
    }

    /** Starts copying a predicted expert, if it is neither resident nor coming. Never waits. */
    public void prefetch(int layer, int expert) {
        ExpertKey key = keys[layer][expert];
        if (cache.asMap().containsKey(key)) {
            return; // resident or coming; probing this way records no access: a prediction is not a use
        }
        LoadTask task = new LoadTask(key, LoadTask.Kind.PREFETCH);
        if (cache.get(key, (k, executor) -> task) == task) {
            stats.prefetchIssued(layer);
            submit(task);
        }
    }

    private static void dropReservation(Resident r) {
        if (r != null) {
            r.release();
        }
    }

    private void submit(LoadTask task) {
        LoadTask pushedOut = queue.add(task);
        if (pushedOut != null && pushedOut.claim()) {
            stats.prefetchSkipped.increment();
            pushedOut.complete(null);
        }
    }

    private void copyLoop() {
        try {
            LoadTask task;
            while ((task = queue.next()) != null) {
                try {
                    if (task.claim()) {
                        copying = true;
                        try {
                            copy(task);
                        } finally {
                            copying = false;
                        }
                    }
                } finally {
                    queue.finished();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void copy(LoadTask task) throws InterruptedException {
        int slot = task.mayWait() ? waitForSlot()
                : task.kind == LoadTask.Kind.PREFETCH ? slotForPrediction(task.key) : freeSlot();
        if (slot < 0) {
            if (task.kind == LoadTask.Kind.AHEAD) {
                task.park();
                if (!task.promoted() || !task.claim()) {
                    return;
                }
            } else if (!task.promoted()) {
                stats.prefetchSkipped.increment();
                task.complete(null);
                return;
            }
            slot = waitForSlot(); // promoted meanwhile: a compute thread waits for it
        }
        try {
            ExpertSlots memory = pool.memory();
            MemorySegment[] parts = source.parts(task.key.layer(), task.key.expert());
            memory.beginCopy(slot);
            long at = 0;
            long bytes = 0;
            for (MemorySegment part : parts) {
                pacer.copy(part, memory, at);
                at += SlotPool.align(part.byteSize());
                bytes += part.byteSize();
            }
            stats.copyNanos.add(memory.endCopy());
            stats.h2dBytes.add(bytes);
            stats.copies.increment();
            task.complete(new Resident(task.key, slot, pool.segment(slot), pool, task.kind == LoadTask.Kind.PREFETCH,
                    task.initialReferences()));
        } catch (RuntimeException | Error e) {
            pool.give(slot);
            task.completeExceptionally(e);
        }
    }

    /** A slot for a copy a compute thread waits for: waits, making room, until one is free. */
    private int waitForSlot() throws InterruptedException {
        return pool.take(() -> {
            makeRoom();
            reclaimReservations();
        });
    }

    /** A slot for a speculative copy, if one is free or Caffeine's pending evictions free one; else -1. */
    private int freeSlot() {
        int slot = pool.tryTake();
        if (slot < 0) {
            makeRoom();
            slot = pool.tryTake();
        }
        return slot;
    }

    /**
     * A slot for a prediction, or -1: never waits. When the cache is full, the prediction first
     * takes the place of the expert Caffeine would evict first among those no layer is using and
     * that belong neither to the layer computing now nor to the predicted one. Otherwise W-TinyLFU,
     * seeing a newcomer it has rarely seen, would mostly turn it away on arrival (or, with no slot
     * free, the prediction would be dropped), and the copy would be wasted.
     */
    private int slotForPrediction(ExpertKey predicted) {
        var eviction = cache.synchronous().policy().eviction();
        if (eviction.isPresent() && eviction.get().weightedSize().orElse(0) >= eviction.get().getMaximum()) {
            replaceColdest(eviction.get(), predicted);
        }
        return freeSlot();
    }

    private void replaceColdest(Policy.Eviction<ExpertKey, Resident> eviction, ExpertKey predicted) {
        int running = runningLayer;
        for (ExpertKey victim : eviction.coldest(VICTIMS_LOOKED_AT).keySet()) {
            if (victim.layer() == running || victim.layer() == predicted.layer()) {
                continue;
            }
            CompletableFuture<Resident> f = cache.asMap().get(victim);
            Resident r = landed(f);
            // in use, held for a layer, or gone meanwhile: its slot would not come free
            if (r != null && r.references() == 1 && dropEntry(victim, f, true)) {
                return;
            }
        }
    }

    /** Lets Caffeine carry out the evictions it has pending, which may free a slot. */
    private void makeRoom() {
        cache.synchronous().cleanUp();
    }

    /**
     * Drops the reserved references of finished copies and found residents nobody has claimed
     * yet, which frees the slots of those Caffeine has already evicted. Their layers' acquires
     * then find them in the cache, or copy them again.
     */
    private void reclaimReservations() {
        for (int i = 0; i < reserved.length(); i++) {
            LoadTask task = reserved.get(i);
            if (task != null && task.isDone() && reserved.compareAndSet(i, task, null)) {
                dropReservation(landed(task));
            }
            Resident kept = claim(held, i);
            if (kept != null) {
                kept.release();
            }
        }
    }

    /**
     * Drops every cached entry and every unclaimed reservation of a finished copy, releasing their
     * references (in-use slots return when their users release them). For tests and for checking
     * that nothing leaked.
     */
    public void evictAll() {
        reclaimReservations();
        for (var e : cache.asMap().entrySet()) {
            dropEntry(e.getKey(), e.getValue(), false);
        }
    }

    /**
     * Removes {@code key}'s entry {@code f} if it has landed and is still there, dropping the
     * cache's reference as an eviction does (whose listener explicit removals do not call).
     */
    private boolean dropEntry(ExpertKey key, CompletableFuture<Resident> f, boolean countAsEviction) {
        if (!f.isDone() || !cache.asMap().remove(key, f)) {
            return false;
        }
        Resident r = landed(f);
        if (r != null) {
            if (countAsEviction) {
                stats.evictions.increment();
            }
            r.release();
        }
        return true;
    }

    /** The resident a finished copy produced, or null (in flight, dropped or failed). */
    private static Resident landed(CompletableFuture<Resident> f) {
        return f == null || !f.isDone() || f.isCompletedExceptionally() ? null : f.getNow(null);
    }

    /**
     * {@link #evictAll}, repeated as the last predictions' copies (which nobody waits for) are run
     * and land, until no copy waits or runs and every slot is free, or {@code timeout} has passed.
     * True when every slot came back: with no expert in use, anything else is a leak.
     */
    public boolean evictAllOnceCopiesLand(java.time.Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            // idle first, then evict: a copy still queued or running would take a slot after the eviction
            boolean idle = queue.idle();
            evictAll();
            if (idle && freeSlots() == slots() || System.nanoTime() - deadline >= 0) {
                return idle && freeSlots() == slots();
            }
            Thread.sleep(5);
        }
    }

    /** Removes one resident expert as Caffeine's eviction does, dropping the cache's reference (tests). */
    void evict(int layer, int expert) {
        ExpertKey key = keys[layer][expert];
        CompletableFuture<Resident> f = cache.asMap().get(key);
        if (f != null) {
            dropEntry(key, f, true);
        }
    }

    /** Stops the copy thread and frees the device tier; no expert may be in use. */
    @Override
    public void close() {
        for (LoadTask t : queue.close()) {
            if (t.claim()) {
                t.complete(null);
            }
        }
        copyThread.interrupt();
        try {
            copyThread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pool.close();
    }
}
