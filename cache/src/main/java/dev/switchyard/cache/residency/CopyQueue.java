package dev.switchyard.cache.residency;

import java.util.ArrayDeque;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The copy thread's work, in priority order: copies a compute thread waits for, then copies the
 * current layer will need, then predictions in the order issued (best first). A task may sit in two
 * queues after a promotion; {@link LoadTask#claim} makes it run once. Predictions beyond
 * {@code prefetchLimit} push out the oldest: they were made for layers that are computing by now.
 */
final class CopyQueue {

    private final ArrayDeque<LoadTask> demand = new ArrayDeque<>();
    private final ArrayDeque<LoadTask> ahead = new ArrayDeque<>();
    private final ArrayDeque<LoadTask> prefetch = new ArrayDeque<>();
    private final int prefetchLimit;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition ready = lock.newCondition();
    private boolean closed;
    /** Tasks {@link #next} handed out whose run has not {@link #finished} yet. */
    private int running;

    CopyQueue(int prefetchLimit) {
        this.prefetchLimit = Math.max(1, prefetchLimit);
    }

    /** Queues {@code task}; returns a prediction it pushed out (to be dropped by the caller), or null. */
    LoadTask add(LoadTask task) {
        lock.lock();
        try {
            LoadTask pushedOut = null;
            switch (task.kind) {
                case DEMAND -> demand.addLast(task);
                case AHEAD -> ahead.addLast(task);
                case PREFETCH -> {
                    if (prefetch.size() >= prefetchLimit) {
                        pushedOut = prefetch.pollFirst();
                    }
                    prefetch.addLast(task);
                }
            }
            ready.signal();
            return pushedOut;
        } finally {
            lock.unlock();
        }
    }

    /** Moves a promoted speculative copy to the front of the line it now belongs to. */
    void promote(LoadTask task) {
        lock.lock();
        try {
            demand.addLast(task);
            ready.signal();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Copies waiting that run before one the running layer asks for now: demand copies and the
     * layer's own (a promoted copy may be counted twice). Predictions run after it and are not counted.
     */
    int waitingAhead() {
        lock.lock();
        try {
            return demand.size() + ahead.size();
        } finally {
            lock.unlock();
        }
    }

    /** The next copy to run, or null once closed. */
    LoadTask next() throws InterruptedException {
        lock.lock();
        try {
            while (true) {
                if (closed) {
                    return null;
                }
                LoadTask t = demand.pollFirst();
                if (t == null) {
                    t = ahead.pollFirst();
                }
                if (t == null) {
                    t = prefetch.pollFirst();
                }
                if (t != null) {
                    running++;
                    return t;
                }
                ready.await();
            }
        } finally {
            lock.unlock();
        }
    }

    /** The copy thread is done with a task {@link #next} gave it (copied, dropped, parked or run by another). */
    void finished() {
        lock.lock();
        try {
            running--;
        } finally {
            lock.unlock();
        }
    }

    /** Whether no copy waits and none runs: once so, with nobody asking, no copy will take a slot. */
    boolean idle() {
        lock.lock();
        try {
            return demand.isEmpty() && ahead.isEmpty() && prefetch.isEmpty() && running == 0;
        } finally {
            lock.unlock();
        }
    }

    /** Stops the queue; returns what was still waiting, for the caller to fail. */
    ArrayDeque<LoadTask> close() {
        lock.lock();
        try {
            closed = true;
            ready.signalAll();
            ArrayDeque<LoadTask> left = new ArrayDeque<>(demand);
            left.addAll(ahead);
            left.addAll(prefetch);
            demand.clear();
            ahead.clear();
            prefetch.clear();
            return left;
        } finally {
            lock.unlock();
        }
    }
}
