package dev.switchyard.engine.gguf;

/** A metadata key that a caller needs is missing or holds a value of the wrong type. */
public final class MetadataException extends RuntimeException {

    private final String key;

    public MetadataException(String key, String problem) {
        super("metadata key '" + key + "' " + problem);
        this.key = key;
    }

    public String key() {
        return key;
    }
}
