package dev.switchyard.engine.schedule;

import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.sampling.TokenLogprobs;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Keeps what a sequence produced and lets a test wait for it. */
final class RecordingSink implements SequenceSink {

    private final int[] tokens = new int[1024];
    private final double[] logprobs = new double[1024];
    private volatile int count;
    private volatile FinishReason finish;
    private volatile RuntimeException failure;
    private volatile int stopAfter = Integer.MAX_VALUE;
    private volatile int reused = -1;
    private final CountDownLatch done = new CountDownLatch(1);

    /** Asks to stop after the {@code n}-th token, as a matched stop string does. */
    void stopAfter(int n) {
        stopAfter = n;
    }

    @Override
    public synchronized boolean onToken(int token, TokenLogprobs lp) {
        tokens[count] = token;
        logprobs[count] = lp.logprob();
        count++;
        notifyAll();
        return count < stopAfter;
    }

    @Override
    public void onPrefixReused(int tokens) {
        reused = tokens;
    }

    /** Prompt positions taken from the prefix cache at first admission; -1 before it. */
    int reused() {
        return reused;
    }

    @Override
    public void onFinish(FinishReason reason) {
        finish = reason;
        done.countDown();
        synchronized (this) {
            notifyAll();
        }
    }

    @Override
    public void onFailure(RuntimeException error) {
        failure = error;
        done.countDown();
    }

    /** Submits the requests to {@code scheduler} one after another, each once the one before finished; their sinks. */
    static java.util.List<RecordingSink> inTurn(Scheduler scheduler,
                                               java.util.List<dev.switchyard.engine.generate.GenerationRequest> requests)
            throws InterruptedException, TimeoutException {
        java.util.List<RecordingSink> sinks = new java.util.ArrayList<>();
        for (dev.switchyard.engine.generate.GenerationRequest r : requests) {
            RecordingSink sink = new RecordingSink();
            scheduler.submit(java.util.List.of(new Scheduler.SequenceRequest(r, sink)), null);
            sink.await(Duration.ofSeconds(60));
            sinks.add(sink);
        }
        return sinks;
    }

    void await(Duration timeout) throws InterruptedException, TimeoutException {
        if (!done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new TimeoutException("the sequence did not finish in " + timeout);
        }
        if (failure != null) {
            throw new AssertionError("the sequence failed", failure);
        }
    }

    synchronized void awaitTokens(int n, Duration timeout) throws InterruptedException, TimeoutException {
        long end = System.nanoTime() + timeout.toNanos();
        while (count < n && finish == null) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                throw new TimeoutException("fewer than " + n + " tokens in " + timeout);
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    FinishReason finish() {
        return finish;
    }

    int[] tokens() {
        return java.util.Arrays.copyOf(tokens, count);
    }

    double[] logprobs() {
        return java.util.Arrays.copyOf(logprobs, count);
    }
}
