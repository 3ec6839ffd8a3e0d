package dev.switchyard.server.openai;

import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.server.serving.ChoiceToolCall;
import dev.switchyard.server.serving.Generation;
import dev.switchyard.server.serving.GenerationListener;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.TokenLogprob;
import dev.switchyard.server.serving.Usage;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Responses made apart from their requests ({@code background: true}): the request is answered at
 * once with the response {@code queued}; the reply is collected on the scheduler's thread as a
 * non-streamed one is, and kept in the {@link ResponseStore} when it ends, where
 * {@code GET /v1/responses/{id}} finds it. Until then that answers {@code in_progress}, and
 * {@code POST /v1/responses/{id}/cancel} aborts it (it is kept as {@code cancelled}, with what it
 * wrote). The client may go away meanwhile; the server's request timeout still bounds it.
 */
public final class BackgroundResponses {

    private static final Logger LOG = Logger.getLogger(BackgroundResponses.class.getName());

    /** A response still being made: its generation, and the object it answers with meanwhile. */
    private record Running(Generation generation, String inProgress, String cancelled) {
    }

    private final ConcurrentHashMap<String, Running> running = new ConcurrentHashMap<>();
    /** Responses deleted while being made: stopped, and not kept when they end. */
    private final java.util.Set<String> dropped = ConcurrentHashMap.newKeySet();
    /** Where an ended response is written and kept: off the scheduler's thread. */
    private final Executor finisher;

    public BackgroundResponses() {
        this(ForkJoinPool.commonPool());
    }

    BackgroundResponses(Executor finisher) {
        this.finisher = finisher;
    }

    /**
     * Starts the response {@code renderer} renders (one whose request asked for the background) and
     * returns the object to answer with now, {@code queued}.
     *
     * @throws RuntimeException as {@link ServedModel#generate} does; then nothing runs
     */
    public String start(ServedModel model, ResponseRenderer renderer) {
        ResponsesRenderer response = (ResponsesRenderer) renderer;
        String queued = response.snapshot("queued");
        String inProgress = response.snapshot("in_progress");
        String cancelled = response.snapshot("cancelled");
        Collector collector = new Collector(response);
        // registered before it starts: an id the client holds always answers
        Running placeholder = new Running(null, inProgress, cancelled);
        running.put(response.id(), placeholder);
        try {
            Generation generation = model.generate(renderer.request().spec(), collector);
            running.replace(response.id(), placeholder, new Running(generation, inProgress, cancelled));
        } catch (RuntimeException e) {
            running.remove(response.id());
            throw e;
        }
        return queued;
    }

    /** Whether {@code renderer}'s request asked for a background response. */
    public static boolean wanted(ResponseRenderer renderer) {
        return renderer instanceof ResponsesRenderer r && r.background();
    }

    /** The object a response still being made answers with, or null when none by that id runs. */
    public String inProgress(String id) {
        Running r = running.get(id);
        return r == null ? null : r.inProgress();
    }

    /**
     * Aborts a response still being made and returns it as {@code cancelled}; null when none by that
     * id runs (it ended, or never ran in the background).
     */
    public String cancel(String id) {
        Running r = running.get(id);
        if (r == null) {
            return null;
        }
        if (r.generation() != null) {
            r.generation().cancel(); // the blocks are free at the next step; the end keeps what it wrote
        }
        return r.cancelled();
    }

    /** Stops a response being made and keeps nothing of it (it was deleted). */
    public void drop(String id) {
        dropped.add(id);
        if (cancel(id) == null) {
            dropped.remove(id); // it had ended already
        }
    }

    /** Collects one background reply and keeps it when it ends. */
    private final class Collector implements GenerationListener {

        private final ResponsesRenderer renderer;
        private volatile RuntimeException failure;

        Collector(ResponsesRenderer renderer) {
            this.renderer = renderer;
        }

        @Override
        public void onToken(int index, int token, String reasoning, String text, TokenLogprob logprob) {
            renderer.collect(index, reasoning, text, logprob);
        }

        @Override
        public void onToolCalls(int index, List<ChoiceToolCall> calls) {
            renderer.collectToolCalls(index, calls);
        }

        @Override
        public void onStopSequence(int index, String stop) {
            renderer.stopSequence(index, stop);
        }

        @Override
        public void onChoiceFinished(int index, FinishReason reason, String reasoning, String text) {
            renderer.collectFinish(index, reasoning, text, reason);
        }

        @Override
        public void onChoiceFailed(int index, RuntimeException error) {
            LOG.log(Level.WARNING, "a background response failed", error);
            failure = error;
        }

        @Override
        public void onComplete(Usage usage) {
            finisher.execute(() -> {
                try {
                    if (dropped.remove(renderer.id())) {
                        return;
                    }
                    if (failure != null) {
                        renderer.keepFailed("generation failed: " + failure.getMessage());
                    } else {
                        renderer.keepEnded(usage);
                    }
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "a background response could not be kept", e);
                } finally {
                    running.remove(renderer.id());
                }
            });
        }
    }
}
