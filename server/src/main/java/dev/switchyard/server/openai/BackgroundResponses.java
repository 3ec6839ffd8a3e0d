package dev.switchyard.server.openai;

import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.server.serving.ChoiceToolCall;
import dev.switchyard.server.serving.Generation;
import dev.switchyard.server.serving.GenerationListener;
import dev.switchyard.server.serving.KeyOwnership;
import dev.switchyard.server.serving.KeyScope;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.TokenLogprob;
import dev.switchyard.server.serving.Usage;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.google.common.util.concurrent.MoreExecutors;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Responses made apart from their requests ({@code background: true}): the request is answered at
 * once with the response {@code queued}; the reply is collected on the scheduler's thread as a
 * non-streamed one is, and kept in the {@link ResponseStore} when it ends, where
 * {@code GET /v1/responses/{id}} finds it. Until then that answers {@code in_progress}, and
 * {@code POST /v1/responses/{id}/cancel} aborts it (it is kept as {@code cancelled}, with what it
 * wrote). The client may go away meanwhile; the server's request timeout still bounds it.
 *
 * <p>With {@code stream: true} as well, the reply's events go to an {@link EventLog} as they are
 * made (on the scheduler's thread: each is one small JSON write); the request follows it, and any
 * reader may follow it from any event ({@code starting_after}), while it runs and, up to
 * {@code maxLogBytes} of logs, after it ended. A reader that goes away stops nothing.
 */
public final class BackgroundResponses {

    private static final Logger LOG = Logger.getLogger(BackgroundResponses.class.getName());

    /** A response still being made: its generation, the object it answers with meanwhile, its events if streamed. */
    private record Running(Generation generation, String inProgress, String cancelled, EventLog log, String owner) {
    }

    private final ConcurrentHashMap<String, Running> running = new ConcurrentHashMap<>();
    /** Event logs of streamed background responses that ended, for readers who come back; null when none are kept. */
    private final Cache<String, EventLog> endedLogs;
    /** Responses deleted while being made: stopped, and not kept when they end. */
    private final java.util.Set<String> dropped = ConcurrentHashMap.newKeySet();
    /** Where an ended response is written and kept: off the scheduler's thread. */
    private final Executor finisher;

    /** Keeps up to {@link ResponseStore#DEFAULT_BYTES} of ended event logs. */
    public BackgroundResponses() {
        this(ResponseStore.DEFAULT_BYTES);
    }

    /** Keeps up to {@code maxLogBytes} of ended responses' event logs (the least used go first); 0 keeps none. */
    public BackgroundResponses(long maxLogBytes) {
        this(ForkJoinPool.commonPool(), maxLogBytes);
    }

    BackgroundResponses(Executor finisher, long maxLogBytes) {
        this.finisher = finisher;
        this.endedLogs = maxLogBytes <= 0 ? null : Caffeine.newBuilder().maximumWeight(maxLogBytes)
                .<String, EventLog>weigher((id, log) -> log.weight()).executor(Runnable::run).build();
    }

    /**
     * Starts the response {@code renderer} renders (one whose request asked for the background) and
     * returns the object to answer with now, {@code queued}.
     *
     * @throws RuntimeException as {@link ServedModel#generate} does; then nothing runs
     */
    public String start(ServedModel model, ResponseRenderer renderer) {
        return start(model, renderer, KeyScope.NONE, usage -> { });
    }

    /**
     * As above, as its key runs it ({@code scope}: its prompt's cached blocks and its priority), and
     * told its usage when it ends ({@code onUsage}, on the scheduler's thread: quick), long after its
     * request was answered.
     */
    public String start(ServedModel model, ResponseRenderer renderer, KeyScope scope,
                        Consumer<Usage> onUsage) {
        ResponsesRenderer response = (ResponsesRenderer) renderer;
        String queued = response.snapshot("queued");
        begin(model, response, null, scope, onUsage);
        return queued;
    }

    /**
     * Starts a streamed background response (its request asked for both) and returns its event log,
     * which the request then follows from its start.
     *
     * @throws RuntimeException as {@link ServedModel#generate} does; then nothing runs
     */
    public EventLog startStreamed(ServedModel model, ResponseRenderer renderer, com.fasterxml.jackson.core.JsonFactory json) {
        return startStreamed(model, renderer, json, KeyScope.NONE, usage -> { });
    }

    /** As above, as its key runs it ({@code scope}), and told its usage when it ends. */
    public EventLog startStreamed(ServedModel model, ResponseRenderer renderer, com.fasterxml.jackson.core.JsonFactory json,
                                  KeyScope scope, Consumer<Usage> onUsage) {
        EventLog log = new EventLog(json);
        begin(model, (ResponsesRenderer) renderer, log, scope, onUsage);
        return log;
    }

    private void begin(ServedModel model, ResponsesRenderer response, EventLog log, KeyScope scope,
                       Consumer<Usage> onUsage) {
        String inProgress = response.snapshot("in_progress");
        String cancelled = response.snapshot("cancelled");
        Collector collector = new Collector(response, log, onUsage);
        // registered before it starts: an id the client holds always answers
        Running placeholder = new Running(null, inProgress, cancelled, log, response.owner());
        running.put(response.id(), placeholder);
        if (log != null) {
            response.openStream(log);
        }
        try {
            Generation generation = model.generate(scope.applyTo(response.request().spec()), collector);
            running.replace(response.id(), placeholder, new Running(generation, inProgress, cancelled, log,
                    response.owner()));
        } catch (RuntimeException e) {
            running.remove(response.id());
            throw e;
        }
    }

    /** Whether {@code renderer}'s request asked for a streamed background response. */
    public static boolean streamed(ResponseRenderer renderer) {
        return wanted(renderer) && renderer.request().stream();
    }

    /**
     * The event log of a streamed background response, running or ended (while logs are kept); null
     * when there is none by that id.
     */
    public EventLog events(String id) {
        Running r = running.get(id);
        if (r != null && r.log() != null) {
            return r.log();
        }
        return endedLogs == null ? null : endedLogs.getIfPresent(id);
    }

    /** Whether {@code renderer}'s request asked for a background response. */
    public static boolean wanted(ResponseRenderer renderer) {
        return renderer instanceof ResponsesRenderer r && r.background();
    }

    /**
     * Whether the client of the key named {@code caller} may reach the response {@code id} being
     * made: true where none by that id runs, or it is the caller's, or either side has no key.
     */
    public boolean visibleTo(String id, String caller) {
        Running r = running.get(id);
        return r == null || KeyOwnership.visible(r.owner(), caller);
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

    /** Stops a response being made and keeps nothing of it (it was deleted), its events included. */
    public void drop(String id) {
        dropped.add(id);
        if (cancel(id) == null) {
            dropped.remove(id); // it had ended already
        }
        if (endedLogs != null) {
            endedLogs.invalidate(id);
        }
    }

    /**
     * Collects (or, with a log, streams) one background reply and keeps it when it ends. A streamed
     * reply's events are rendered on the finisher, in order (a sequential executor of its own), so
     * the scheduler's thread, which every sequence's step waits on, never writes JSON for them.
     */
    private final class Collector implements GenerationListener {

        private final ResponsesRenderer renderer;
        /** Null unless the response is streamed. */
        private final EventLog log;
        /** Where this response's events are rendered, one after another, and it is kept at the end. */
        private final Executor events = MoreExecutors.newSequentialExecutor(finisher);
        private volatile RuntimeException failure;
        private final Consumer<Usage> onUsage;

        Collector(ResponsesRenderer renderer, EventLog log, Consumer<Usage> onUsage) {
            this.renderer = renderer;
            this.log = log;
            this.onUsage = onUsage;
        }

        @Override
        public void onToken(int index, int token, String reasoning, String text, TokenLogprob logprob) {
            if (log == null) {
                renderer.collect(index, reasoning, text, logprob);
            } else {
                events.execute(() -> renderer.streamToken(log, index, reasoning, text, logprob));
            }
        }

        @Override
        public void onToolCalls(int index, List<ChoiceToolCall> calls) {
            if (log == null) {
                renderer.collectToolCalls(index, calls);
            } else {
                events.execute(() -> renderer.streamToolCalls(log, index, calls));
            }
        }

        @Override
        public void onStopSequence(int index, String stop) {
            if (log == null) {
                renderer.stopSequence(index, stop);
            } else {
                events.execute(() -> renderer.stopSequence(index, stop));
            }
        }

        @Override
        public void onChoiceFinished(int index, FinishReason reason, String reasoning, String text) {
            if (log == null) {
                renderer.collectFinish(index, reasoning, text, reason);
            } else {
                events.execute(() -> renderer.streamFinish(log, index, reasoning, text, reason));
            }
        }

        @Override
        public void onChoiceFailed(int index, RuntimeException error) {
            LOG.log(Level.WARNING, "a background response failed", error);
            failure = error;
        }

        @Override
        public void onComplete(Usage usage) {
            try {
                onUsage.accept(usage);
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, "a background response's usage could not be counted", e);
            }
            events.execute(() -> { // after every event of the response
                boolean deleted = dropped.remove(renderer.id());
                try {
                    if (deleted) {
                        return;
                    }
                    if (failure != null) {
                        String message = "generation failed: " + failure.getMessage();
                        renderer.keepFailed(message);
                        if (log != null) {
                            renderer.streamFailure(log, ApiError.internal(message));
                        }
                    } else if (log != null) {
                        renderer.closeStream(log, usage, false); // keeps it, then its last event
                    } else {
                        renderer.keepEnded(usage);
                    }
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "a background response could not be kept", e);
                } finally {
                    if (log != null) {
                        log.end();
                        if (endedLogs != null && !deleted) {
                            endedLogs.put(renderer.id(), log);
                        }
                    }
                    running.remove(renderer.id());
                }
            });
        }
    }
}
