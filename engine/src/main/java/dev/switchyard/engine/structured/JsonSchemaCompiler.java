package dev.switchyard.engine.structured;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.structured.JsonSchema.AnyValue;
import dev.switchyard.engine.structured.JsonSchema.ArraySchema;
import dev.switchyard.engine.structured.JsonSchema.Literals;
import dev.switchyard.engine.structured.JsonSchema.NumberSchema;
import dev.switchyard.engine.structured.JsonSchema.ObjectSchema;
import dev.switchyard.engine.structured.JsonSchema.Reference;
import dev.switchyard.engine.structured.JsonSchema.StringSchema;
import dev.switchyard.engine.structured.JsonSchema.Union;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Compiles a JSON Schema (the subset below) into {@link JsonSchema} nodes, refusing, with the
 * pointer of the part at fault, whatever it cannot hold output to, rather than quietly not
 * enforcing it.
 *
 * <p>Read: {@code type} (one or a list), {@code properties}, {@code required},
 * {@code additionalProperties} (true by default, as JSON Schema says), {@code items},
 * {@code minItems}, {@code maxItems}, {@code minLength}, {@code maxLength}, {@code pattern} (as
 * {@link RegexPattern} reads it, found anywhere unless anchored), {@code enum},
 * {@code const}, {@code anyOf}/{@code oneOf} whose choices start differently (an object or null, a
 * string or a number: what optional fields compile to), and {@code $ref} into {@code $defs} or
 * {@code definitions} (recursion included). Annotations are ignored: {@code title},
 * {@code description}, {@code default}, {@code examples}, {@code format} (an annotation unless a
 * schema opts into asserting it). Anything else (ranges, {@code allOf}, ...) is
 * refused.
 */
public final class JsonSchemaCompiler {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> ANNOTATIONS = Set.of("title", "description", "default", "examples", "format",
            "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly", "$defs", "definitions", "strict");
    private static final Set<String> READ = Set.of("type", "properties", "required", "additionalProperties", "items",
            "minItems", "maxItems", "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum",
            "exclusiveMaximum", "enum", "const", "anyOf", "oneOf", "$ref");
    /** Assertions about one type's values: read on that type, refused where no type says which. */
    private static final List<String> TYPED = List.of("pattern", "minLength", "maxLength", "minimum", "maximum",
            "exclusiveMinimum", "exclusiveMaximum");
    private static final List<String> RANGES = List.of("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum");
    /** Nesting a schema may have, so that compiling (and matching) stays bounded. */
    private static final int MAX_DEPTH = 32;

    private final JsonNode root;
    private final Map<String, Reference> references = new HashMap<>();
    private final List<Map.Entry<String, Reference>> unresolved = new ArrayList<>();
    /** Where each reference was first used: the place an error about its target names. */
    private final Map<Reference, String> usedAt = new HashMap<>();

    private JsonSchemaCompiler(JsonNode root) {
        this.root = root;
    }

    /**
     * The compiled schema, whose root must be an object or an array: their closing bracket ends the
     * reply, so generation stops as soon as the value is whole.
     *
     * @throws SchemaException when the schema uses what cannot be enforced, or is not a schema
     */
    public static JsonSchema compile(JsonNode schema) {
        JsonSchemaCompiler c = new JsonSchemaCompiler(schema);
        JsonSchema compiled = c.node(schema, "", 0);
        c.resolve();
        Set<Byte> first = JsonSchema.firstBytes(compiled);
        if (first.isEmpty() || !first.stream().allMatch(b -> b == '{' || b == '[')) {
            throw new SchemaException("", "the root must be an object or an array (type object or array)");
        }
        return compiled;
    }

