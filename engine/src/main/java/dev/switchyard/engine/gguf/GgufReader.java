package dev.switchyard.engine.gguf;

import dev.switchyard.kernels.format.GgmlType;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses GGUF v2/v3 (little-endian) over a memory-mapped file.
 *
 * <p>Layout: magic "GGUF", uint32 version, uint64 tensor count, uint64 metadata count, the metadata
 * key/value pairs, the tensor infos (name, uint32 rank, uint64 dims, uint32 type, uint64 offset), then
 * padding to {@code general.alignment} (default 32) and the data section.
 *
 * <p>Every count and length is checked against the bytes left before anything is allocated for it,
 * so a corrupt count of 2^60 fails at once instead of exhausting memory; nesting of arrays is
 * bounded; tensor extents are checked for overflow, for running past the end and for overlap.
 */
public final class GgufReader {

    /** "GGUF" read as a little-endian uint32. */
    static final int MAGIC = 0x46554747;
    static final long DEFAULT_ALIGNMENT = 32;
    static final String ALIGNMENT_KEY = "general.alignment";
    /** ggml's GGML_MAX_DIMS. */
    static final int MAX_DIMS = 4;
    /** Deeper nesting than any real file has; bounds recursion on hostile input. */
    static final int MAX_ARRAY_DEPTH = 8;
    /** Smallest tensor info: empty name (8) + rank (4) + one dim (8) + type (4) + offset (8). */
    private static final long MIN_TENSOR_INFO_BYTES = 32;
    /** Smallest key/value: empty key (8) + type (4) + a one-byte value. */
    private static final long MIN_KV_BYTES = 13;

    private GgufReader() {
    }

