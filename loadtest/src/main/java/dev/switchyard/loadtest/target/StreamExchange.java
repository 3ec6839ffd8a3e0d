package dev.switchyard.loadtest.target;

import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One streaming request in flight: receives the body's lines as they arrive, decodes the SSE events and
 * chunks, and tells the listener. It is also the request's {@link InFlight} handle.
 *
 * <p>Exactly one ending reaches the listener ({@code onDone} or {@code onError}), whichever comes first
 * of the {@code [DONE]} event, an error in the stream, the body ending early, the HTTP exchange failing
 * or the load test cancelling; a compare-and-set on {@link #ended} settles the races between the body's
 * thread, the response future's thread and the canceller's. The body's own callbacks never overlap (the
 * HTTP client serialises a subscriber's calls), so the decoder needs no lock.
 */
final class StreamExchange implements Flow.Subscriber<String>, InFlight {

    private final StreamListener listener;
    private final ChunkReader reader;
    private final SseLineDecoder decoder = new SseLineDecoder(this::onEvent);
    private final AtomicBoolean ended = new AtomicBoolean();
    private volatile boolean aborted;
    private volatile Flow.Subscription subscription;
    private volatile CompletableFuture<?> response;
    private volatile int events; // written by the body's thread only; read for failure details

    StreamExchange(StreamListener listener, ChunkReader reader) {
        this.listener = listener;
        this.reader = reader;
    }

    /** The HTTP client's future for this exchange, so that a cancel can abort it before the body starts. */
    void attach(CompletableFuture<?> future) {
        response = future;
        if (aborted) {
            future.cancel(true);
        }
    }

    @Override
    public void cancel() {
        // Silence first: from here on, nothing more reaches the listener, which has already ended the request.
        ended.set(true);
        abort();
    }

    // --- the body of a 2xx answer, line by line ---

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        if (aborted) {
            s.cancel();
            return;
        }
        // Lines are handled as they come, and each is small; the body cannot outrun us in a harmful way.
        s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(String line) {
        if (!ended.get()) {
            decoder.line(line);
        }
    }

    @Override
    public void onError(Throwable t) {
        fail(Failures.kind(t), Failures.detail(t));
    }

    @Override
    public void onComplete() {
        if (!ended.get()) {
            decoder.finish();
        }
        fail("incomplete_stream", "the stream ended without its last event after " + events + " events");
    }

    /** The HTTP client finished the exchange: a failure, an error status, or a 2xx whose body was read above. */
    void responseEnded(HttpResponse<String> answer, Throwable failure) {
        if (failure != null) {
            fail(Failures.kind(failure), Failures.detail(failure));
        } else if (answer.statusCode() / 100 != 2) {
            fail("http_" + answer.statusCode(), Failures.httpBody(answer.body()));
        } else {
            fail("incomplete_stream", "the stream ended without its last event after " + events + " events");
        }
    }

    private void onEvent(String payload) {
        if (ended.get()) {
            return;
        }
        events++;
        if (payload.strip().equals("[DONE]")) {
            if (ended.compareAndSet(false, true)) {
                listener.onDone();
            }
            return;
        }
        ChunkReader.Chunk chunk;
        try {
            chunk = reader.read(payload);
        } catch (ChunkReader.BadChunkException e) {
            failAndClose("bad_chunk", e.getMessage());
            return;
        }
        if (chunk.isError()) {
            failAndClose("stream_error", chunk.error());
            return;
        }
        if (chunk.hasText()) {
            listener.onContent(chunk.text());
        }
        if (chunk.hasUsage()) {
            listener.onUsage(chunk.promptTokens(), chunk.completionTokens());
        }
        if (chunk.last() && ended.compareAndSet(false, true)) {
            listener.onDone();
        }
    }

    /** Ends the request with a failure, unless it has already ended. */
    private void fail(String kind, String detail) {
        if (ended.compareAndSet(false, true)) {
            listener.onError(kind, detail);
        }
    }

    /** A broken stream is not worth reading further: fail, and free the connection. */
    private void failAndClose(String kind, String detail) {
        fail(kind, detail);
        abort();
    }

    /**
     * Closes the exchange. Cancelling the body's subscription makes the HTTP/1.1 client close the
     * connection (an unread body cannot be reused); cancelling the future covers a request whose answer
     * has not started yet.
     */
    private void abort() {
        aborted = true;
        Flow.Subscription s = subscription;
        if (s != null) {
            s.cancel();
        }
        CompletableFuture<?> f = response;
        if (f != null) {
            f.cancel(true);
        }
    }
}
