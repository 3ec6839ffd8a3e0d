package dev.switchyard.server.http;

import dev.switchyard.server.serving.KeyLimits;
import dev.switchyard.server.serving.RateBucket;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AsciiString;

/**
 * OpenAI's rate-limit headers, on every answer to a key with a per-minute limit: for each limit it
 * has, {@code x-ratelimit-limit-*} (N), {@code x-ratelimit-remaining-*} (whole ones left now, 0 in
 * debt) and {@code x-ratelimit-reset-*} (until the bucket is full again, as {@code 1s}, {@code 6m0s},
 * {@code 120ms}), {@code -requests} and {@code -tokens}; and on a refusal by one of them
 * {@code retry-after} (whole seconds) and {@code retry-after-ms}, which OpenAI's SDKs wait by.
 */
final class RateLimitHeaders {

    private static final AsciiString LIMIT_REQUESTS = AsciiString.cached("x-ratelimit-limit-requests");
    private static final AsciiString REMAINING_REQUESTS = AsciiString.cached("x-ratelimit-remaining-requests");
    private static final AsciiString RESET_REQUESTS = AsciiString.cached("x-ratelimit-reset-requests");
    private static final AsciiString LIMIT_TOKENS = AsciiString.cached("x-ratelimit-limit-tokens");
    private static final AsciiString REMAINING_TOKENS = AsciiString.cached("x-ratelimit-remaining-tokens");
    private static final AsciiString RESET_TOKENS = AsciiString.cached("x-ratelimit-reset-tokens");
    static final AsciiString RETRY_AFTER = AsciiString.cached("retry-after");
    static final AsciiString RETRY_AFTER_MS = AsciiString.cached("retry-after-ms");

    /** What a browser page may read of an answer from another origin: these, and the request's id. */
    static final String[] EXPOSED = {"x-request-id", LIMIT_REQUESTS.toString(), REMAINING_REQUESTS.toString(),
            RESET_REQUESTS.toString(), LIMIT_TOKENS.toString(), REMAINING_TOKENS.toString(), RESET_TOKENS.toString(),
            RETRY_AFTER.toString(), RETRY_AFTER_MS.toString()};

    private RateLimitHeaders() {
    }

    /** The {@code x-ratelimit-*} headers of the limits {@code limits} has, as its buckets are at {@code now}. */
    static void set(HttpHeaders headers, KeyLimits limits, long now) {
        RateBucket requests = limits.requests();
        if (requests != null) {
            set(headers, requests, now, LIMIT_REQUESTS, REMAINING_REQUESTS, RESET_REQUESTS);
        }
        RateBucket tokens = limits.tokens();
        if (tokens != null) {
            set(headers, tokens, now, LIMIT_TOKENS, REMAINING_TOKENS, RESET_TOKENS);
        }
    }

    private static void set(HttpHeaders headers, RateBucket bucket, long now, AsciiString limit, AsciiString remaining,
                            AsciiString reset) {
        headers.setInt(limit, bucket.perMinute());
        headers.setInt(remaining, (int) bucket.remaining(now)); // at most MAX_PER_MINUTE
        headers.set(reset, RateBucket.resetFormat(bucket.nanosUntilFull(now)));
    }

    /** {@code retry-after} and {@code retry-after-ms} for a wait of {@code nanos}. */
    static void retryAfter(HttpHeaders headers, long nanos) {
        headers.set(RETRY_AFTER, Long.toString(RateBucket.retryAfterSeconds(nanos)));
        headers.set(RETRY_AFTER_MS, Long.toString(RateBucket.retryAfterMillis(nanos)));
    }
}
