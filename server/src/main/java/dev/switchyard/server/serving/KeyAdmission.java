package dev.switchyard.server.serving;

/**
 * What {@link ApiKeys#admit} says of a request of a key: let in, or refused by one of the key's
 * limits in {@code --api-key-file}, checked in this order (the first to refuse takes nothing from the
 * others): its token budget ({@code tokens_per_minute}: refused while in debt), its request allowance
 * ({@code requests_per_minute}: one taken), its bound on requests at once ({@code concurrency}: a place taken).
 */
public enum KeyAdmission {

    ADMITTED(null, null),
    /** Over {@code tokens_per_minute}: the budget is in debt. */
    TOKENS_PER_MINUTE("tokens per minute", "rate_limited_tokens"),
    /** Over {@code requests_per_minute}: none left this minute. */
    REQUESTS_PER_MINUTE("requests per minute", "rate_limited_requests"),
    /** Over {@code concurrency}: as many of its requests run as it may (counted as {@code client_error}, as before). */
    CONCURRENCY("requests at once", null);

    private final String limit;
    private final String outcome;

    KeyAdmission(String limit, String outcome) {
        this.limit = limit;
        this.outcome = outcome;
    }

    /** The limit that refused, in words ("requests per minute"); null when admitted. */
    public String limit() {
        return limit;
    }

    /**
     * The {@code outcome} a refusal by a rate limit counts as in {@code switchyard_api_key_requests_total}
     * ({@code rate_limited_requests}, {@code rate_limited_tokens}); null for the others.
     */
    public String outcome() {
        return outcome;
    }

    /** Whether a per-minute allowance refused it: the answer says when to retry. */
    public boolean rateLimited() {
        return this == TOKENS_PER_MINUTE || this == REQUESTS_PER_MINUTE;
    }
}
