package dev.switchyard.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Items as a conversation keeps and lists them, in the shape OpenAI returns: each with a
 * {@code type} (a message where only a {@code role} was sent), an {@code id} (given one by its type
 * where it has none), a {@code status}, and a message's text content as a list of parts
 * ({@code input_text}, or {@code output_text} for the assistant's).
 */
final class ConversationItems {

    private ConversationItems() {
    }

    /** A normalized copy of {@code item}; the item itself is left as it was. */
    static ObjectNode normalized(JsonNode item) {
        ObjectNode copy = item.deepCopy();
        String type = copy.path("type").isTextual() ? copy.get("type").textValue() : "message";
        copy.put("type", type);
        if (!copy.path("id").isTextual()) {
            copy.put("id", idPrefix(type) + ResponsesRenderer.hex());
        }
        if (type.equals("message") && copy.path("content").isTextual()) {
            String text = copy.get("content").textValue();
            ArrayNode parts = copy.putArray("content");
            parts.addObject().put("type", "assistant".equals(copy.path("role").asText()) ? "output_text" : "input_text")
                    .put("text", text);
        }
        if (!copy.has("status") && !type.equals("reasoning")) {
            copy.put("status", "completed");
        }
        return copy;
    }

    /** OpenAI's id prefixes: {@code msg_} for messages, {@code fc_} for calls, {@code rs_} for reasoning. */
    static String idPrefix(String type) {
        return switch (type) {
            case "message" -> "msg_";
            case "function_call" -> "fc_";
            case "reasoning" -> "rs_";
            default -> "item_";
        };
    }
}
