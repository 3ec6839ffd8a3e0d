package dev.switchyard.server.accesslog;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * What the access log says of one request, gathered while it runs: who asked for what (set when it
 * arrives), what it was answered (status, bytes), and for a generation its model, token counts,
 * time to first token and finish. It is written once, as one JSON line, when its answer has been
 * sent or its client has gone. The prompt and the output are never in it.
 *
 * <p>Each record is filled on one thread at a time (the connection's event loop, or the gRPC call's
 * serialized callbacks); the generation's figures reach it with the answer ({@link #generated}).
 */
public final class AccessRecord {

    /** How a request ended: its answer was sent whole. */
    public static final String ANSWERED = "answered";
    /** How a request ended: the connection closed (the client left, or the server closed it) before its answer was out. */
    public static final String DISCONNECTED = "disconnected";
    /**
     * How long the line of a request whose client left mid-generation waits for the generation's
     * figures (it stops at its next step): long enough for a step of a loaded server, short enough
     * that a line is never lost.
     */
    public static final java.time.Duration LATE_FIGURES = java.time.Duration.ofSeconds(30);

    private static final JsonFactory JSON = new JsonFactory();
    private static final double MILLIS = 1e6;

    private final String protocol;
    private volatile String requestId;
    private final long startNanos;
    private final Instant start;
    private final String method;
    private final String path;
    private final String remote;
    private final String userAgent;

    /** The W3C trace context the request came with ({@code traceparent}, {@code tracestate}); null without. */
    private String traceParent;
    private String traceState;
    /** The name of the API key it presented; null without keys, or for none of them. */
    private String caller;
    /** When it ended (nanoTime); 0 until then. */
    private long endNanos;
    private Integer status;
    private String grpcStatus;
    private long bytesOut;
    private volatile Generated generated;
    private String errorType;
    private String errorCode;
    private String errorParam;

    /**
     * A generation's figures: its model, whether streamed, its tokens, when the model first took it
     * into its running batch and when its first token came (nanoTime; 0 for never), how choice 0 ended.
     */
    public record Generated(String model, boolean stream, int promptTokens, int completionTokens, int cachedTokens,
                            long admittedNanos, long firstTokenNanos, String finishReason, int choices) {
    }

    /**
     * A request that has just arrived.
     *
     * @param protocol  {@code http} or {@code grpc}
     * @param method    the HTTP method, or the gRPC method's full name
     * @param path      the HTTP path without its query, or null over gRPC
     * @param remote    the client's address, {@code host:port}
     * @param userAgent the client's {@code User-Agent}, or null
     */
    public AccessRecord(String protocol, String requestId, String method, String path, String remote, String userAgent) {
        this.protocol = protocol;
        this.requestId = requestId;
        this.startNanos = System.nanoTime();
        this.start = Instant.now();
        this.method = method;
        this.path = path;
        this.remote = remote;
        this.userAgent = userAgent;
    }

    public String requestId() {
        return requestId;
    }

    /** Names it by the id its request message gave (gRPC's {@code request_id}), which its answers carry. */
    public void identify(String id) {
        requestId = id;
    }

    /** The W3C trace context it came with: its spans join that trace. */
    public void traceContext(String parent, String state) {
        traceParent = parent;
        traceState = state;
    }

    /** Whether it holds a place among its key's requests in flight (see {@code ApiKeys#tryAcquire}). */
    private boolean holdsPlace;

    /** It holds a place among its key's requests in flight, to give back once it has ended. */
    public void holdPlace() {
        holdsPlace = true;
    }

    /** Whether it held a place (which it gives back now: true once at most). */
    public boolean releasePlace() {
        boolean held = holdsPlace;
        holdsPlace = false;
        return held;
    }

    /** The outcome its key counts it as where a per-minute limit refused it ({@code rate_limited_requests}...); null. */
    private String rateLimited;
    /** When it may be sent again, where a per-minute limit refused it (nanoseconds from its refusal). */
    private long retryAfterNanos;
    /** Whether its tokens have been charged to its key's budget. */
    private boolean charged;
    /** What waits for its generation's figures, where it ended before they came (see {@link #whenGenerated}). */
    private List<Consumer<Generated>> waiting;

    /** A per-minute limit of its key refused it: it counts as {@code outcome}, and may be sent again in {@code retryAfterNanos}. */
    public void rateLimited(String outcome, long retryAfterNanos) {
        this.rateLimited = outcome;
        this.retryAfterNanos = retryAfterNanos;
    }

