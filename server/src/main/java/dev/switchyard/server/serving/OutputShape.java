package dev.switchyard.server.serving;

import dev.switchyard.engine.structured.JsonSchema;
import dev.switchyard.engine.structured.OutputConstraint;
import java.util.List;

/** What each reply's answer is held to, token by token: a JSON value of a schema, or one of several texts. */
public sealed interface OutputShape {

    /** The parts of a reply of this shape ({@link OutputConstraint}). */
    List<OutputConstraint.Part> parts();

    /** A JSON value of {@code schema} ({@code response_format}, {@code guided_json}). */
    record JsonValue(JsonSchema schema) implements OutputShape {
        @Override
        public List<OutputConstraint.Part> parts() {
            return OutputConstraint.jsonOnly(schema);
        }
    }

    /**
     * Exactly one of {@code texts} ({@code guided_choice}); none is the beginning of another, so that
     * the reply ends once one is written.
     */
    record Choice(List<String> texts) implements OutputShape {
        public Choice {
            texts = List.copyOf(texts);
        }

        @Override
        public List<OutputConstraint.Part> parts() {
            return List.of(OutputConstraint.oneOf(texts));
        }
    }

    /** A JSON value of {@code schema}, or null (free text) where there is none. */
    static OutputShape json(JsonSchema schema) {
        return schema == null ? null : new JsonValue(schema);
    }
}
