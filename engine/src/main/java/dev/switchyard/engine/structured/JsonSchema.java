package dev.switchyard.engine.structured;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A compiled JSON Schema: what a JSON value may be, in the shape the {@link JsonMatcher} walks.
 * Nodes may refer to each other in cycles (recursive {@code $ref}s), so they are compared by identity.
 */
public sealed interface JsonSchema {

    /** Any JSON value. */
    record AnyValue() implements JsonSchema {
    }

    /**
     * An object: {@code properties} by name (at most {@link #MAX_PROPERTIES}), those {@code required},
     * and the schema of any other key ({@code additional}; null when no other key may appear).
     */
    final class ObjectSchema implements JsonSchema {
        public static final int MAX_PROPERTIES = 64;
        final List<String> names = new ArrayList<>();
        final List<byte[]> nameBytes = new ArrayList<>();
        final List<JsonSchema> values = new ArrayList<>();
        /** Bit i: property i is required. */
        long required;
        JsonSchema additional;

        ObjectSchema() {
        }

        /** An object of any keys and values: {@code response_format} {@code json_object}. */
        public static ObjectSchema anyObject() {
            ObjectSchema o = new ObjectSchema();
            o.additional = new AnyValue();
            return o;
        }

        void add(String name, JsonSchema value, boolean isRequired) {
            if (isRequired) {
                required |= 1L << names.size();
            }
            names.add(name);
            nameBytes.add(name.getBytes(StandardCharsets.UTF_8));
            values.add(value);
        }

        int size() {
            return names.size();
        }
    }

    /** An array of {@code items}, with {@code minItems..maxItems} of them. */
    record ArraySchema(JsonSchema items, int minItems, int maxItems) implements JsonSchema {
    }

    /**
     * A string of {@code minLength..maxLength} characters (code points), its decoded value a whole
     * match of {@code pattern} where there is one (null: any).
     */
    record StringSchema(int minLength, int maxLength, RegexPattern pattern) implements JsonSchema {
        StringSchema(int minLength, int maxLength) {
            this(minLength, maxLength, null);
        }
    }

    /**
     * A number; {@code integer}: without fraction or exponent, its spelling a whole match of
     * {@code range} where there is one (an integer's bounds; null: any).
     */
    record NumberSchema(boolean integer, RegexPattern range) implements JsonSchema {
        NumberSchema(boolean integer) {
            this(integer, null);
        }
    }

    /**
     * One of a set of values, each written exactly as {@code texts} holds it (compact JSON):
     * {@code enum}, {@code const}, {@code true}/{@code false}/{@code null}.
     */
    record Literals(List<byte[]> texts) implements JsonSchema {
    }

    /** One of several schemas, told apart by a value's first byte: {@code byFirstByte[b]} or null. */
    record Union(Map<Byte, JsonSchema> byFirstByte) implements JsonSchema {
    }

    /** A {@code $ref}, resolved once the whole schema is read (it may point at itself). */
    final class Reference implements JsonSchema {
        JsonSchema target;
    }

    /** The first bytes a value of {@code schema} may start with (whitespace aside). */
    static Set<Byte> firstBytes(JsonSchema schema) {
        return switch (schema) {
            case AnyValue a -> Set.of((byte) '{', (byte) '[', (byte) '"', (byte) '-', (byte) '0', (byte) '1', (byte) '2',
                    (byte) '3', (byte) '4', (byte) '5', (byte) '6', (byte) '7', (byte) '8', (byte) '9', (byte) 't',
                    (byte) 'f', (byte) 'n');
            case ObjectSchema o -> Set.of((byte) '{');
            case ArraySchema a -> Set.of((byte) '[');
            case StringSchema s -> Set.of((byte) '"');
            case NumberSchema n -> Set.of((byte) '-', (byte) '0', (byte) '1', (byte) '2', (byte) '3', (byte) '4',
                    (byte) '5', (byte) '6', (byte) '7', (byte) '8', (byte) '9');
            case Literals l -> {
                java.util.HashSet<Byte> out = new java.util.HashSet<>();
                l.texts().forEach(t -> out.add(t[0]));
                yield out;
            }
            case Union u -> u.byFirstByte().keySet();
            case Reference r -> firstBytes(r.target);
        };
    }
}
