package dev.switchyard.server.http;

import dev.switchyard.server.accesslog.AccessRecord;
import dev.switchyard.server.accesslog.RequestRecorder;
import dev.switchyard.server.accesslog.RequestIds;
import dev.switchyard.server.batch.BatchLines;
import dev.switchyard.server.serving.ApiKeys;
import dev.switchyard.server.serving.KeyAdmission;
import dev.switchyard.server.serving.KeyLimits;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.FileRegion;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayDeque;

/**
 * Gives every request an id and, with {@code --access-log}, writes a line for it once its answer is
 * out. Next to the codec, so it sees every request as it arrives and every answer, the refusals of
 * the handlers before the API's included. The id is the client's {@code X-Request-Id} where usable
 * (else a new one); it is set on the request for the handlers after this one and sent back on the
 * answer. Answers come in the order of their requests (HTTP/1.1), so each pairs with the oldest
 * request not yet answered (but for a refusal of the latest, which says so); an interim answer
 * ({@code 100 Continue}) is not the end of one. Where keys have limits, a request is admitted by
 * them here ({@link dev.switchyard.server.serving.ApiKeys#admit}): it takes one of its key's requests
 * per minute and a place among its requests at once, the place given back when its answer is out or
 * its connection closes, and its tokens charged to the key's budget then; one that a limit refuses
 * is marked for the API handler to answer 429, and its answer gets {@code retry-after}. Every answer
 * to a key with a per-minute limit carries OpenAI's {@code x-ratelimit-*} headers ({@link RateLimitHeaders}),
 * a whole answer's counting its own tokens. Runs on the connection's event loop, which alone touches its queue.
 */
final class AccessLogHandler extends ChannelDuplexHandler {

    /** Set on a request whose key's requests already fill its bound; the API handler answers it 429. */
    static final String OVER_BOUND = "x-switchyard-key-over-bound";
    /** Set on a request a per-minute limit of its key refuses, to what it is told; the API handler answers it 429. */
    static final String RATE_LIMITED = "x-switchyard-key-rate-limited";
    /**
     * Set on each request to the number this handler gave it on its connection, by which the handlers
     * after it find its record ({@link #recordOf}). They run on an executor of their own, behind this
     * one, so "the latest request read" may already be a later one when they read an earlier one.
     */
    private static final String RECORD_NUMBER = "x-switchyard-record";
    /** The records of a connection's requests not yet ended, by the number each request carries. */
    private static final io.netty.util.AttributeKey<java.util.Map<String, AccessRecord>> RECORDS =
            io.netty.util.AttributeKey.valueOf("switchyard-access-records");
    private static final String TRACEPARENT = "traceparent";
    private static final String TRACESTATE = "tracestate";

    private final RequestRecorder recorder;
    /** Names the key a request presents, and holds the keys' bounds. */
    private final ApiKeyCheck keys;
    /** Requests read and not yet answered, oldest first. */
    private final ArrayDeque<AccessRecord> open = new ArrayDeque<>();
    /** The same, by the number each request carries (read by the handlers after this one). */
    private final java.util.Map<String, AccessRecord> numbered = new java.util.concurrent.ConcurrentHashMap<>();
    /** Requests read on this connection. */
    private long read;
    /** Whether the answer being written is an interim one. */
    private boolean interim;
    /** The request the answer being written is for, where it is not the oldest open one (see {@link AccessNote}). */
    private AccessRecord answering;

