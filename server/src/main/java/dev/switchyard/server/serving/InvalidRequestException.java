package dev.switchyard.server.serving;

/**
 * A request the server will not run, naming the field at fault as the API spells it ({@code param},
 * e.g. {@code messages[1].content}) and, where the API has one, a machine-readable {@code code}
 * ({@code context_length_exceeded}). HTTP answers 400; gRPC, INVALID_ARGUMENT.
 */
public final class InvalidRequestException extends RuntimeException {

    private final String param;
    private final String code;

    public InvalidRequestException(String param, String message) {
        this(param, message, null);
    }

    public InvalidRequestException(String param, String message, String code) {
        super(message, null, false, false);
        this.param = param;
        this.code = code;
    }

    /**
     * The field an engine check names at the start of its message ("top_p must be in (0, 1], got
     * 2.0": {@code top_p}), as every validation in the engine's settings does; null for a message of
     * one word.
     */
    public static String engineField(IllegalArgumentException e) {
        String message = e.getMessage();
        int space = message.indexOf(' ');
        return space > 0 ? message.substring(0, space) : null;
    }

    /** The field at fault, or null when the request as a whole is. */
    public String param() {
        return param;
    }

    /** A machine-readable error code, or null. */
    public String code() {
        return code;
    }
}
