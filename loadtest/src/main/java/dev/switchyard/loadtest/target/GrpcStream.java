package dev.switchyard.loadtest.target;

import dev.switchyard.proto.v1.GenerateResponse;
import io.grpc.Context;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One Generate call in flight: turns its response messages into listener events, and is the call's
 * {@link InFlight} handle.
 *
 * <p>A {@code chunk} with text is content (a chunk whose text is held back, e.g. an incomplete UTF-8
 * sequence, carries none, as chat's role delta carries none over HTTP); {@code complete} gives the usage
 * and ends the request; an {@code error} message or a non-OK status fails it (RESULTS.md names the kinds).
 * Exactly one ending reaches the listener: a compare-and-set on {@link #ended} settles the race between
 * the call's callbacks and a cancel from the load test's timer thread.
 *
 * <p>The call runs in its own cancellable {@link Context}: cancelling that context is thread-safe from any
 * thread (a {@code ClientCall}'s own methods are not), and it resets the HTTP/2 stream, which the server
 * takes as the client leaving and aborts the request.
 */
final class GrpcStream implements StreamObserver<GenerateResponse>, InFlight {

    private final StreamListener listener;
    private final Context.CancellableContext context;
    /** Frees the call's place on its channel; run once, when gRPC closes the call. */
    private final Runnable closed;
    private final AtomicBoolean ended = new AtomicBoolean();

    GrpcStream(StreamListener listener, Context.CancellableContext context, Runnable closed) {
        this.listener = listener;
        this.context = context;
        this.closed = closed;
    }

    @Override
    public void cancel() {
        // Silence first: from here on, nothing more reaches the listener, which has already ended the request.
        ended.set(true);
        context.cancel(null);
    }

    @Override
    public void onNext(GenerateResponse response) {
        if (ended.get()) {
            return;
        }
        switch (response.getResponseCase()) {
            case CHUNK -> {
                String text = response.getChunk().getText();
                if (!text.isEmpty()) {
                    listener.onContent(text);
                }
            }
            case COMPLETE -> {
                if (response.getComplete().hasUsage()) {
                    var usage = response.getComplete().getUsage();
                    listener.onUsage(usage.getPromptTokens(), usage.getCompletionTokens());
                }
                if (ended.compareAndSet(false, true)) {
                    listener.onDone();
                }
            }
            case ERROR -> {
                var error = response.getError();
                failAndCancel("stream_error", (error.getCode().isEmpty() ? "" : error.getCode() + ": ")
                        + Failures.excerpt(error.getMessage()));
            }
            case RESPONSE_NOT_SET -> failAndCancel("bad_chunk", "a response with no chunk, complete or error");
        }
    }

    @Override
    public void onError(Throwable t) {
        try {
            fail(Failures.grpcKind(t), Failures.detail(t));
        } finally {
            ended();
        }
    }

    @Override
    public void onCompleted() {
        try {
            fail("incomplete_stream", "the call ended without a complete message");
        } finally {
            ended();
        }
    }

    /** gRPC closed the call (each call closes once): free its place, and its context, which nothing needs now. */
    private void ended() {
        closed.run();
        context.close();
    }

    /** Ends the request with a failure, unless it has already ended. */
    private void fail(String kind, String detail) {
        if (ended.compareAndSet(false, true)) {
            listener.onError(kind, detail);
        }
    }

    /** A broken stream is not worth reading further: fail, and let the server stop generating. */
    private void failAndCancel(String kind, String detail) {
        fail(kind, detail);
        context.cancel(null);
    }
}
