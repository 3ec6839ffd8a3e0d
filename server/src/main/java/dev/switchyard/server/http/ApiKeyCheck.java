package dev.switchyard.server.http;

import dev.switchyard.server.serving.ApiKeys;
import dev.switchyard.server.serving.KeyAdmission;

/**
 * Reads the key a request presents, {@code Authorization: Bearer KEY} (or {@code x-api-key: KEY},
 * as Anthropic's clients send it), and checks it against the server's {@link ApiKeys} (in constant
 * time, there).
 */
final class ApiKeyCheck {

    private static final String BEARER = "Bearer ";
    private final ApiKeys keys;

    ApiKeyCheck(ApiKeys keys) {
        this.keys = keys;
    }

    boolean enabled() {
        return keys.enabled();
    }

    /** Whether the request may go on: it presents one of the keys, or none are needed. */
    boolean accepts(String authorization, String apiKeyHeader) {
        return !keys.enabled() || caller(authorization, apiKeyHeader) != null;
    }

    /** Lets a request of the key named {@code name} in, or says which limit refuses it (see {@link ApiKeys#admit}). */
    KeyAdmission admit(String name) {
        return keys.admit(name);
    }

    /** The keys themselves: their limits, refusals and charges. */
    ApiKeys keys() {
        return keys;
    }

    void release(String name) {
        keys.release(name);
    }

    int concurrencyOf(String name) {
        return keys.concurrencyOf(name);
    }

    /** The name of the key the request presents; null when it presents none of them, or keys are off. */
    String caller(String authorization, String apiKeyHeader) {
        if (!keys.enabled()) {
            return null;
        }
        String presented = authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())
                ? authorization.substring(BEARER.length()).strip()
                : apiKeyHeader != null ? apiKeyHeader.strip() : "";
        return keys.nameOf(presented);
    }
}
