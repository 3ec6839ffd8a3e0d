package dev.switchyard.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.server.accesslog.AccessRecord;
import dev.switchyard.server.accesslog.GenerationTimes;
import dev.switchyard.server.openai.ApiError;
import dev.switchyard.server.openai.EventStream;
import dev.switchyard.server.openai.ResponseRenderer;
import dev.switchyard.server.serving.ChoiceToolCall;
import dev.switchyard.server.serving.Generation;
import dev.switchyard.server.serving.GenerationListener;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.TokenLogprob;
import dev.switchyard.server.serving.Usage;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.EventExecutor;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * One generation request on one connection, from submission to the last byte. Events arrive on the
 * scheduler's thread; streamed ones are handed to this channel's API executor (so the scheduler
 * never waits on JSON or sockets), where the renderer turns each into one or more small
 * server-sent events. Without streaming, the text is collected on the scheduler's thread (a string
 * append per token) and the response is written from the executor when the last choice ends.
 */
final class GenerationExchange implements GenerationListener, EventStream, OpenRequest {

    private static final Logger LOG = Logger.getLogger(GenerationExchange.class.getName());
    private static final byte[] DONE = "data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII);

    private final ChannelHandlerContext ctx;
    private final EventExecutor executor;
    private final JsonFactory json;
    private final ResponseRenderer renderer;
    private final boolean stream;
    private final Runnable onEnd;
    /** The access log's record of this request ({@link AccessLogHandler#recordOf}); null where there is none. */
    private final AccessRecord record;
    private Generation generation;
    /** Set on the scheduler's thread when a choice fails; read after onComplete (ordered by the executor's queue). */
    private volatile RuntimeException failure;
    private boolean ended;
    /** For the access log: the model, and the generation's times as they pass. */
    private String model;
    private final GenerationTimes times = new GenerationTimes();

    GenerationExchange(ChannelHandlerContext ctx, AccessRecord record, JsonFactory json, ResponseRenderer renderer,
                       Runnable onEnd) {
        this.ctx = ctx;
        this.executor = ctx.executor();
        this.json = json;
        this.renderer = renderer;
        this.stream = renderer.request().stream();
        this.onEnd = onEnd;
        this.record = record;
    }

    /**
     * Submits the request and, when streaming, sends the response head; called on the executor.
     *
     * @param scope what the request's key changes about its generation
     * @throws RuntimeException as {@link ServedModel#generate} does; then nothing was sent
     */
    void start(ServedModel model, dev.switchyard.server.serving.KeyScope scope) {
        this.model = model.name();
        generation = model.generate(scope.applyTo(renderer.request().spec()), this);
        if (record != null) {
            record.generating();
        }
        if (stream) {
            HttpResponses.writeEventStreamHead(ctx);
            renderer.openStream(this);
            ctx.flush();
        }
    }

    /** The client went away: stop generating (frees the KV blocks at the next step). */
    @Override
    public boolean clientLeft() {
        if (generation != null) {
            generation.cancel();
        }
        return true;
    }

    @Override
    public boolean isEnded() {
        return ended;
    }

    @Override
    public void onAdmitted(int index) {
        times.admitted();
    }

    @Override
    public void onToken(int index, int token, String reasoning, String text, TokenLogprob logprob) {
        times.token();
        if (!stream) {
            renderer.collect(index, reasoning, text, logprob);
        } else if (!text.isEmpty() || !reasoning.isEmpty() || logprob != null) {
            executor.execute(() -> renderer.streamToken(this, index, reasoning, text, logprob));
        }
    }

    @Override
    public void onPromptLogprobs(int index, List<TokenLogprob> prompt) {
        if (!stream) {
            renderer.promptLogprobs(index, prompt);
        } else {
            executor.execute(() -> renderer.promptLogprobs(index, prompt));
        }
    }

    @Override
    public void onEmbedding(int index, float[] embedding) {
        renderer.collectEmbedding(index, embedding); // embeddings are never streamed
    }

    @Override
    public void onToolCalls(int index, List<ChoiceToolCall> calls) {
        if (!stream) {
            renderer.collectToolCalls(index, calls);
        } else {
            executor.execute(() -> renderer.streamToolCalls(this, index, calls));
        }
    }

    @Override
    public void onStopSequence(int index, String stop) {
        if (!stream) {
            renderer.stopSequence(index, stop);
        } else {
            executor.execute(() -> renderer.stopSequence(index, stop));
        }
    }

    @Override
    public void onChoiceFinished(int index, FinishReason reason, String reasoning, String text) {
        times.finished(index, reason);
        if (!stream) {
            renderer.collectFinish(index, reasoning, text, reason);
        } else {
            executor.execute(() -> renderer.streamFinish(this, index, reasoning, text, reason));
        }
    }

    @Override
    public void onChoiceFailed(int index, RuntimeException error) {
        LOG.log(Level.WARNING, "a choice failed", error);
        if (failure == null) {
            failure = error;
            ApiError e = ApiError.internal("generation failed: " + error.getMessage());
            executor.execute(() -> {
                generation.cancel(); // the response is an error: the other choices need not finish
                if (stream) {
                    renderer.streamFailure(this, e);
                }
            });
        }
    }

    @Override
    public void onComplete(Usage usage) {
        executor.execute(() -> finish(usage));
    }

    private void finish(Usage usage) {
        try {
            var figures = times.figures(model, stream, usage);
            if (!ctx.channel().isActive() && record != null) {
                // the client left: nothing written now reaches the access log's handler, so the
                // record (already ended) takes the figures itself, and its key is charged for them
                record.generated(figures);
            }
            ctx.write(AccessNote.of(figures), ctx.voidPromise());
            if (stream && failure != null) {
                ctx.write(AccessNote.of(ApiError.internal("generation failed")), ctx.voidPromise());
            }
            if (stream) {
                renderer.closeStream(this, usage, failure != null);
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, ctx.voidPromise());
            } else if (failure != null) {
                sendError(ApiError.internal("generation failed: " + failure.getMessage()));
            } else {
                ApiError instead = renderer.endedAsError();
                if (instead != null) {
                    sendError(instead);
                } else {
                    HttpResponses.sendJson(ctx, json, HttpResponseStatus.OK, g -> renderer.writeResponse(g, usage), false);
                }
            }
        } finally {
            ended = true;
            onEnd.run();
        }
    }

    private void sendError(ApiError error) {
        ctx.write(AccessNote.of(error), ctx.voidPromise());
        HttpResponses.sendJson(ctx, json, HttpResponseStatus.valueOf(error.status()), g -> renderer.writeError(g, error),
                false);
    }

    /** One event; a void promise, since nobody waits on it (a closed channel just drops it). */
    @Override
    public void send(String name, EventStream.JsonBody body) {
        ctx.writeAndFlush(new DefaultHttpContent(HttpResponses.json(ctx.alloc(), json, HttpResponses.eventPrefix(name),
                body::write, HttpResponses.EVENT_END)), ctx.voidPromise());
    }

    @Override
    public void sendDone() {
        ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(DONE)), ctx.voidPromise());
    }
}
