package dev.switchyard.server.accesslog;

import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * The id of one request: the client's own ({@code X-Request-Id} over HTTP, {@code x-request-id}
 * metadata over gRPC) where it gives a usable one, so that its logs and the server's meet on it;
 * else a new one. An id is answered back to the client and names the request in the access log.
 */
public final class RequestIds {

    /** The header (and gRPC metadata key) the id travels in. */
    public static final String HEADER = "x-request-id";
    /** What a client's id may be: short, and nothing that needs quoting in a log or a header. */
    private static final Pattern USABLE = Pattern.compile("[A-Za-z0-9._:/+=@-]{1,128}");

    private RequestIds() {
    }

    /** The client's id where it is usable (1 to 128 letters, digits or {@code ._:/+=@-}); else a new one. */
    public static String accept(String given) {
        return given != null && USABLE.matcher(given).matches() ? given : fresh();
    }

    /** A new id: {@code req_} and 128 random bits in hex, as OpenAI's look. */
    public static String fresh() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return "req_" + hex(random.nextLong()) + hex(random.nextLong());
    }

    private static String hex(long bits) {
        String h = Long.toHexString(bits);
        return "0".repeat(16 - h.length()) + h;
    }
}
