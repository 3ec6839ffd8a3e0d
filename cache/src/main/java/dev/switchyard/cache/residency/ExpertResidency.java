package dev.switchyard.cache.residency;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.switchyard.cache.ExpertKey;
import dev.switchyard.kernels.ExpertSlots;
import dev.switchyard.kernels.cpu.CpuExpertSlots;
import java.lang.foreign.MemorySegment;
import java.util.concurrent.CompletableFuture;

/**
 * Which experts are on the device, and getting the others there.
 *
 * <h2>Design</h2>
 * <ul>
 *   <li><b>Slots are the budget.</b> A {@link SlotPool} of equal slots, one packed expert each. A
 *       copy takes a free slot or, if it is a copy a compute thread waits for, waits for one; it
 *       never takes a slot that is in use, so the device tier is never overcommitted.</li>
 *   <li><b>Caffeine chooses, reference counts free.</b> An {@code AsyncCache<ExpertKey, Resident>}
 *       weighs every entry at one slot's bytes and is bounded to one slot less than the pool, so
 *       that after Caffeine has evicted down to its bound one slot is always free or about to be.
 *       Caffeine evicts on its own schedule and knows nothing of kernels in flight; eviction only
 *       drops the cache's reference ({@link Resident}), and the slot returns to the pool when the
 *       last kernel using it releases it. In-flight copies weigh nothing and are never evicted;
 *       concurrent asks for one expert share its copy through the cached future.</li>
 *   <li><b>Progress.</b> Compute threads acquire one expert, compute, release, and never wait for
 *       a copy while holding a reference. So every slot not resident is either free or held by a
 *       thread that will release it without waiting, and a waiting copy always gets a slot. A
 *       demand copy is created holding its requester's reference, so even a cache bounded to zero
 *       entries (which evicts each copy as it completes) makes progress.</li>
 *   <li><b>One copy thread</b> (a single link): demand copies first, then copies the current layer
 *       will need ({@link #loadAhead}), then predictions ({@link #prefetch}) best first. Speculative
 *       copies never wait for a slot: with none free they are dropped, so they can neither block
 *       compute nor hold up a demand copy. Copies are paced by {@link LinkPacer}.</li>
 *   <li><b>The backend owns the bytes.</b> Slot memory and the copy into a slot are the backend's
 *       {@link ExpertSlots}: an off-heap arena and memory copies on the CPU, device memory and a
 *       copy stream on a GPU. A copy completes (its future with it) once its bytes have landed.
 *       Where kernels run after their launch returns, a slot released to the pool may still be
 *       read: {@link #release} first tells the slots that the holder's kernels are queued, and the
 *       next copy into that slot lands after them.</li>
 *   <li><b>Hot path.</b> A hit is a map lookup on a prebuilt key, a CAS and two counter updates:
 *       nothing is allocated. A miss allocates its copy task.</li>
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
    private final int capacity;
    private final Thread copyThread;

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
        long slotBytes = pool.slotBytes();
        int weight = Math.toIntExact(slotBytes);
        this.cache = Caffeine.newBuilder()
                .maximumWeight(capacity * slotBytes)
                .<ExpertKey, Resident>weigher((k, r) -> weight)
                // maintenance and listeners on the calling thread: the copy thread may be waiting
                // for exactly the slot an eviction would free
                .executor(Runnable::run)
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

    /** Whether the expert is resident now (no access recorded). */
    public boolean isResident(int layer, int expert) {
        CompletableFuture<Resident> f = cache.asMap().get(keys[layer][expert]);
        return f != null && f.isDone() && !f.isCompletedExceptionally() && f.getNow(null) != null;
    }

    /**
     * The expert, resident and held for the caller until {@link #release}; waits for its copy on a
     * miss. Callers must hold no other expert while calling this (see Progress above).
     */
    public Resident acquire(int layer, int expert) {
        ExpertKey key = keys[layer][expert];
        CompletableFuture<Resident> f = cache.getIfPresent(key);
        if (f != null && f.isDone() && !f.isCompletedExceptionally()) {
            Resident r = f.getNow(null);
            if (r != null && r.tryRetain()) {
                stats.hit(layer);
                if (r.firstUseOfPrefetch()) {
                    stats.prefetchUseful.increment();
                }
                return r;
            }
        }
        stats.miss(layer);
        long start = System.nanoTime();
        try {
            return loadOnDemand(key);
        } finally {
            stats.stallNanos.add(System.nanoTime() - start);
        }
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
                    stats.prefetchUseful.increment();
                }
                return r;
            }
            // a dropped prediction, or a copy evicted and freed before we could hold it: ask again
        }
    }

    /** Starts copying an expert the layer now computing needs, if it is neither resident nor coming. */
    public void loadAhead(int layer, int expert) {
        speculate(keys[layer][expert], LoadTask.Kind.AHEAD);
    }

    /** Starts copying a predicted expert, if it is neither resident nor coming. Never waits. */
    public void prefetch(int layer, int expert) {
        if (speculate(keys[layer][expert], LoadTask.Kind.PREFETCH)) {
            stats.prefetchIssued.increment();
        }
    }

    private boolean speculate(ExpertKey key, LoadTask.Kind kind) {
        if (cache.asMap().containsKey(key)) {
            return false; // resident or coming; probing this way records no access
        }
        LoadTask task = new LoadTask(key, kind);
        if (cache.get(key, (k, executor) -> task) != task) {
            return false;
        }
        submit(task);
        return true;
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
                if (task.claim()) {
                    copy(task);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void copy(LoadTask task) throws InterruptedException {
        int slot;
        if (task.mayWait()) {
            slot = pool.take(this::makeRoom);
        } else {
            slot = pool.tryTake();
            if (slot < 0) {
                makeRoom();
                slot = pool.tryTake();
            }
            if (slot < 0) {
                stats.prefetchSkipped.increment();
                task.complete(null);
                return;
            }
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

    /** Lets Caffeine carry out the evictions it has pending, which may free a slot. */
    private void makeRoom() {
        cache.synchronous().cleanUp();
    }

    /**
     * Drops every cached entry, releasing the cache's references (in-use slots return when their
     * users release them). For tests and for checking that nothing leaked.
     */
    public void evictAll() {
        for (var e : cache.asMap().entrySet()) {
            CompletableFuture<Resident> f = e.getValue();
            if (f.isDone() && cache.asMap().remove(e.getKey(), f)) {
                Resident r = f.isCompletedExceptionally() ? null : f.getNow(null);
                if (r != null) {
                    r.release();
                }
            }
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
