package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.switchyard.server.serving.InvalidRequestException;
import java.io.IOException;

/**
 * An error as OpenAI reports it: an HTTP status and {@code {"error": {"message", "type", "param",
 * "code"}}}. Thrown while a request is read and validated; the HTTP layer writes it as it is.
 */
public final class ApiError extends RuntimeException {

    private final int status;
    private final String type;
    private final String param;
    private final String code;

    public ApiError(int status, String type, String message, String param, String code) {
        super(message, null, false, false);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
    }

    /** 400: a field is missing, malformed or out of range. */
    public static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", message, param, null);
    }

    /** 400: a field we understand but cannot honour (yet), rather than silently ignoring it. */
    public static ApiError unsupported(String param, String what) {
        return new ApiError(400, "invalid_request_error", what + " is not supported by this server", param,
                "unsupported_parameter");
    }

    /** 400: a field we understand but cannot honour as given, {@code message} saying what in it. */
    public static ApiError unsupportedAs(String param, String message) {
        return new ApiError(400, "invalid_request_error", message, param, "unsupported_parameter");
    }

    public static ApiError of(InvalidRequestException e) {
        return new ApiError(400, "invalid_request_error", e.getMessage(), e.param(), e.code());
    }

    public static ApiError unauthorized() {
        return new ApiError(401, "authentication_error",
                "invalid or missing API key: send it as 'Authorization: Bearer KEY'", null, "invalid_api_key");
    }

    public static ApiError modelNotFound(String model, String served) {
        return new ApiError(404, "invalid_request_error", "the model '" + model + "' does not exist; this server serves '"
                + served + "'", "model", "model_not_found");
    }

    /** A request that would change what every client gets, from a key kept to some models ({@code models=}). */
    public static ApiError keyMayNotManageAdapters() {
        return new ApiError(403, "permission_error", "this API key may use only some models, so it may not change the "
                + "server's adapters or their default scales", null, "permission_denied");
    }

    /** A model or adapter the request's API key may not use: as for one that does not exist, which OpenAI answers alike. */
    public static ApiError modelNotAllowed(String model) {
        return new ApiError(404, "invalid_request_error", "the model '" + model + "' does not exist, or this API key "
                + "may not use it", "model", "model_not_found");
    }

    public static ApiError unknownRoute(String method, String path) {
        return new ApiError(404, "invalid_request_error", "unknown URL: " + method + " " + path, null, "unknown_url");
    }

    public static ApiError methodNotAllowed(String method, String path, String allowed) {
        return new ApiError(405, "invalid_request_error", path + " does not accept " + method + "; use " + allowed,
                null, "method_not_allowed");
    }

    public static ApiError tooLarge(long limit) {
        return new ApiError(413, "invalid_request_error", "the request body is larger than this server accepts ("
                + limit + " bytes)", null, "request_too_large");
    }

    public static ApiError overloaded(String message) {
        return new ApiError(429, "rate_limit_error", message, null, "server_overloaded");
    }

    /** The key's requests already fill its bound ({@code concurrency=N} in --api-key-file). */
    public static ApiError keyBusy(String keyName, int bound) {
        return new ApiError(429, "rate_limit_error", "the API key '" + keyName + "' already has " + bound
                + " requests running, as many as it may; send this one when one of them has ended", null,
                "rate_limit_exceeded");
    }

    /**
     * A per-minute limit of the key ({@code requests_per_minute} or {@code tokens_per_minute} in
     * --api-key-file) refuses the request: {@code message} says which and when to retry.
     */
    public static ApiError keyRateLimited(String message) {
        return new ApiError(429, "rate_limit_error", message, null, "rate_limit_exceeded");
    }

    public static ApiError internal(String message) {
        return new ApiError(500, "server_error", message, null, "internal_error");
    }

    public static ApiError unavailable(String message) {
        return new ApiError(503, "server_error", message, null, "service_unavailable");
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }

    /** {@code {"error": {...}}}. */
    /**
     * The error as Anthropic's Messages API writes one: {@code {"type": "error", "error": {"type",
     * "message"}}}, its type named for the status as that API names them, and the parameter, where
     * there is one, named in the message (that shape has no field for it).
     */
    public void writeAnthropic(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", "error");
        g.writeObjectFieldStart("error");
        g.writeStringField("type", anthropicType());
        String message = getMessage();
        g.writeStringField("message", param == null || message.contains(param) ? message : param + ": " + message);
        g.writeEndObject();
        g.writeEndObject();
    }

    /** Anthropic's name for an error of this status. */
    public String anthropicType() {
        return switch (status) {
            case 400, 405, 409, 414, 422, 431 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            case 504 -> "timeout_error";
            default -> status < 500 ? "invalid_request_error" : "api_error";
        };
    }

    public void write(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeObjectFieldStart("error");
        g.writeStringField("message", getMessage());
        g.writeStringField("type", type);
        g.writeStringField("param", param);
        g.writeStringField("code", code);
        g.writeEndObject();
        g.writeEndObject();
    }
}
