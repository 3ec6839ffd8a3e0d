package dev.switchyard.server.http;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Checks {@code Authorization: Bearer KEY} (or {@code x-api-key: KEY}, as Anthropic's clients send
 * it) in constant time: both sides are hashed first, so the
 * comparison of equal-length digests ({@link MessageDigest#isEqual}, which does not stop at the first
 * difference) reveals neither the key's length nor how much of a guess was right.
 */
final class ApiKeyCheck {

    private static final String BEARER = "Bearer ";
    private final byte[] expected;

    /** @param key null: every request passes */
    ApiKeyCheck(String key) {
        this.expected = key == null ? null : sha256(key);
    }

    boolean enabled() {
        return expected != null;
    }

    /** The key from either header: a bearer token, or {@code x-api-key} where there is none. */
    boolean accepts(String authorization, String apiKeyHeader) {
        if (expected == null) {
            return true;
        }
        String presented = authorization != null && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())
                ? authorization.substring(BEARER.length()).strip()
                : apiKeyHeader != null ? apiKeyHeader.strip() : "";
        return MessageDigest.isEqual(expected, sha256(presented));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