    /** The outcome its key counts it as where a per-minute limit refused it; null where none did. */
    public String rateLimited() {
        return rateLimited;
    }

    /** Nanoseconds until it may be sent again, where a per-minute limit refused it. */
    public long retryAfterNanos() {
        return retryAfterNanos;
    }

    /**
     * Its generation's prompt and completion tokens, to charge to its key's budget: the first time
     * they are asked for once known, 0 after (and 0 for a request that generated nothing).
     */
    public synchronized long tokensToCharge() {
        if (charged || generated == null) {
            return 0;
        }
        charged = true;
        return (long) generated.promptTokens() + generated.completionTokens();
    }

    /**
     * Charges its tokens to {@code charge} now where they are known and not yet charged, else as soon
     * as they are ({@link #generated}): a request whose client left mid-generation, or that generates
     * after its answer (a background response), is still charged for what it computed.
     */
    public void chargeWhenKnown(LongConsumer charge) {
        whenGenerated(figures -> {
            long tokens = tokensToCharge();
            if (tokens > 0) {
                charge.accept(tokens);
            }
        });
    }

    /**
     * Gives its generation's figures to {@code use}: now where they are known, else when they come
     * ({@link #generated}; on the thread that brings them), which for a request that generates nothing
     * is never.
     */
    public void whenGenerated(Consumer<Generated> use) {
        Generated known;
        synchronized (this) {
            known = generated;
            if (known == null) {
                if (waiting == null) {
                    waiting = new ArrayList<>(2);
                }
                waiting.add(use);
                return;
            }
        }
        use.accept(known);
    }

    /** Whether it started a generation, whose figures then come when the generation ends. */
    private volatile boolean generating;

    /** Notes that it started a generation: a client that leaves before its end is logged with its figures. */
    public void generating() {
        generating = true;
    }

    /**
     * Runs {@code end} once: now, where it started no generation or its generation's figures are
     * known; else when they come (the generation stops soon after its client left), or after
     * {@code atMost} should they never come, so that a request is always recorded.
     */
    public void whenSettled(java.time.Duration atMost, Runnable end) {
        if (!generating || generated != null) {
            end.run();
            return;
        }
        java.util.concurrent.atomic.AtomicBoolean once = new java.util.concurrent.atomic.AtomicBoolean();
        Runnable endOnce = () -> {
            if (once.compareAndSet(false, true)) {
                end.run();
            }
        };
        whenGenerated(figures -> endOnce.run());
        java.util.concurrent.CompletableFuture.delayedExecutor(atMost.toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS).execute(endOnce);
    }

    /** The name of the API key it presented (never the key). */
    public void caller(String keyName) {
        caller = keyName;
    }

    public String caller() {
        return caller;
    }

    /** A batch's request, sent by the server under its own key: the name of the key that made the batch. */
    private volatile String batchOwner;
    /** The priority its generation was scheduled at, where the server schedules by priority; null otherwise. */
    private volatile Integer priority;

    /** Notes the priority its generation was scheduled at (the server schedules by priority). */
    public void priority(int scheduledAt) {
        priority = scheduledAt;
    }

    /** The priority its generation was scheduled at; null where none was noted. */
    public Integer priority() {
        return priority;
    }

    public void batchOwner(String keyName) {
        batchOwner = keyName;
    }

    public String batchOwner() {
        return batchOwner;
    }

    /** The key its usage counts for: the batch's owner for a batch's request, else the key it presented. */
    public String usageKey() {
        return batchOwner != null ? batchOwner : caller;
    }

    /** It ended now, if it had not already: every recorder sees the same end. */
    public void end() {
        if (endNanos == 0) {
            endNanos = System.nanoTime();
        }
    }

    public String protocol() {
        return protocol;
    }

    public String method() {
        return method;
    }

    /** The HTTP path; null over gRPC. */
    public String path() {
        return path;
    }

    public String remote() {
        return remote;
    }

    public String userAgent() {
        return userAgent;
    }

    public String traceParent() {
        return traceParent;
    }

    public String traceState() {
        return traceState;
    }

    /** The HTTP status; null over gRPC (or before an answer started). */
    public Integer status() {
        return status;
    }

    public String grpcStatus() {
        return grpcStatus;
    }

    public long bodyBytes() {
        return bytesOut;
    }

