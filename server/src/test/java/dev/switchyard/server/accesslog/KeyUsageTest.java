package dev.switchyard.server.accesslog;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** How a request counts for its key: ok, the caller's error, the server's, or a connection closed first. */
class KeyUsageTest {

    private static AccessRecord http(int status) {
        AccessRecord r = new AccessRecord("http", "r", "POST", "/v1/completions", "127.0.0.1:1", null);
        r.status(status);
        return r;
    }

    private static AccessRecord grpc(String code) {
        AccessRecord r = new AccessRecord("grpc", "r", "switchyard.v1.Generation/Generate", null, "127.0.0.1:1", null);
        r.grpcStatus(code);
        return r;
    }

    @Test
    void outcomesFollowTheStatus() {
        assertThat(KeyUsage.outcome(http(200), AccessRecord.ANSWERED)).isEqualTo("ok");
        assertThat(KeyUsage.outcome(http(429), AccessRecord.ANSWERED)).isEqualTo("client_error");
        assertThat(KeyUsage.outcome(http(503), AccessRecord.ANSWERED)).isEqualTo("server_error");
        assertThat(KeyUsage.outcome(http(200), AccessRecord.DISCONNECTED)).isEqualTo("disconnected");
        assertThat(KeyUsage.outcome(grpc("OK"), AccessRecord.ANSWERED)).isEqualTo("ok");
        assertThat(KeyUsage.outcome(grpc("INVALID_ARGUMENT"), AccessRecord.ANSWERED)).isEqualTo("client_error");
        assertThat(KeyUsage.outcome(grpc("UNAVAILABLE"), AccessRecord.ANSWERED)).isEqualTo("server_error");
        AccessRecord unanswered = new AccessRecord("http", "r", "GET", "/", "127.0.0.1:1", null);
        assertThat(KeyUsage.outcome(unanswered, AccessRecord.ANSWERED)).isEqualTo("server_error");
    }

    @Test
    void aRefusalByAPerMinuteLimitCountsAsWhichLimit() {
        AccessRecord requests = http(429);
        requests.rateLimited("rate_limited_requests", 30_000_000_000L);
        assertThat(KeyUsage.outcome(requests, AccessRecord.ANSWERED)).isEqualTo("rate_limited_requests");
        AccessRecord tokens = grpc("RESOURCE_EXHAUSTED");
        tokens.rateLimited("rate_limited_tokens", 1);
        assertThat(KeyUsage.outcome(tokens, AccessRecord.ANSWERED)).isEqualTo("rate_limited_tokens");
        assertThat(KeyUsage.outcome(requests, AccessRecord.DISCONNECTED)).isEqualTo("disconnected");
        AccessRecord open = http(200); // marked, but on a route every client may use: answered all the same
        open.rateLimited("rate_limited_requests", 1);
        assertThat(KeyUsage.outcome(open, AccessRecord.ANSWERED)).isEqualTo("ok");
        assertThat(KeyUsage.outcome(grpc("RESOURCE_EXHAUSTED"), AccessRecord.ANSWERED)).as("a concurrency refusal")
                .isEqualTo("client_error");
    }

    @Test
    void aRequestsTokensAreChargedOnce() {
        AccessRecord r = http(200);
        assertThat(r.tokensToCharge()).as("nothing generated yet").isZero();
        r.generated(new AccessRecord.Generated("tiny", false, 7, 5, 3, 0, 0, "length", 1));
        assertThat(r.tokensToCharge()).as("prompt and completion tokens").isEqualTo(12);
        assertThat(r.tokensToCharge()).isZero();
    }

    @Test
    void figuresThatComeAfterTheEndAreStillChargedAndCountedOnce() {
        AccessRecord r = http(200);
        r.caller("alice");
        java.util.List<Long> charged = new java.util.ArrayList<>();
        java.util.List<Integer> counted = new java.util.ArrayList<>();
        r.chargeWhenKnown(charged::add); // the request ended (its client left) before its figures came
        r.whenGenerated(g -> counted.add(g.completionTokens()));
        assertThat(charged).isEmpty();
        r.generated(new AccessRecord.Generated("tiny", true, 7, 5, 0, 0, 0, "abort", 1));
        assertThat(charged).containsExactly(12L);
        assertThat(counted).containsExactly(5);
        r.chargeWhenKnown(charged::add);
        assertThat(charged).as("charged once").containsExactly(12L);
        AccessRecord known = http(200);
        known.generated(new AccessRecord.Generated("tiny", false, 2, 3, 0, 0, 0, "length", 1));
        known.chargeWhenKnown(charged::add);
        assertThat(charged).as("figures known: charged at once").containsExactly(12L, 5L);
    }
}