    /**
     * Maps and parses a file, and where it is the first part of a model split over several files
     * ({@link GgufSplit}), the other parts beside it; the caller closes the returned file to unmap
     * them all.
     */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try {
            GgufShard first = map(path, arena);
            int parts = GgufSplit.count(first);
            return new GgufFile(arena, parts == 1 ? List.of(first) : GgufSplit.parts(first, parts, p -> map(p, arena)));
        } catch (IOException | RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    private static GgufShard map(Path path, Arena arena) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, channel.size(), arena)
                    .asReadOnly();
            return parse(path, mapping);
        }
    }

    /** Parses a file already in memory (tests, or bytes from elsewhere); the arena owns nothing. */
    public static GgufFile parse(MemorySegment bytes) throws GgufFormatException {
        return new GgufFile(null, List.of(parse(null, bytes)));
    }

    private static GgufShard parse(Path path, MemorySegment mapping) throws GgufFormatException {
        GgufCursor in = new GgufCursor(mapping);
        int magic = in.i32("magic");
        if (magic != MAGIC) {
            throw new GgufFormatException("magic", 0,
                    String.format("not a GGUF file: magic is 0x%08x, expected 0x%08x (\"GGUF\")", magic, MAGIC));
        }
        long version = in.u32("version");
        if (version != 2 && version != 3) {
            String hint = version == 1 ? " (GGUF v1 is obsolete; convert the file again)"
                    : (Integer.reverseBytes((int) version) == 3 || Integer.reverseBytes((int) version) == 2)
                            ? " (a big-endian file; Switchyard reads little-endian files only)" : "";
            throw new GgufFormatException("version", 4, "unsupported GGUF version " + version + hint);
        }
        long tensorCount = in.length("tensor_count", MIN_TENSOR_INFO_BYTES);
        long kvCount = in.length("metadata_kv_count", MIN_KV_BYTES);

        Map<String, GgufValue> kv = new LinkedHashMap<>();
        long alignmentAt = -1;
        for (long i = 0; i < kvCount; i++) {
            long keyAt = in.position();
            String key = in.string("metadata key #" + i);
            if (kv.containsKey(key)) {
                throw new GgufFormatException(key, keyAt, "duplicate metadata key");
            }
            long typeAt = in.position();
            long typeId = in.u32(key + " (type)");
            GgufValueType type = GgufValueType.fromId(typeId);
            if (type == null) {
                throw new GgufFormatException(key, typeAt, "unknown metadata value type id " + typeId);
            }
            if (key.equals(ALIGNMENT_KEY)) {
                alignmentAt = typeAt;
            }
            kv.put(key, new GgufValue(type, readValue(in, type, key, 0)));
        }
        GgufMetadata metadata = new GgufMetadata(kv);
        long alignment = alignment(metadata, alignmentAt);

        List<GgufTensorInfo> infos = new ArrayList<>((int) Math.min(tensorCount, 1 << 16));
        // where each tensor's offset field sits, for errors found once all offsets are known
        List<Long> offsetFieldAt = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            long infoAt = in.position();
            String name = in.string("tensor #" + i + " name");
            if (!names.add(name)) {
                throw new GgufFormatException(name, infoAt, "duplicate tensor name");
            }
            long rankAt = in.position();
            long rank = in.u32(name + " (n_dims)");
            if (rank < 1 || rank > MAX_DIMS) {
                throw new GgufFormatException(name + " (n_dims)", rankAt,
                        "tensor rank " + rank + " is outside 1.." + MAX_DIMS);
            }
            long[] dims = new long[(int) rank];
            long elements = 1;
            for (int d = 0; d < rank; d++) {
                long dimAt = in.position();
                dims[d] = in.i64(name + " (dim " + d + ")");
                if (dims[d] < 0) {
                    throw new GgufFormatException(name + " (dim " + d + ")", dimAt,
                            "dimension " + Long.toUnsignedString(dims[d]) + " is too large");
                }
                if (dims[d] != 0 && elements > Long.MAX_VALUE / dims[d]) {
                    throw new GgufFormatException(name + " (dim " + d + ")", dimAt,
                            "element count overflows 64 bits");
                }
                elements *= dims[d];
            }
            long typeAt = in.position();
            long typeId = in.u32(name + " (type)");
            GgmlType type = GgmlType.fromId(typeId);
            if (type == null) {
                throw new GgufFormatException(name + " (type)", typeAt, "unknown tensor type id " + typeId);
            }
            if (dims[0] % type.blockSize() != 0) {
                throw new GgufFormatException(name + " (dim 0)", rankAt + 4,
                        "row length " + dims[0] + " is not a multiple of " + type + "'s block size " + type.blockSize());
            }
            if (type.byteSize(elements) < 0) {
                throw new GgufFormatException(name + " (type)", typeAt, "byte size overflows 64 bits");
            }
            long offsetAt = in.position();
            long offset = in.i64(name + " (offset)");
            if (offset < 0 || offset % alignment != 0) {
                throw new GgufFormatException(name + " (offset)", offsetAt, "data offset "
                        + Long.toUnsignedString(offset) + " is not a multiple of the alignment " + alignment);
            }
            infos.add(new GgufTensorInfo(name, type, dims, offset, -1));
            offsetFieldAt.add(offsetAt);
        }

        long dataOffset = alignUp(in.position(), alignment);
        if (tensorCount > 0 && dataOffset > in.fileSize()) {
            throw new GgufFormatException("data section", in.position(),
                    "file ends before the data section at " + dataOffset + " (truncated file?)");
        }
        long dataSize = Math.max(0, in.fileSize() - dataOffset);
        List<GgufTensorInfo> placed = new ArrayList<>(infos.size());
        for (int i = 0; i < infos.size(); i++) {
            GgufTensorInfo t = infos.get(i);
            long bytes = t.byteSize();
            if (t.relativeOffset() > dataSize || bytes > dataSize - t.relativeOffset()) {
                throw new GgufFormatException(t.name() + " (offset)", offsetFieldAt.get(i),
                        "tensor data [" + t.relativeOffset() + ", +" + bytes + ") runs past the end of the "
                                + dataSize + "-byte data section (truncated file?)");
            }
            placed.add(new GgufTensorInfo(t.name(), t.type(), t.dims(), t.relativeOffset(),
                    dataOffset + t.relativeOffset()));
        }
        checkNoOverlap(placed, offsetFieldAt);
        return new GgufShard(path, mapping, (int) version, metadata, placed, alignment, dataOffset);
    }

    /** {@code typeAt}: where the alignment's value type is stored; its value follows 4 bytes later. */
    private static long alignment(GgufMetadata metadata, long typeAt) throws GgufFormatException {
        GgufValue v = metadata.get(ALIGNMENT_KEY).orElse(null);
        if (v == null) {
            return DEFAULT_ALIGNMENT;
        }
        if (v.type() != GgufValueType.UINT32) {
            throw new GgufFormatException(ALIGNMENT_KEY, typeAt, "alignment must be a UINT32, found " + v.type());
        }
        long a = (Long) v.value();
        if (a == 0 || Long.bitCount(a) != 1) {
            throw new GgufFormatException(ALIGNMENT_KEY, typeAt + 4, "alignment " + a + " is not a power of two");
        }
        return a;
    }

    private static void checkNoOverlap(List<GgufTensorInfo> tensors, List<Long> offsetFieldAt) throws GgufFormatException {
        Integer[] order = new Integer[tensors.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, Comparator.comparingLong(i -> tensors.get(i).relativeOffset()));
        // Compare each tensor with the furthest-reaching non-empty one before it, not just its
        // neighbour: an empty tensor in between must not hide an overlap.
        GgufTensorInfo reach = null;
        for (int k = 0; k < order.length; k++) {
            GgufTensorInfo cur = tensors.get(order[k]);
            if (cur.byteSize() == 0) {
                continue;
            }
            if (reach != null && cur.relativeOffset() < reach.relativeOffset() + reach.byteSize()) {
                throw new GgufFormatException(cur.name() + " (offset)", offsetFieldAt.get(order[k]),
                        "tensor data overlaps tensor '" + reach.name() + "'");
            }
            reach = cur;
        }
    }

    private static Object readValue(GgufCursor in, GgufValueType type, String key, int depth) throws GgufFormatException {
        return switch (type) {
            case UINT8 -> (long) in.u8(key);
            case INT8 -> (long) in.i8(key);
            case UINT16 -> (long) in.u16(key);
            case INT16 -> (long) in.i16(key);
            case UINT32 -> in.u32(key);
            case INT32 -> (long) in.i32(key);
            case UINT64, INT64 -> in.i64(key);
            case FLOAT32 -> in.f32(key);
            case FLOAT64 -> in.f64(key);
            case BOOL -> in.bool(key);
            case STRING -> in.string(key);
            case ARRAY -> readArray(in, key, depth + 1);
        };
    }

    private static GgufArray readArray(GgufCursor in, String key, int depth) throws GgufFormatException {
        long at = in.position();
        if (depth > MAX_ARRAY_DEPTH) {
            throw new GgufFormatException(key, at, "arrays nested deeper than " + MAX_ARRAY_DEPTH);
        }
        long typeId = in.u32(key + " (array element type)");
        GgufValueType elementType = GgufValueType.fromId(typeId);
        if (elementType == null) {
            throw new GgufFormatException(key, at, "unknown array element type id " + typeId);
        }
        long n = in.length(key + " (array length)", elementType.minimumEncodedSize());
        if (n > Integer.MAX_VALUE - 8) {
            throw new GgufFormatException(key, at, "array of " + n + " elements is too long");
        }
        int len = (int) n;
        String elementField = key + " (array element)";
        Object values = switch (elementType) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> {
                long[] a = new long[len];
                for (int i = 0; i < len; i++) {
                    a[i] = (Long) readValue(in, elementType, elementField, depth);
                }
                yield a;
            }
            case FLOAT32 -> {
                float[] a = new float[len];
                for (int i = 0; i < len; i++) {
                    a[i] = in.f32(elementField);
                }
                yield a;
            }
            case FLOAT64 -> {
                double[] a = new double[len];
                for (int i = 0; i < len; i++) {
                    a[i] = in.f64(elementField);
                }
                yield a;
            }
            case BOOL -> {
                boolean[] a = new boolean[len];
                for (int i = 0; i < len; i++) {
                    a[i] = in.bool(elementField);
                }
                yield a;
            }
            case STRING -> {
                String[] a = new String[len];
                for (int i = 0; i < len; i++) {
                    a[i] = in.string(elementField);
                }
                yield a;
            }
            case ARRAY -> {
                GgufArray[] a = new GgufArray[len];
                for (int i = 0; i < len; i++) {
                    a[i] = readArray(in, key, depth + 1);
                }
                yield a;
            }
        };
        return new GgufArray(elementType, values);
    }

    static long alignUp(long offset, long alignment) {
        return (offset + alignment - 1) & -alignment;
    }
}
