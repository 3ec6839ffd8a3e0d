package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {

    @Test
    void runsEveryChunkExactlyOnceAcrossManyLoops() {
        try (WorkerPool pool = new WorkerPool(3, "test")) {
            for (int loop = 0; loop < 2000; loop++) {
                int chunks = 1 + loop % 37;
                AtomicIntegerArray seen = new AtomicIntegerArray(chunks);
                AtomicIntegerArray workers = new AtomicIntegerArray(3);
                pool.run((worker, chunk) -> {
                    seen.incrementAndGet(chunk);
                    workers.incrementAndGet(worker);
                }, chunks);
                for (int c = 0; c < chunks; c++) {
                    assertThat(seen.get(c)).as("loop %d chunk %d", loop, c).isEqualTo(1);
                }
            }
        }
    }

    @Test
    void usesTheWorkersWhenThereIsWork() {
        try (WorkerPool pool = new WorkerPool(3, "test")) {
            AtomicIntegerArray workers = new AtomicIntegerArray(3);
            java.util.concurrent.atomic.AtomicInteger othersDone = new java.util.concurrent.atomic.AtomicInteger();
            pool.run((worker, chunk) -> {
                workers.incrementAndGet(worker);
                if (chunk == 0) {
                    // Chunk 0 is claimed first and holds its thread, so any other chunk that
                    // completes meanwhile ran on another thread.
                    long deadline = System.nanoTime() + 10_000_000_000L;
                    while (othersDone.get() == 0 && System.nanoTime() < deadline) {
                        LockSupport.parkNanos(100_000);
                    }
                } else {
                    othersDone.incrementAndGet();
                }
            }, 30);
            int used = 0;
            for (int w = 0; w < 3; w++) {
                used += workers.get(w) > 0 ? 1 : 0;
            }
            assertThat(used).as("threads that ran chunks").isGreaterThan(1);
        }
    }

    @Test
    void wakesParkedWorkers() {
        try (WorkerPool pool = new WorkerPool(2, "test")) {
            LockSupport.parkNanos(5_000_000); // longer than the spin phase: the worker parks
            AtomicIntegerArray count = new AtomicIntegerArray(1);
            pool.run((worker, chunk) -> count.incrementAndGet(0), 100);
            assertThat(count.get(0)).isEqualTo(100);
        }
    }

    @Test
    void rethrowsAFailureAndStaysUsable() {
        try (WorkerPool pool = new WorkerPool(3, "test")) {
            assertThatThrownBy(() -> pool.run((worker, chunk) -> {
                if (chunk == 7) {
                    throw new IllegalStateException("chunk 7");
                }
            }, 20)).isInstanceOf(IllegalStateException.class).hasMessage("chunk 7");
            AtomicIntegerArray count = new AtomicIntegerArray(1);
            pool.run((worker, chunk) -> count.incrementAndGet(0), 20);
            assertThat(count.get(0)).isEqualTo(20);
        }
    }

    @Test
    void closeStopsTheWorkers() throws InterruptedException {
        WorkerPool pool = new WorkerPool(3, "closing-pool");
        pool.run((worker, chunk) -> { }, 10);
        pool.close();
        Thread.sleep(50);
        long alive = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("closing-pool-") && t.isAlive()).count();
        assertThat(alive).isZero();
        assertThatThrownBy(() -> pool.run((worker, chunk) -> { }, 1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void singleThreadRunsOnTheCaller() {
        try (WorkerPool pool = new WorkerPool(1, "test")) {
            Thread caller = Thread.currentThread();
            pool.run((worker, chunk) -> {
                assertThat(worker).isZero();
                assertThat(Thread.currentThread()).isSameAs(caller);
            }, 5);
        }
    }
}
