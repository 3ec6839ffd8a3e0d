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

    /** The field at fault, or null when the request as a whole is. */
    public String param() {
        return param;
    }

    /** A machine-readable error code, or null. */
    public String code() {
        return code;
    }
}