    /** A generation's figures; null for any other request. */
    public Generated generated() {
        return generated;
    }

    public String errorType() {
        return errorType;
    }

    public String errorCode() {
        return errorCode;
    }

    /** When it arrived, in nanoseconds since the epoch. */
    public long startEpochNanos() {
        return start.getEpochSecond() * 1_000_000_000L + start.getNano();
    }

    /** When it ended (see {@link #end}), in nanoseconds since the epoch. */
    public long endEpochNanos() {
        end();
        return startEpochNanos() + (endNanos - startNanos);
    }

    /** When the model first took it into its running batch, in nanoseconds since the epoch; 0 for never. */
    public long admittedEpochNanos() {
        return generated == null || generated.admittedNanos() == 0 ? 0
                : startEpochNanos() + (generated.admittedNanos() - startNanos);
    }

    /** When its first token came, in nanoseconds since the epoch; 0 for none. */
    public long firstTokenEpochNanos() {
        return generated == null || generated.firstTokenNanos() == 0 ? 0
                : startEpochNanos() + (generated.firstTokenNanos() - startNanos);
    }

    /** The HTTP status it was answered with (the first, where an error replaced a started answer). */
    public void status(int code) {
        if (status == null) {
            status = code;
        }
    }

    public void grpcStatus(String code) {
        grpcStatus = code;
    }

    public void sent(long bytes) {
        bytesOut += bytes;
    }

    public void generated(Generated figures) {
        List<Consumer<Generated>> late;
        synchronized (this) {
            generated = figures;
            late = waiting;
            waiting = null;
        }
        if (late != null) {
            late.forEach(use -> use.accept(figures));
        }
    }

    /** The API error it was answered with. */
    public void error(String type, String code, String param) {
        errorType = type;
        errorCode = code;
        errorParam = param;
    }

    /**
     * Its line, as it ends now; {@code outcome} says how ({@link #ANSWERED} or {@link #DISCONNECTED}).
     */
    public String line(String outcome) {
        end();
        long end = endNanos;
        StringWriter out = new StringWriter(320);
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("time", start.truncatedTo(java.time.temporal.ChronoUnit.MILLIS).toString());
            g.writeStringField("request_id", requestId);
            g.writeStringField("protocol", protocol);
            g.writeStringField("remote", remote);
            g.writeStringField("method", method);
            field(g, "path", path);
            if (status != null) {
                g.writeNumberField("status", status);
            }
            field(g, "grpc_status", grpcStatus);
            g.writeStringField("outcome", outcome);
            g.writeNumberField("duration_ms", round((end - startNanos) / MILLIS));
            g.writeNumberField("body_bytes", bytesOut);
            field(g, "user_agent", userAgent);
            field(g, "api_key", caller);
            field(g, "batch_owner", batchOwner);
            if (priority != null) {
                g.writeNumberField("priority", priority);
            }
            if (generated != null) {
                g.writeStringField("model", generated.model());
                g.writeBooleanField("stream", generated.stream());
                g.writeNumberField("prompt_tokens", generated.promptTokens());
                g.writeNumberField("completion_tokens", generated.completionTokens());
                g.writeNumberField("cached_tokens", generated.cachedTokens());
                if (generated.admittedNanos() != 0) {
                    g.writeNumberField("queue_ms", round((generated.admittedNanos() - startNanos) / MILLIS));
                }
                if (generated.firstTokenNanos() != 0) {
                    g.writeNumberField("ttft_ms", round((generated.firstTokenNanos() - startNanos) / MILLIS));
                }
                field(g, "finish_reason", generated.finishReason());
                if (generated.choices() > 1) {
                    g.writeNumberField("choices", generated.choices());
                }
            }
            field(g, "error_type", errorType);
            field(g, "error_code", errorCode);
            field(g, "error_param", errorParam);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return out.toString();
    }

    private static void field(JsonGenerator g, String name, String value) throws IOException {
        if (value != null) {
            g.writeStringField(name, value);
        }
    }

    /** A client's address as the log shows it: {@code host:port}, an IPv6 host in brackets. */
    public static String address(java.net.SocketAddress address) {
        if (address instanceof java.net.InetSocketAddress inet) {
            String host = inet.getHostString();
            return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + inet.getPort();
        }
        return String.valueOf(address);
    }

    /** Milliseconds to the tenth: enough for a log, and short. */
    private static double round(double millis) {
        return Math.round(millis * 10) / 10.0;
    }
}
