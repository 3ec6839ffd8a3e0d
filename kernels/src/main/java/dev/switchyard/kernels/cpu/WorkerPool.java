package dev.switchyard.kernels.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed team of threads that runs one parallel loop at a time: the calling thread plus
 * {@code threads - 1} workers, created once, claim chunk indices of the current {@link Job} from a
 * shared counter until none are left. Nothing is allocated per loop.
 *
 * <p>Idle workers spin briefly (ops of a step follow each other within microseconds) and then park;
 * a worker that wakes late simply finds no chunks left. The claim counter packs a generation, the
 * chunk count and the next index into one {@code long}, so a claim is a single CAS that can only
 * succeed for chunks of the loop that is current at that moment; the caller returns once every
 * chunk has completed, so a worker never runs a job after its loop has ended. (The generation
 * field has 24 bits; a stale claim could only succeed if a thread stalled between reading and
 * swapping the counter while 2^24 further loops ran.)
 *
 * <p>Which thread runs a chunk is left to chance; callers must make each chunk's result independent
 * of that (the backend does: every output element is computed by one chunk, in a fixed order).
 * Not reentrant, and {@link #run} must not be called from several threads at once.
 */
final class WorkerPool implements AutoCloseable {

    /** A parallel loop body; {@code worker} (0 = the calling thread) indexes per-thread scratch. */
    interface Job {
        void run(int worker, int chunk);
    }

    private static final int INDEX_BITS = 20;
    /** Most chunks one loop may have. */
    static final int MAX_CHUNKS = (1 << INDEX_BITS) - 1;
    private static final long INDEX_MASK = (1L << INDEX_BITS) - 1;
    private static final long SPIN_NANOS = 200_000;

    private final int threads;
    private final Thread[] workers;
    private final AtomicLong cursor = new AtomicLong();
    private final AtomicInteger done = new AtomicInteger();
    private final AtomicInteger parked = new AtomicInteger();
    private volatile Job job;
    private volatile Throwable failure;
    private volatile boolean closed;
    private long generation;

    WorkerPool(int threads, String name) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int worker = i + 1;
            Thread t = new Thread(() -> workerLoop(worker), name + "-" + worker);
            t.setDaemon(true);
            workers[i] = t;
        }
        for (Thread t : workers) {
            t.start();
        }
    }

    int threads() {
        return threads;
    }

    /** Runs {@code job} for chunks {@code 0 .. chunks)} and returns when all have completed. */
    void run(Job job, int chunks) {
        if (closed) {
            throw new IllegalStateException("worker pool is closed");
        }
        if (chunks <= 0) {
            return;
        }
        if (workers.length == 0 || chunks == 1) {
            for (int c = 0; c < chunks; c++) {
                job.run(0, c);
            }
            return;
        }
        if (chunks > MAX_CHUNKS) {
            throw new IllegalArgumentException("too many chunks: " + chunks);
        }
        this.job = job;
        this.failure = null;
        done.set(0);
        generation++;
        cursor.set((generation << (2 * INDEX_BITS)) | ((long) chunks << INDEX_BITS));
        if (parked.get() > 0) {
            for (Thread t : workers) {
                LockSupport.unpark(t);
            }
        }
        drain(0);
        int spins = 0;
        while (done.get() < chunks) {
            if (++spins < 1 << 14) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
        this.job = null;
        Throwable f = failure;
        if (f != null) {
            failure = null;
            if (f instanceof RuntimeException e) {
                throw e;
            }
            if (f instanceof Error e) {
                throw e;
            }
            throw new IllegalStateException(f);
        }
    }

    /** Claims and runs chunks of the current loop until there are none; true if it ran any. */
    private boolean drain(int worker) {
        boolean ran = false;
        while (true) {
            long c = cursor.get();
            long next = c & INDEX_MASK;
            long chunks = (c >>> INDEX_BITS) & INDEX_MASK;
            if (next >= chunks) {
                return ran;
            }
            if (!cursor.compareAndSet(c, c + 1)) {
                continue;
            }
            ran = true;
            try {
                job.run(worker, (int) next);
            } catch (Throwable t) {
                if (failure == null) {
                    failure = t;
                }
            } finally {
                done.incrementAndGet();
            }
        }
    }

    private boolean claimable() {
        long c = cursor.get();
        return (c & INDEX_MASK) < ((c >>> INDEX_BITS) & INDEX_MASK);
    }

    private void workerLoop(int worker) {
        long idleSince = System.nanoTime();
        int spins = 0;
        while (!closed) {
            if (drain(worker)) {
                idleSince = System.nanoTime();
                spins = 0;
                continue;
            }
            if ((++spins & 63) != 0 || System.nanoTime() - idleSince < SPIN_NANOS) {
                Thread.onSpinWait();
                continue;
            }
            // Announce the park before re-checking, so that run() either sees us parked and
            // unparks us, or we see its new loop here.
            parked.incrementAndGet();
            try {
                if (!claimable() && !closed) {
                    LockSupport.park(this);
                }
            } finally {
                parked.decrementAndGet();
            }
            idleSince = System.nanoTime();
            spins = 0;
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Thread t : workers) {
            LockSupport.unpark(t);
        }
        for (Thread t : workers) {
            try {
                t.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
