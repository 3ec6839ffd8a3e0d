package dev.switchyard.loadtest.run;

import dev.switchyard.loadtest.target.InFlight;
import dev.switchyard.loadtest.target.RequestSampling;
import dev.switchyard.loadtest.target.StreamRequest;
import dev.switchyard.loadtest.target.Target;
import dev.switchyard.loadtest.workload.PlannedRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;

/**
 * Sends planned requests at their arrival times, at most {@code maxConcurrency} at once, and collects
 * what was observed of each.
 *
 * <p>One thread (the caller's) paces the sends; the target streams on its own few threads; one
 * scheduler thread fires cancellations and timeouts. Nothing here holds a thread per request, which is
 * what lets one process keep a thousand streams open. With a concurrency limit, a request due while the
 * limit is reached waits, and its clock starts when it is actually sent (as in vLLM).
 */
public final class LoadRunner {

    private final Target target;
    /** The model names requests name, in turn by request number. */
    private final List<String> models;
    private final RequestSampling sampling;
    private final int maxConcurrency;
    private final long timeoutNanos;
    private final LongSupplier clock = System::nanoTime;

    /** Greedy requests; {@code maxConcurrency} 0 means no limit. */
    public LoadRunner(Target target, String model, int maxConcurrency, long timeoutNanos) {
        this(target, model, RequestSampling.GREEDY, maxConcurrency, timeoutNanos);
    }

    /** Requests sampled as {@code sampling} asks; {@code maxConcurrency} 0 means no limit. */
    public LoadRunner(Target target, String model, RequestSampling sampling, int maxConcurrency, long timeoutNanos) {
        this(target, List.of(model), sampling, maxConcurrency, timeoutNanos);
    }

    /**
     * As above, request {@code i} naming {@code models[i mod size]}: a run spread evenly over a
     * server's LoRA adapters (and its base model, where listed), as vLLM's benchmark spreads one.
     */
    public LoadRunner(Target target, List<String> models, RequestSampling sampling, int maxConcurrency,
                      long timeoutNanos) {
        if (models.isEmpty()) {
            throw new IllegalArgumentException("a run names at least one model");
        }
        this.target = target;
        this.models = List.copyOf(models);
        this.sampling = sampling;
        this.maxConcurrency = maxConcurrency;
        this.timeoutNanos = timeoutNanos;
    }

    /** Runs {@code plans}, request {@code i} due at {@code offsetsNanos[i]} after the start. */
    public RunRecords run(List<PlannedRequest> plans, long[] offsetsNanos, double offeredRate) throws InterruptedException {
        Semaphore slots = new Semaphore(maxConcurrency > 0 ? maxConcurrency : Integer.MAX_VALUE);
        AtomicInteger inFlight = new AtomicInteger();
        List<CompletableFuture<RequestResult>> results = new ArrayList<>(plans.size());
        ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "loadtest-timers");
            t.setDaemon(true);
            return t;
        });
        long start = clock.getAsLong();
        try {
            for (int i = 0; i < plans.size(); i++) {
                waitUntil(start + offsetsNanos[i]);
                slots.acquire();
                results.add(send(plans.get(i), inFlight, slots, timers));
            }
            List<RequestResult> done = new ArrayList<>(plans.size());
            long end = start;
            for (CompletableFuture<RequestResult> f : results) {
                RequestResult r = f.join();
                done.add(r);
                end = Math.max(end, r.endNanos());
            }
            return new RunRecords(List.copyOf(done), start, end, offeredRate, maxConcurrency);
        } finally {
            timers.shutdownNow();
        }
    }

    private CompletableFuture<RequestResult> send(PlannedRequest plan, AtomicInteger inFlight, Semaphore slots,
                                                  ScheduledExecutorService timers) {
        RequestRecorder recorder = new RequestRecorder(plan, clock, inFlight.incrementAndGet());
        String model = models.get(plan.index() % models.size());
        InFlight call = target.send(new StreamRequest(model, plan.prompt(), plan.maxTokens(), sampling), recorder);
        List<java.util.concurrent.ScheduledFuture<?>> pending = new ArrayList<>(2);
        if (plan.cancels()) {
            pending.add(timers.schedule(() -> {
                if (recorder.cancel()) {
                    call.cancel();
                }
            }, plan.cancelAfterNanos(), TimeUnit.NANOSECONDS));
        }
        if (timeoutNanos > 0) {
            pending.add(timers.schedule(() -> {
                if (recorder.timeOut(timeoutNanos)) {
                    call.cancel();
                }
            }, timeoutNanos, TimeUnit.NANOSECONDS));
        }
        return recorder.result().whenComplete((r, t) -> {
            pending.forEach(f -> f.cancel(false));
            inFlight.decrementAndGet();
            slots.release();
        });
    }

    private void waitUntil(long deadline) {
        long left;
        while ((left = deadline - clock.getAsLong()) > 0) {
            LockSupport.parkNanos(left);
        }
    }
}
