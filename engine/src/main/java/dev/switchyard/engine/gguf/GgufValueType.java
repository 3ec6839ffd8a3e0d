package dev.switchyard.engine.gguf;

/** The metadata value types of GGUF, with their ids and fixed sizes (0 for variable-size ones). */
public enum GgufValueType {
    UINT8(0, 1),
    INT8(1, 1),
    UINT16(2, 2),
    INT16(3, 2),
    UINT32(4, 4),
    INT32(5, 4),
    FLOAT32(6, 4),
    BOOL(7, 1),
    STRING(8, 0),
    ARRAY(9, 0),
    UINT64(10, 8),
    INT64(11, 8),
    FLOAT64(12, 8);

    private final int id;
    private final int fixedSize;

    GgufValueType(int id, int fixedSize) {
        this.id = id;
        this.fixedSize = fixedSize;
    }

    public int id() {
        return id;
    }

    /** Bytes per value, or 0 for strings and arrays. */
    public int fixedSize() {
        return fixedSize;
    }

    /** The smallest number of bytes one value of this type can take in a file. */
    public int minimumEncodedSize() {
        return switch (this) {
            case STRING -> 8; // length only
            case ARRAY -> 12; // element type + count
            default -> fixedSize;
        };
    }

    public boolean isInteger() {
        return switch (this) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> true;
            default -> false;
        };
    }

    /** The type for an id, or null when the id is unknown. */
    public static GgufValueType fromId(long id) {
        for (GgufValueType t : values()) {
            if (t.id == id) {
                return t;
            }
        }
        return null;
    }
}
