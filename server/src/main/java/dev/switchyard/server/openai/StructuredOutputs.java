package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.structured.Grammar;
import dev.switchyard.engine.structured.JsonSchema;
import dev.switchyard.engine.structured.JsonSchemaCompiler;
import dev.switchyard.engine.structured.RegexPattern;
import dev.switchyard.engine.structured.SchemaException;
import dev.switchyard.server.serving.InvalidRequestException;
import dev.switchyard.server.serving.OutputShape;
import dev.switchyard.server.serving.ServedModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What completions and chat replies are held to: OpenAI's {@code response_format}, or vLLM's
 * {@code guided_json} (a schema), {@code guided_choice} (one of several texts),
 * {@code guided_regex} (a whole match of a regular expression, {@link RegexPattern}'s syntax) and
 * {@code guided_grammar} (a sentence of a GBNF grammar, {@link Grammar}), also spelled
 * {@code structured_outputs: {"json": ..., "choice": [...], "regex": ..., "grammar": ...}} as newer
 * vLLM does, or llama.cpp's {@code json_schema} and {@code grammar}. At most one of them;
 * {@code structural_tag} is refused.
 */
final class StructuredOutputs {

    private static final ObjectMapper JSON = new ObjectMapper();

    private StructuredOutputs() {
    }

    /** The shape replies are held to, or null for free text. */
    static OutputShape parse(Fields f, ServedModel model) {
        JsonNode structured = f.node("structured_outputs");
        if (structured != null) {
            if (!structured.isObject()) {
                throw ApiError.invalid("structured_outputs", "structured_outputs must be an object");
            }
            if (structured.has("structural_tag")) {
                throw ApiError.unsupported("structured_outputs.structural_tag", "structured_outputs.structural_tag "
                        + "(only json, choice, regex and grammar)");
            }
        }
        // each way of asking, by the field that asks: at most one may be given
        Map<String, JsonNode> given = new LinkedHashMap<>();
        for (String name : List.of("response_format", "guided_json", "guided_choice", "guided_regex", "guided_grammar",
                "json_schema", "grammar")) {
            if (f.node(name) != null) {
                given.put(name, f.node(name));
            }
        }
        for (String name : List.of("json", "choice", "regex", "grammar")) {
            if (structured != null && structured.get(name) != null && !structured.get(name).isNull()) {
                given.put("structured_outputs." + name, structured.get(name));
            }
        }
        if (given.size() > 1) {
            List<String> names = List.copyOf(given.keySet());
            throw ApiError.invalid(names.get(1), "send one of " + String.join(" and ", names) + ": a reply is held to "
                    + "one shape");
        }
        if (given.isEmpty()) {
            return null;
        }
        String param = given.keySet().iterator().next();
        JsonNode value = given.get(param);
        return switch (param) {
            case "response_format" -> OutputShape.json(ResponseFormats.parse(f));
            case "guided_choice", "structured_outputs.choice" -> choices(value, param, model);
            case "guided_regex", "structured_outputs.regex" -> text(value, param, "", OutputShape::regex);
            case "guided_grammar", "structured_outputs.grammar", "grammar" -> text(value, param, " (a grammar in GBNF)",
                    OutputShape::grammar);
            default -> OutputShape.json(schema(value, param));
        };
    }

    /** A schema as an object, or as its JSON text (as vLLM takes it). */
    private static JsonSchema schema(JsonNode schema, String param) {
        if (schema.isTextual()) {
            try {
                schema = JSON.readTree(schema.textValue());
            } catch (JsonProcessingException e) {
                throw ApiError.invalid(param, param + " must be a JSON Schema (an object, or its JSON text)");
            }
        }
        try {
            return JsonSchemaCompiler.compile(schema);
        } catch (SchemaException e) {
            throw ApiError.unsupportedAs(param, e.getMessage());
        }
    }

    /** A pattern or a grammar, given as text, compiled by {@code compile} (which names {@code param} in its errors). */
    private static OutputShape text(JsonNode value, String param, String what,
                                    java.util.function.BiFunction<String, String, OutputShape> compile) {
        if (!value.isTextual()) {
            throw ApiError.invalid(param, param + " must be a string" + what);
        }
        try {
            return compile.apply(value.textValue(), param);
        } catch (InvalidRequestException e) {
            throw ApiError.of(e);
        }
    }

    /** The texts of a choice, checked as {@link OutputShape#choice} checks them. */
    private static OutputShape.Choice choices(JsonNode choice, String param, ServedModel model) {
        if (!choice.isArray()) {
            throw ApiError.invalid(param, param + " must be a list of 1 to " + OutputShape.MAX_CHOICES + " strings");
        }
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < choice.size(); i++) {
            if (!choice.get(i).isTextual()) {
                throw ApiError.invalid(param + "[" + i + "]", param + "[" + i + "] must be a string");
            }
            texts.add(choice.get(i).textValue());
        }
        try {
            return OutputShape.choice(texts, param, model.tokenizer());
        } catch (InvalidRequestException e) {
            throw ApiError.of(e);
        }
    }
}
