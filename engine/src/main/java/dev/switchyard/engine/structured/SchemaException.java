package dev.switchyard.engine.structured;

/** A schema this server cannot hold output to, with the JSON pointer of the part at fault. */
public final class SchemaException extends RuntimeException {

    private final String pointer;

    SchemaException(String pointer, String message) {
        super((pointer.isEmpty() ? "the schema" : "the schema at " + pointer) + ": " + message);
        this.pointer = pointer;
    }

    /** Where in the schema, as a JSON pointer ({@code ""} for the root). */
    public String pointer() {
        return pointer;
    }
}
