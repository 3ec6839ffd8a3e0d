package dev.switchyard.loadtest.target;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Reads one streamed chunk (the JSON of an SSE {@code data:} payload) into what the load test measures:
 * the generated text, the usage report, or an error the server reported inside the stream; for the
 * Responses and Messages APIs, also whether the event ends the stream (they have no {@code [DONE]}).
 *
 * <p>Text is the first choice's {@code text} (completions) or {@code delta.content} (chat); an empty or
 * absent one is no text, so chat's opening role-only delta does not count as a token (RESULTS.md, TTFT).
 * Thread-safe: Jackson's mapper is, and nothing else is kept.
 */
final class ChunkReader {

    private final ObjectMapper json;
    private final ApiKind api;

    ChunkReader(ObjectMapper json, ApiKind api) {
        this.json = json;
        this.api = api;
    }

    /**
     * What one chunk says; {@code text} and {@code error} are null when absent, token counts -1;
     * {@code last} when it ends the stream as {@code [DONE]} does (a response's final event).
     */
    record Chunk(String text, int promptTokens, int completionTokens, String error, boolean last) {

        Chunk(String text, int promptTokens, int completionTokens, String error) {
            this(text, promptTokens, completionTokens, error, false);
        }

        boolean hasText() {
            return text != null;
        }

        boolean hasUsage() {
            return completionTokens >= 0;
        }

        boolean isError() {
            return error != null;
        }
    }

    /** @throws BadChunkException when the payload is not a JSON object */
    Chunk read(String payload) throws BadChunkException {
        JsonNode node;
        try {
            node = json.readTree(payload);
        } catch (JsonProcessingException e) {
            throw new BadChunkException("not JSON: " + Failures.excerpt(payload));
        }
        if (node == null || !node.isObject()) {
            throw new BadChunkException("not a JSON object: " + Failures.excerpt(payload));
        }
        if (api == ApiKind.RESPONSES) {
            return responseEvent(node);
        }
        if (api == ApiKind.MESSAGES) {
            return messageEvent(node);
        }
        String error = error(node);
        if (error != null) {
            return new Chunk(null, -1, -1, error);
        }
        JsonNode usage = node.path("usage");
        int prompt = -1;
        int completion = -1;
        // vLLM sends "usage": null on every chunk but the last when include_usage is on.
        if (usage.isObject() && usage.path("completion_tokens").canConvertToInt()) {
            completion = usage.path("completion_tokens").asInt();
            prompt = usage.path("prompt_tokens").canConvertToInt() ? usage.path("prompt_tokens").asInt() : -1;
        }
        return new Chunk(text(node), prompt, completion, null);
    }

    /**
     * A Responses API event: text from {@code response.output_text.delta}, the counts and the end from
     * {@code response.completed} or {@code response.incomplete}, an error from {@code response.failed}
     * or an {@code error} event; every other event (items opened and closed, reasoning) says nothing
     * the load test measures.
     */
    private static Chunk responseEvent(JsonNode node) {
        String type = node.path("type").asText("");
        switch (type) {
            case "response.output_text.delta" -> {
                String delta = node.path("delta").asText("");
                return new Chunk(delta.isEmpty() ? null : delta, -1, -1, null);
            }
            case "response.completed", "response.incomplete" -> {
                JsonNode usage = node.path("response").path("usage");
                boolean counted = usage.path("output_tokens").canConvertToInt();
                return new Chunk(null, counted && usage.path("input_tokens").canConvertToInt()
                        ? usage.path("input_tokens").asInt() : -1,
                        counted ? usage.path("output_tokens").asInt() : -1, null, true);
            }
            case "response.failed" -> {
                String message = node.path("response").path("error").path("message").asText("");
                return new Chunk(null, -1, -1, message.isEmpty() ? Failures.excerpt(node.toString()) : message);
            }
            case "error" -> {
                String message = node.path("message").asText("");
                return new Chunk(null, -1, -1, message.isEmpty() ? Failures.excerpt(node.toString()) : message);
            }
            default -> {
                return new Chunk(null, -1, -1, error(node));
            }
        }
    }

    /**
     * A Messages API event: text from a {@code content_block_delta}'s {@code text_delta}, the counts
     * from {@code message_delta}'s usage (its input tokens with those read from the server's cache),
     * the end at {@code message_stop}, an error from an {@code error} event; the rest (blocks opened
     * and closed, thinking, pings) says nothing the load test measures.
     */
    private static Chunk messageEvent(JsonNode node) {
        switch (node.path("type").asText("")) {
            case "content_block_delta" -> {
                JsonNode delta = node.path("delta");
                String text = "text_delta".equals(delta.path("type").asText()) ? delta.path("text").asText("") : "";
                return new Chunk(text.isEmpty() ? null : text, -1, -1, null);
            }
            case "message_delta" -> {
                JsonNode usage = node.path("usage");
                boolean counted = usage.path("output_tokens").canConvertToInt();
                int input = usage.path("input_tokens").canConvertToInt()
                        ? usage.path("input_tokens").asInt() + usage.path("cache_read_input_tokens").asInt(0) : -1;
                return new Chunk(null, counted ? input : -1, counted ? usage.path("output_tokens").asInt() : -1, null);
            }
            case "message_stop" -> {
                return new Chunk(null, -1, -1, null, true);
            }
            default -> {
                return new Chunk(null, -1, -1, error(node));
            }
        }
    }

    private String text(JsonNode node) {
        JsonNode choice = node.path("choices").path(0);
        JsonNode text = api == ApiKind.CHAT ? choice.path("delta").path("content") : choice.path("text");
        return text.isTextual() && !text.asText().isEmpty() ? text.asText() : null;
    }

    /**
     * The message of an in-stream error: OpenAI's {@code {"error": {"message": ...}}} or vLLM's
     * {@code {"object": "error", "message": ...}}; null when the chunk is no error.
     */
    private static String error(JsonNode node) {
        JsonNode error = node.get("error");
        if (error != null && !error.isNull()) {
            String message = error.isObject() ? error.path("message").asText("") : error.asText("");
            return message.isEmpty() ? Failures.excerpt(error.toString()) : message;
        }
        if ("error".equals(node.path("object").asText())) {
            String message = node.path("message").asText("");
            return message.isEmpty() ? Failures.excerpt(node.toString()) : message;
        }
        return null;
    }

    /** A payload that is not a chunk at all (the {@code bad_chunk} failure). */
    static final class BadChunkException extends Exception {
        BadChunkException(String message) {
            super(message, null, false, false);
        }
    }
}
