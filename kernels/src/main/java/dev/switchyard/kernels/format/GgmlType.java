package dev.switchyard.kernels.format;

/**
 * Every tensor type id that a GGUF file may name, with ggml's block geometry.
 *
 * <p>The reader needs the geometry of all of them (to size and bounds-check any tensor of a real
 * file, even one we cannot compute with); {@link #isSupported()} says which ones have a codec.
 * Ids 4, 5, 31..33 and 36..38 were retired by ggml and are rejected as unknown.
 */
public enum GgmlType {
    F32(0, 1, 4, true),
    F16(1, 1, 2, true),
    Q4_0(2, 32, 18, true),
    Q4_1(3, 32, 20, true),
    Q5_0(6, 32, 22, true),
    Q5_1(7, 32, 24, true),
    Q8_0(8, 32, 34, true),
    Q8_1(9, 32, 36, false),
    Q2_K(10, 256, 84, true),
    Q3_K(11, 256, 110, true),
    Q4_K(12, 256, 144, true),
    Q5_K(13, 256, 176, true),
    Q6_K(14, 256, 210, true),
    Q8_K(15, 256, 292, false),
    IQ2_XXS(16, 256, 66, true),
    IQ2_XS(17, 256, 74, true),
    IQ3_XXS(18, 256, 98, true),
    IQ1_S(19, 256, 50, true),
    IQ4_NL(20, 32, 18, true),
    IQ3_S(21, 256, 110, true),
    IQ2_S(22, 256, 82, true),
    IQ4_XS(23, 256, 136, true),
    I8(24, 1, 1, false),
    I16(25, 1, 2, false),
    I32(26, 1, 4, false),
    I64(27, 1, 8, false),
    F64(28, 1, 8, false),
    IQ1_M(29, 256, 56, true),
    BF16(30, 1, 2, true),
    TQ1_0(34, 256, 54, false),
    TQ2_0(35, 256, 66, false),
    MXFP4(39, 32, 17, true);

    private static final GgmlType[] BY_ID = new GgmlType[40];

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
        }
    }

    private final int id;
    private final int blockSize;
    private final int typeSize;
    private final boolean supported;

    GgmlType(int id, int blockSize, int typeSize, boolean supported) {
        this.id = id;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
        this.supported = supported;
    }

    /** The id written in GGUF tensor infos. */
    public int id() {
        return id;
    }

    /** Elements per block (1 for plain float and integer types). */
    public int blockSize() {
        return blockSize;
    }

    /** Bytes per block. */
    public int typeSize() {
        return typeSize;
    }

    /** Whether Switchyard can decode and encode this type. */
    public boolean isSupported() {
        return supported;
    }

    /** Whether this is a block-quantized type (as opposed to a plain float type). */
    public boolean isQuantized() {
        return blockSize > 1;
    }

    /** The type for a GGUF id, or null when the id names no type ggml still defines. */
    public static GgmlType fromId(long id) {
        if (id < 0 || id >= BY_ID.length) {
            return null;
        }
        return BY_ID[(int) id];
    }

    /** Parses a user-facing name such as {@code q8_0} or {@code Q4_K}. */
    public static GgmlType fromName(String name) {
        for (GgmlType t : values()) {
            if (t.name().equalsIgnoreCase(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown tensor type '" + name + "'");
    }

    /**
     * Bytes taken by {@code elements} values of this type, or -1 when the count is not a whole
     * number of blocks or the size does not fit in a long.
     */
    public long byteSize(long elements) {
        if (elements < 0 || elements % blockSize != 0) {
            return -1;
        }
        long blocks = elements / blockSize;
        if (blocks > Long.MAX_VALUE / typeSize) {
            return -1;
        }
        return blocks * typeSize;
    }
}