    private JsonSchema node(JsonNode s, String at, int depth) {
        if (depth > MAX_DEPTH) {
            throw new SchemaException(at, "nested more than " + MAX_DEPTH + " levels deep");
        }
        if (s.isBoolean()) {
            if (!s.booleanValue()) {
                throw new SchemaException(at, "false allows no value");
            }
            return new AnyValue();
        }
        if (!s.isObject()) {
            throw new SchemaException(at, "a schema must be an object or a boolean");
        }
        for (Iterator<String> names = s.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!READ.contains(name) && !ANNOTATIONS.contains(name)) {
                throw new SchemaException(at, "'" + name + "' is not supported");
            }
        }
        if (s.has("$ref")) {
            if (s.size() > 1 && READ.stream().anyMatch(k -> !k.equals("$ref") && s.has(k))) {
                throw new SchemaException(at, "'$ref' beside other keywords is not supported");
            }
            return reference(s.get("$ref"), at);
        }
        if (s.has("const")) {
            return new Literals(List.of(text(s.get("const"))));
        }
        if (s.has("enum")) {
            JsonNode values = s.get("enum");
            if (!values.isArray() || values.isEmpty()) {
                throw new SchemaException(at + "/enum", "enum must be a non-empty list");
            }
            List<byte[]> texts = new ArrayList<>();
            values.forEach(v -> texts.add(text(v)));
            return new Literals(texts);
        }
        String choices = s.has("anyOf") ? "anyOf" : s.has("oneOf") ? "oneOf" : null;
        if (choices != null) {
            JsonNode list = s.get(choices);
            if (!list.isArray() || list.isEmpty()) {
                throw new SchemaException(at + "/" + choices, choices + " must be a non-empty list");
            }
            List<JsonSchema> alternatives = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                alternatives.add(node(list.get(i), at + "/" + choices + "/" + i, depth + 1));
            }
            return union(alternatives, at + "/" + choices);
        }
        JsonNode type = s.get("type");
        if (type == null) {
            for (String name : TYPED) {
                if (s.has(name)) {
                    throw new SchemaException(at, "'" + name + "' without a type is not supported; say the type");
                }
            }
            return s.has("properties") ? object(s, at, depth) : s.has("items") ? array(s, at, depth) : new AnyValue();
        }
        if (type.isArray()) {
            List<JsonSchema> alternatives = new ArrayList<>();
            for (JsonNode t : type) {
                alternatives.add(typed(t.asText(), s, at, depth));
            }
            return union(alternatives, at + "/type");
        }
        return typed(type.asText(), s, at, depth);
    }

    /**
     * A string schema. Its {@code pattern} (JSON Schema's: found anywhere in the value unless
     * anchored with {@code ^} and {@code $}) becomes a whole-match pattern, unanchored ends opened
     * with {@code (?:.|\n)*}; lengths beside a pattern are refused (the pattern can say them).
     */
    private static StringSchema string(JsonNode s, String at) {
        int min = count(s, "minLength", 0, at);
        int max = count(s, "maxLength", Integer.MAX_VALUE, at);
        JsonNode pattern = s.get("pattern");
        if (pattern == null) {
            return new StringSchema(min, max);
        }
        if (!pattern.isTextual()) {
            throw new SchemaException(at + "/pattern", "'pattern' must be a string");
        }
        if (s.has("minLength") || s.has("maxLength")) {
            throw new SchemaException(at, "'pattern' beside 'minLength' or 'maxLength' is not supported; say the "
                    + "length in the pattern");
        }
        String p = pattern.textValue();
        boolean start = p.startsWith("^");
        boolean end = anchoredAtEnd(p) && p.length() > (start ? 1 : 0);
        String body = p.substring(start ? 1 : 0, p.length() - (end ? 1 : 0));
        String whole = (start ? "" : "(?:.|\n)*") + "(?:" + body + ")" + (end ? "" : "(?:.|\n)*");
        try {
            return new StringSchema(0, Integer.MAX_VALUE, RegexPattern.compile(whole));
        } catch (PatternException e) {
            // the place in the pattern as written, not as wrapped
            int offset = whole.indexOf(body) - (start ? 1 : 0);
            int index = Math.max(0, Math.min(p.length(), e.index() - offset));
            throw new SchemaException(at + "/pattern", "'pattern' at character " + index + ": " + e.what());
        }
    }

    /**
     * An integer, its {@code minimum}/{@code maximum} (or exclusive ones, JSON Schema 2019's numbers)
     * held digit by digit as a pattern of the range's spellings ({@link IntegerRange}).
     */
    private static NumberSchema integer(JsonNode s, String at) {
        Long min = bound(s, "minimum", at, true, false);
        Long exclusiveMin = bound(s, "exclusiveMinimum", at, true, true);
        Long max = bound(s, "maximum", at, false, false);
        Long exclusiveMax = bound(s, "exclusiveMaximum", at, false, true);
        if (exclusiveMin != null) {
            min = min == null ? exclusiveMin : Math.max(min, exclusiveMin);
        }
        if (exclusiveMax != null) {
            max = max == null ? exclusiveMax : Math.min(max, exclusiveMax);
        }
        if (min == null && max == null) {
            return new NumberSchema(true);
        }
        if (min != null && max != null && min > max) {
            throw new SchemaException(at, "no integer lies within its bounds");
        }
        return new NumberSchema(true, RegexPattern.compile(IntegerRange.pattern(min, max)));
    }

    /** The least (or greatest) integer a bound allows; null when absent. */
    private static Long bound(JsonNode s, String name, String at, boolean lower, boolean exclusive) {
        JsonNode v = s.get(name);
        if (v == null) {
            return null;
        }
        if (!v.isNumber()) {
            throw new SchemaException(at + "/" + name, "'" + name + "' must be a number");
        }
        double d = v.doubleValue();
        if (Math.abs(d) > IntegerRange.LIMIT) {
            throw new SchemaException(at + "/" + name, "'" + name + "' past " + IntegerRange.LIMIT + " is not supported");
        }
        double edge = lower ? Math.ceil(d) : Math.floor(d);
        if (exclusive && edge == d) {
            edge += lower ? 1 : -1;
        }
        return (long) edge;
    }

    /** Whether the pattern ends with an unescaped {@code $}. */
    private static boolean anchoredAtEnd(String p) {
        if (!p.endsWith("$")) {
            return false;
        }
        int backslashes = 0;
        for (int i = p.length() - 2; i >= 0 && p.charAt(i) == '\\'; i--) {
            backslashes++;
        }
        return backslashes % 2 == 0;
    }

    private JsonSchema typed(String type, JsonNode s, String at, int depth) {
        return switch (type) {
            case "object" -> object(s, at, depth);
            case "array" -> array(s, at, depth);
            case "string" -> string(s, at);
            case "number" -> {
                for (String name : RANGES) {
                    if (s.has(name)) {
                        throw new SchemaException(at, "'" + name + "' on a number that may have a fraction is not "
                                + "supported; bounds are held for type integer");
                    }
                }
                yield new NumberSchema(false);
            }
            case "integer" -> integer(s, at);
            case "boolean" -> new Literals(List.of(bytes("true"), bytes("false")));
            case "null" -> new Literals(List.of(bytes("null")));
            default -> throw new SchemaException(at + "/type", "unknown type '" + type + "'");
        };
    }

    private ObjectSchema object(JsonNode s, String at, int depth) {
        ObjectSchema o = new ObjectSchema();
        Set<String> required = new HashSet<>();
        JsonNode req = s.get("required");
        if (req != null) {
            if (!req.isArray()) {
                throw new SchemaException(at + "/required", "required must be a list of names");
            }
            req.forEach(r -> required.add(r.asText()));
        }
        JsonNode properties = s.get("properties");
        if (properties != null) {
            if (!properties.isObject()) {
                throw new SchemaException(at + "/properties", "properties must be an object");
            }
            if (properties.size() > ObjectSchema.MAX_PROPERTIES) {
                throw new SchemaException(at + "/properties", "more than " + ObjectSchema.MAX_PROPERTIES + " properties");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = properties.properties().iterator(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> p = it.next();
                if (p.getKey().isEmpty() || p.getKey().chars().anyMatch(c -> c == '"' || c == '\\' || c < 0x20)) {
                    throw new SchemaException(at + "/properties", "property names with quotes, backslashes or "
                            + "control characters are not supported");
                }
                o.add(p.getKey(), node(p.getValue(), at + "/properties/" + p.getKey(), depth + 1),
                        required.contains(p.getKey()));
            }
        }
        for (String name : required) {
            if (!o.names.contains(name)) {
                throw new SchemaException(at + "/required", "'" + name + "' is required but not among the properties");
            }
        }
        JsonNode additional = s.get("additionalProperties");
        if (additional == null || (additional.isBoolean() && additional.booleanValue())) {
            o.additional = new AnyValue();
        } else if (!(additional.isBoolean())) {
            o.additional = node(additional, at + "/additionalProperties", depth + 1);
        }
        return o;
    }

    private ArraySchema array(JsonNode s, String at, int depth) {
        JsonNode items = s.get("items");
        JsonSchema item = items == null ? new AnyValue() : node(items, at + "/items", depth + 1);
        int min = count(s, "minItems", 0, at);
        int max = count(s, "maxItems", Integer.MAX_VALUE, at);
        if (min > max) {
            throw new SchemaException(at, "minItems is above maxItems");
        }
        return new ArraySchema(item, min, max);
    }

    private static int count(JsonNode s, String name, int absent, String at) {
        JsonNode n = s.get(name);
        if (n == null) {
            return absent;
        }
        if (!n.canConvertToInt() || !n.isIntegralNumber() || n.intValue() < 0) {
            throw new SchemaException(at + "/" + name, name + " must be a non-negative integer");
        }
        return n.intValue();
    }

    /** Alternatives told apart by their first byte; refused where two could start alike. */
    private JsonSchema union(List<JsonSchema> alternatives, String at) {
        if (alternatives.size() == 1) {
            return alternatives.getFirst();
        }
        Map<Byte, JsonSchema> byFirst = new LinkedHashMap<>();
        for (JsonSchema a : alternatives) {
            JsonSchema target = a instanceof Reference r ? r : a;
            for (byte b : JsonSchema.firstBytes(resolvedNow(target, at))) {
                if (byFirst.put(b, a) != null) {
                    throw new SchemaException(at, "choices that can start alike (both with '" + (char) b
                            + "') are not supported; only choices of different types are");
                }
            }
        }
        return new Union(byFirst);
    }

    /** A reference's target, which a union needs now; one still being compiled cannot be told apart. */
    private JsonSchema resolvedNow(JsonSchema s, String at) {
        if (s instanceof Reference r) {
            if (r.target == null) {
                String path = unresolved.stream().filter(e -> e.getValue() == r).map(Map.Entry::getKey).findFirst()
                        .orElse("?");
                r.target = compileTarget(path, usedAt.get(r));
            }
            return resolvedNow(r.target, at);
        }
        return s;
    }

    private Reference reference(JsonNode ref, String at) {
        String path = ref.asText();
        if (!path.equals("#") && !path.startsWith("#/$defs/") && !path.startsWith("#/definitions/")) {
            throw new SchemaException(at + "/$ref", "only references into this schema's $defs or definitions are "
                    + "supported, got '" + path + "'");
        }
        Reference r = references.get(path);
        if (r == null) {
            r = new Reference();
            references.put(path, r);
            unresolved.add(Map.entry(path, r));
            usedAt.put(r, at);
        }
        return r;
    }

    private void resolve() {
        for (int i = 0; i < unresolved.size(); i++) { // resolving may add references
            Map.Entry<String, Reference> e = unresolved.get(i);
            if (e.getValue().target == null) {
                e.getValue().target = compileTarget(e.getKey(), usedAt.get(e.getValue()));
            }
        }
        for (Reference r : references.values()) {
            JsonSchema t = r.target;
            for (int hops = 0; t instanceof Reference next; hops++) {
                if (hops > references.size()) {
                    throw new SchemaException("", "references that only refer to each other define no value");
                }
                t = next.target;
            }
        }
    }

    private JsonSchema compileTarget(String path, String at) {
        JsonNode target = path.equals("#") ? root : root.at(path.substring(1));
        if (target.isMissingNode()) {
            throw new SchemaException(at, "'" + path + "' refers to nothing");
        }
        return node(target, path.substring(1), 0);
    }

    private static byte[] text(JsonNode value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a parsed value always serializes", e);
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