    AccessLogHandler(RequestRecorder recorder, ApiKeyCheck keys) {
        this.recorder = recorder;
        this.keys = keys;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        ctx.channel().attr(RECORDS).set(numbered);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest request) {
            String id = RequestIds.accept(request.headers().get(RequestIds.HEADER));
            request.headers().set(RequestIds.HEADER, id);
            String uri = request.uri();
            int query = uri.indexOf('?');
            AccessRecord record = new AccessRecord("http", id, request.method().name(),
                    query < 0 ? uri : uri.substring(0, query), AccessRecord.address(ctx.channel().remoteAddress()),
                    request.headers().get(HttpHeaderNames.USER_AGENT));
            record.traceContext(request.headers().get(TRACEPARENT), request.headers().get(TRACESTATE));
            request.headers().remove(OVER_BOUND); // only this handler says so
            request.headers().remove(RATE_LIMITED);
            String batchOwner = request.headers().get(BatchLines.OWNER_HEADER);
            request.headers().remove(BatchLines.OWNER_HEADER);
            if (keys.enabled()) {
                String caller = keys.caller(request.headers().get(HttpHeaderNames.AUTHORIZATION),
                        request.headers().get("x-api-key"));
                record.caller(caller);
                if (batchOwner != null && ApiKeys.LOOPBACK.equals(caller)) {
                    // only the server's own batches speak for another key; anyone else's mark is dropped
                    record.batchOwner(batchOwner);
                }
                if (caller != null) {
                    admit(request, record, caller);
                }
            }
            open.addLast(record);
            String number = Long.toString(++read);
            request.headers().set(RECORD_NUMBER, number); // replacing whatever a client sent
            numbered.put(number, record);
        }
        ctx.fireChannelRead(msg);
    }

    /** Admits a request of the key named {@code caller}, or marks it for ApiHandler to refuse with 429. */
    private void admit(HttpRequest request, AccessRecord record, String caller) {
        KeyAdmission admission = keys.admit(caller);
        switch (admission) {
            case ADMITTED -> record.holdPlace();
            case CONCURRENCY -> request.headers().set(OVER_BOUND, caller);
            case REQUESTS_PER_MINUTE, TOKENS_PER_MINUTE -> {
                long retry = keys.keys().retryAfterNanos(caller, admission);
                record.rateLimited(admission.outcome(), retry);
                request.headers().set(RATE_LIMITED, keys.keys().refusal(caller, admission, retry));
            }
        }
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (msg instanceof AccessNote note) {
            if (note.forLatest()) {
                answering = open.peekLast();
            }
            AccessRecord to = answering != null ? answering : open.peekFirst();
            if (to != null) {
                note.applyTo(to);
            }
            promise.trySuccess();
            return;
        }
        AccessRecord current = answering != null ? answering : open.peekFirst();
        if (msg instanceof HttpResponse response) {
            interim = response.status().codeClass() == HttpStatusClass.INFORMATIONAL;
            if (current != null && !interim) {
                response.headers().set(RequestIds.HEADER, current.requestId());
                current.status(response.status().code());
                if (current.caller() != null) {
                    rateLimitHeaders(response, current, msg instanceof LastHttpContent);
                }
            }
        }
        if (current != null && !interim) {
            current.sent(bodyBytes(msg));
        }
        if (msg instanceof LastHttpContent) {
            if (!interim && current != null) {
                open.removeFirstOccurrence(current);
                answering = null;
                ended(current);
                if (recorder.on()) {
                    promise = promise.unvoid();
                    promise.addListener(f -> recorder.ended(current,
                            f.isSuccess() ? AccessRecord.ANSWERED : AccessRecord.DISCONNECTED));
                }
            }
            interim = false;
        }
        ctx.write(msg, promise);
    }

    /** Requests still open when the connection closes: their clients left (or the server closed it). */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        for (AccessRecord r : open) {
            ended(r);
            if (recorder.on()) {
                // a generation stops soon after its client leaves: its line waits for what it computed
                r.whenSettled(AccessRecord.LATE_FIGURES, () -> recorder.ended(r, AccessRecord.DISCONNECTED));
            }
        }
        open.clear();
        super.channelInactive(ctx);
    }

    /**
     * The access record of {@code request}, as this handler read it on {@code channel}; null once it
     * has ended, or where it never passed here.
     */
    static AccessRecord recordOf(io.netty.channel.Channel channel, HttpRequest request) {
        java.util.Map<String, AccessRecord> records = channel.attr(RECORDS).get();
        String number = request.headers().get(RECORD_NUMBER);
        return records == null || number == null ? null : records.get(number);
    }

    /**
     * The {@code x-ratelimit-*} headers where the key of {@code r} has a per-minute limit, and
     * {@code retry-after} on its refusal by one. A whole answer ({@code whole}) is its request's end:
     * its tokens are charged first, so that the headers count them.
     */
    private void rateLimitHeaders(HttpResponse response, AccessRecord r, boolean whole) {
        KeyLimits limits = keys.keys().limitsOf(r.caller());
        if (!limits.perMinute()) {
            return;
        }
        if (whole) {
            keys.keys().charge(r.caller(), r.tokensToCharge());
        }
        RateLimitHeaders.set(response.headers(), limits, keys.keys().now());
        if (r.rateLimited() != null && response.status().code() == 429) {
            RateLimitHeaders.retryAfter(response.headers(), r.retryAfterNanos());
        }
    }

    /**
     * A request's answer is out (or its connection closed): its key's place is free again, and its
     * tokens are charged to the key's budget.
     */
    private void ended(AccessRecord r) {
        numbered.values().remove(r);
        if (r.releasePlace()) {
            keys.release(r.caller());
        }
        String caller = r.caller();
        if (caller != null) {
            // now, or once the generation's figures come (a client that left before them)
            r.chargeWhenKnown(tokens -> keys.keys().charge(caller, tokens));
        }
    }

    private static long bodyBytes(Object msg) {
        if (msg instanceof ByteBufHolder holder) {
            return holder.content().readableBytes();
        }
        if (msg instanceof ByteBuf buf) {
            return buf.readableBytes();
        }
        if (msg instanceof FileRegion region) {
            return region.count();
        }
        return 0;
    }
}
