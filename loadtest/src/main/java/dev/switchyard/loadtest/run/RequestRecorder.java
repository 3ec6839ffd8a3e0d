package dev.switchyard.loadtest.run;

import dev.switchyard.loadtest.target.StreamListener;
import dev.switchyard.loadtest.workload.PlannedRequest;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * Timestamps one request's events as they arrive and seals them into a {@link RequestResult} when the
 * request ends. The first ending wins: a cancel or timeout that races a {@code [DONE]} is settled here,
 * under one lock, so a request is counted exactly once.
 */
final class RequestRecorder implements StreamListener {

    private final PlannedRequest plan;
    private final LongSupplier clock;
    private final int inFlightAtSend;
    private final long sentNanos;
    private final CompletableFuture<RequestResult> result = new CompletableFuture<>();
    private long[] chunks = new long[16];
    private int chunkCount;
    private int usagePrompt = -1;
    private int usageCompletion = -1;
    private boolean ended;

    RequestRecorder(PlannedRequest plan, LongSupplier clock, int inFlightAtSend) {
        this.plan = plan;
        this.clock = clock;
        this.inFlightAtSend = inFlightAtSend;
        this.sentNanos = clock.getAsLong();
    }

    CompletableFuture<RequestResult> result() {
        return result;
    }

    @Override
    public synchronized void onContent(String text) {
        long now = clock.getAsLong();
        if (ended) {
            return;
        }
        if (chunkCount == chunks.length) {
            chunks = Arrays.copyOf(chunks, chunkCount * 2);
        }
        chunks[chunkCount++] = now;
    }

    @Override
    public synchronized void onUsage(int promptTokens, int completionTokens) {
        if (!ended) {
            usagePrompt = promptTokens;
            usageCompletion = completionTokens;
        }
    }

    @Override
    public void onDone() {
        if (chunkCountNow() == 0) {
            end(Outcome.FAILED, "empty_output", "the stream ended without a chunk carrying tokens");
        } else {
            end(Outcome.COMPLETED, null, null);
        }
    }

    @Override
    public void onError(String kind, String detail) {
        end(Outcome.FAILED, kind, detail);
    }

    /** The client gave up on purpose; returns whether this call ended the request. */
    boolean cancel() {
        return end(Outcome.CANCELLED, null, null);
    }

    /** No ending in time; returns whether this call ended the request. */
    boolean timeOut(long afterNanos) {
        return end(Outcome.FAILED, "timeout", "no end after " + afterNanos / 1_000_000 + " ms");
    }

    private synchronized int chunkCountNow() {
        return chunkCount;
    }

    private boolean end(Outcome outcome, String kind, String detail) {
        long now = clock.getAsLong();
        RequestResult sealed;
        synchronized (this) {
            if (ended) {
                return false;
            }
            ended = true;
            sealed = new RequestResult(plan.index(), outcome, kind, detail, sentNanos,
                    Arrays.copyOf(chunks, chunkCount), now, usagePrompt, usageCompletion,
                    plan.inputTokens(), inFlightAtSend);
        }
        result.complete(sealed);
        return true;
    }
}
