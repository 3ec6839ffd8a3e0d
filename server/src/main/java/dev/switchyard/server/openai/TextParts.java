package dev.switchyard.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Set;

/** Message content as both APIs send it: a string, or a list of text parts, joined. */
final class TextParts {

    private TextParts() {
    }

    /**
     * The text of {@code content} at {@code param}: a string as it is, or the texts of a list of
     * parts whose types are among {@code textTypes} (a {@code refusal} part holds its text under
     * that name), joined; null when absent. Any other part (images, files, audio) is refused.
     */
    static String join(JsonNode content, String param, Set<String> textTypes) {
        if (content == null || content.isNull()) {
            return null;
        }
        if (content.isTextual()) {
            return content.textValue();
        }
        if (!content.isArray()) {
            throw ApiError.invalid(param, param + " must be a string or a list of content parts");
        }
        StringBuilder text = new StringBuilder();
        for (int j = 0; j < content.size(); j++) {
            String partParam = param + "[" + j + "]";
            JsonNode part = content.get(j);
            String type = part.path("type").asText(null);
            if (!textTypes.contains(type)) {
                throw ApiError.unsupported(partParam + ".type", "content of type '" + type + "' (only text)");
            }
            String field = "refusal".equals(type) ? "refusal" : "text";
            JsonNode t = part.get(field);
            if (t == null || !t.isTextual()) {
                throw ApiError.invalid(partParam + "." + field, partParam + "." + field + " must be a string");
            }
            text.append(t.textValue());
        }
        return text.toString();
    }
}
