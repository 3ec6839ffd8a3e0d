package dev.switchyard.server.accesslog;

import dev.switchyard.server.serving.ServingMetrics;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Counts each ended request under the name of the API key it presented, in the served model's
 * metrics ({@code switchyard_api_key_requests_total} by outcome, and the prompt and generated tokens
 * of its generation): what each client of a shared server asked for and used, for quotas and
 * chargeback. On where the server has keys; a request that presented none of them is not counted
 * (the refusals are the access log's to show).
 */
public final class KeyUsage implements RequestRecorder {

    /** gRPC codes that are the caller's doing, as HTTP's 4xx are. */
    private static final Set<String> CALLER_CODES = Set.of("CANCELLED", "INVALID_ARGUMENT", "NOT_FOUND", "ALREADY_EXISTS",
            "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "OUT_OF_RANGE", "UNAUTHENTICATED");

    private final boolean on;
    private final Supplier<ServingMetrics> metrics;

    /** @param metrics the served model's metrics; null while it loads */
    public KeyUsage(boolean keysSet, Supplier<ServingMetrics> metrics) {
        this.on = keysSet;
        this.metrics = metrics;
    }

    @Override
    public boolean on() {
        return on;
    }

    @Override
    public void ended(AccessRecord record, String outcome) {
        ServingMetrics m = metrics.get();
        String caller = record.usageKey(); // a batch's requests count for the key that made the batch
        if (caller == null || m == null) {
            return;
        }
        m.keyUsed(caller, outcome(record, outcome), 0, 0);
        // its tokens now, or once they are known (a client that left mid-generation, a background response)
        record.whenGenerated(g -> m.keyTokens(caller, g.promptTokens(), g.completionTokens()));
    }

    /**
     * {@code ok}, {@code client_error}, {@code server_error} or {@code disconnected}; a refusal by a
     * per-minute limit of its key {@code rate_limited_requests} or {@code rate_limited_tokens}.
     */
    static String outcome(AccessRecord record, String ended) {
        if (AccessRecord.DISCONNECTED.equals(ended)) {
            return "disconnected";
        }
        if (record.rateLimited() != null && (Integer.valueOf(429).equals(record.status())
                || "RESOURCE_EXHAUSTED".equals(record.grpcStatus()))) {
            return record.rateLimited(); // refused as marked (a route open to all answers a marked request all the same)
        }
        if (record.grpcStatus() != null) {
            return record.grpcStatus().equals("OK") ? "ok"
                    : CALLER_CODES.contains(record.grpcStatus()) ? "client_error" : "server_error";
        }
        int status = record.status() == null ? 500 : record.status();
        return status < 400 ? "ok" : status < 500 ? "client_error" : "server_error";
    }

    @Override
    public void close() {
    }
}
