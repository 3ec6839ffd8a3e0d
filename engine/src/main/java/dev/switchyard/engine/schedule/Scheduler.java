package dev.switchyard.engine.schedule;

import dev.switchyard.engine.forward.Transformer;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.kv.KvCache;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntPredicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The serving scheduler: one thread that owns a {@link ContinuousBatcher} and steps it while there is
 * work, fed by any number of front-end threads through {@link #submit}.
 *
 * <p>Front ends get answers at once: a request that can never fit is refused by {@link #submit}
 * (validation), a full queue throws {@link QueueFullException} (HTTP 429), a draining scheduler throws
 * {@link SchedulerUnavailableException} (HTTP 503). Accepted requests end through their sinks, on the
 * scheduler's thread. Cancellation and timeouts take effect at the next step, which frees the blocks.
 */
public final class Scheduler implements AutoCloseable {

    /** One sequence to run and where its tokens go. */
    public record SequenceRequest(GenerationRequest request, SequenceSink sink) {
    }

    private static final Logger LOG = Logger.getLogger(Scheduler.class.getName());
    /** How long an idle scheduler sleeps before it looks at deadlines and shutdown again. */
    private static final long IDLE_WAIT_MILLIS = 50;

    private final ContinuousBatcher batcher;
    private final int maxQueue;
    private final LinkedBlockingQueue<Submission> incoming = new LinkedBlockingQueue<>();
    /** Work for the scheduler's thread between two steps (loading and unloading LoRA adapters). */
    private final java.util.concurrent.ConcurrentLinkedQueue<Task> tasks = new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Set once the scheduler's thread has left its loop. */
    private volatile boolean stopped;
    /** Accepted requests not yet finished; touched by the scheduler's thread only. */
    private final List<Submission> inFlight = new ArrayList<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicInteger unfinished = new AtomicInteger();
    private final ReentrantLock idleLock = new ReentrantLock();
    private final Condition idle = idleLock.newCondition();
    private final Thread thread;
    private volatile boolean draining;
    private volatile boolean closing;
    private volatile int runningGauge;
    private volatile int waitingGauge;
    private volatile double kvUsageGauge;
    private volatile long preemptionsGauge;

    /**
     * @param maxQueue requests that may wait for admission before {@link #submit} refuses more
     */
    public Scheduler(Transformer transformer, KvCache kv, IntPredicate endOfGeneration, int maxQueue,
                     SchedulerObserver observer) {
        this(transformer, kv, endOfGeneration, maxQueue, observer, Speculation.NONE);
    }

    /**
     * @param maxQueue    requests that may wait for admission before {@link #submit} refuses more
     * @param speculation speculative decoding ({@link ContinuousBatcher#setSpeculation}), or none
     */
    public Scheduler(Transformer transformer, KvCache kv, IntPredicate endOfGeneration, int maxQueue,
                     SchedulerObserver observer, Speculation speculation) {
        this(transformer, kv, endOfGeneration, maxQueue, observer, speculation, null);
    }

    /** As above, the proposals coming from {@code draft} (null: prompt lookup); see {@link ContinuousBatcher#setDraft}. */
    public Scheduler(Transformer transformer, KvCache kv, IntPredicate endOfGeneration, int maxQueue,
                     SchedulerObserver observer, Speculation speculation, DraftModel draft) {
        if (maxQueue < 1) {
            throw new IllegalArgumentException("the queue must hold at least 1 request; got " + maxQueue);
        }
        this.batcher = new ContinuousBatcher(transformer, kv, endOfGeneration, observer, System::nanoTime);
        batcher.setSpeculation(speculation);
        batcher.setDraft(draft);
        this.maxQueue = maxQueue;
        this.thread = Thread.ofPlatform().name("switchyard-scheduler").daemon().unstarted(this::run);
        thread.start();
    }

    /**
     * Accepts a request's sequences, or refuses it at once.
     *
     * @param timeout how long the request may take in all, queueing included; null or zero: no limit
     * @throws ContextLengthExceededException  if a sequence cannot fit the context or the KV cache
     * @throws IllegalArgumentException        if a token id or sampling parameter is out of range
     * @throws QueueFullException              if {@code maxQueue} requests are already waiting
     * @throws SchedulerUnavailableException   if the scheduler is draining or closed
     */
    public Submission submit(List<SequenceRequest> sequences, Duration timeout) {
        if (sequences.isEmpty()) {
            throw new IllegalArgumentException("a request needs at least one sequence");
        }
        if (draining || closing) {
            throw new SchedulerUnavailableException("the server is shutting down and accepts no new requests");
        }
        long now = System.nanoTime();
        long deadline = timeout == null || timeout.isZero() ? Long.MAX_VALUE : now + timeout.toNanos();
        Submission submission = new Submission(this, sequences.size(), deadline);
        List<ActiveSequence> prepared = new ArrayList<>(sequences.size());
        for (SequenceRequest r : sequences) {
            prepared.add(batcher.prepare(r.request(), r.sink(), now, submission));
        }
        if (queued.incrementAndGet() > maxQueue) {
            queued.decrementAndGet();
            throw new QueueFullException(maxQueue);
        }
        unfinished.incrementAndGet();
        submission.attach(prepared);
        incoming.add(submission);
        return submission;
    }

    /**
     * Runs {@code task} on the scheduler's thread between two steps, once the requests submitted
     * before it have joined the batcher, and completes the future with its result or failure; a
     * task the scheduler stops before it runs fails with {@link SchedulerUnavailableException}.
     */
    public <T> CompletableFuture<T> betweenSteps(java.util.concurrent.Callable<T> task) {
        CompletableFuture<T> done = new CompletableFuture<>();
        tasks.add(new Task(() -> {
            try {
                done.complete(task.call());
            } catch (Exception e) {
                done.completeExceptionally(e);
            }
        }, () -> done.completeExceptionally(new SchedulerUnavailableException("the scheduler has stopped"))));
        if (stopped) {
            refuseTasks(); // its thread is gone: nobody else will
        }
        return done;
    }

    /**
     * Sequences, waiting or running, that apply LoRA adapter {@code adapter}. Only in a
     * {@link #betweenSteps} task.
     */
    public int sequencesApplying(int adapter) {
        return batcher.sequencesApplying(adapter);
    }

    /** A task for between steps, and what tells its caller it will never run. */
    private record Task(Runnable run, Runnable refuse) {
    }

    private void runTasks() {
        Task task;
        while ((task = tasks.poll()) != null) {
            task.run().run();
        }
    }

    private void refuseTasks() {
        Task task;
        while ((task = tasks.poll()) != null) {
            task.refuse().run();
        }
    }

    /** Positions one sequence may use (prompt plus completion): the context, or the KV pool if smaller. */
    public int maxSequencePositions() {
        return batcher.maxSequencePositions();
    }

    /** Sequences in the batch now. */
    public int running() {
        return runningGauge;
    }

    /** Sequences waiting for admission (preempted ones included). */
    public int waiting() {
        return waitingGauge;
    }

    /** Fraction of KV blocks in use, as of the last step. */
    public double kvUsage() {
        return kvUsageGauge;
    }

    public long preemptions() {
        return preemptionsGauge;
    }

    /** Refuses new requests from now on; those accepted run on. */
    public void beginDrain() {
        draining = true;
    }

    public boolean isDraining() {
        return draining;
    }

    /** Waits until every accepted request has finished; returns false if {@code timeout} passed first. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long left = timeout.toNanos();
        idleLock.lock();
        try {
            while (unfinished.get() > 0) {
                if (left <= 0) {
                    return false;
                }
                left = idle.awaitNanos(left);
            }
            return true;
        } finally {
            idleLock.unlock();
        }
    }

    /**
     * Stops the scheduler: requests still queued or running end with reason abort, then its thread
     * exits. The transformer and cache stay open (their owner closes them).
     */
    @Override
    public void close() {
        draining = true;
        closing = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    void leftQueue() {
        queued.decrementAndGet();
    }

    /** Called on the scheduler's thread when a request's last sequence ends. */
    void requestDone(Submission submission) {
        inFlight.remove(submission);
        if (unfinished.decrementAndGet() == 0) {
            idleLock.lock();
            try {
                idle.signalAll();
            } finally {
                idleLock.unlock();
            }
        }
    }

    private void run() {
        while (true) {
            try {
                takeIncoming();
                if (closing) {
                    batcher.abortAll();
                    publishGauges();
                    stopped = true;
                    refuseTasks();
                    return;
                }
                runTasks();
                expireDeadlines();
                if (batcher.hasWork()) {
                    batcher.step();
                } else {
                    Submission next = incoming.poll(IDLE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
                    if (next != null) {
                        accept(next);
                    }
                }
                publishGauges();
            } catch (InterruptedException e) {
                closing = true;
            } catch (RuntimeException e) {
                // A bug must not take the server down with it: fail what was running and go on.
                LOG.log(Level.SEVERE, "scheduler step failed; failing the running sequences", e);
                batcher.failRunning(e);
            }
        }
    }

    private void takeIncoming() {
        Submission next;
        while ((next = incoming.poll()) != null) {
            accept(next);
        }
    }

    private void accept(Submission submission) {
        inFlight.add(submission);
        for (ActiveSequence s : submission.sequences()) {
            batcher.add(s);
        }
    }

    private void expireDeadlines() {
        long now = System.nanoTime();
        for (int i = 0; i < inFlight.size(); i++) {
            Submission s = inFlight.get(i);
            if (s.deadlineNanos() != Long.MAX_VALUE && now - s.deadlineNanos() > 0 && !s.isCancelled()) {
                s.expire();
            }
        }
    }

    private void publishGauges() {
        runningGauge = batcher.runningCount();
        waitingGauge = batcher.waitingCount() + incoming.size();
        kvUsageGauge = batcher.kvUsage();
        preemptionsGauge = batcher.preemptions();
    }
}
