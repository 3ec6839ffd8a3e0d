package dev.switchyard.engine.gguf;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * Assembles GGUF bytes by hand, independently of {@link GgufWriter}, so tests can state exactly
 * which bytes a file holds and build malformed files the writer would refuse to produce.
 *
 * <p>Every field is recorded with the name {@link GgufReader} gives it in a
 * {@link GgufFormatException}, keyed by the offset where it starts, so a test can check that an
 * error points at a real field of the file: {@link #labelAt(long)} and {@link #offsetOf(String)}.
 */
final class GgufBytes {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
    private final TreeMap<Long, String> labels = new TreeMap<>();

    /** Current length, i.e. the offset the next field will start at. */
    long size() {
        return out.size();
    }

    byte[] toArray() {
        return out.toByteArray();
    }

    MemorySegment segment() {
        return MemorySegment.ofArray(toArray());
    }

    GgufFile parse() throws GgufFormatException {
        return GgufReader.parse(segment());
    }

    /** The field starting at {@code offset}, or null when no field starts there. */
    String labelAt(long offset) {
        return labels.get(offset);
    }

    /** The offset of the first field with this label. */
    long offsetOf(String label) {
        for (Map.Entry<Long, String> e : labels.entrySet()) {
            if (e.getValue().equals(label)) {
                return e.getKey();
            }
        }
        throw new IllegalArgumentException("no field labelled " + label);
    }

    /** The offset of the last field with this label (e.g. the second of two duplicate keys). */
    long lastOffsetOf(String label) {
        long found = -1;
        for (Map.Entry<Long, String> e : labels.entrySet()) {
            if (e.getValue().equals(label)) {
                found = e.getKey();
            }
        }
        if (found < 0) {
            throw new IllegalArgumentException("no field labelled " + label);
        }
        return found;
    }

    private GgufBytes label(String label) {
        labels.putIfAbsent((long) out.size(), label);
        return this;
    }

    private GgufBytes put(int bytes) {
        out.write(scratch.array(), 0, bytes);
        return this;
    }

    GgufBytes u8(String label, int v) {
        label(label);
        out.write(v);
        return this;
    }

    GgufBytes u16(String label, int v) {
        label(label);
        scratch.clear();
        scratch.putShort((short) v);
        return put(2);
    }

    GgufBytes u32(String label, long v) {
        label(label);
        scratch.clear();
        scratch.putInt((int) v);
        return put(4);
    }

    GgufBytes u64(String label, long v) {
        label(label);
        scratch.clear();
        scratch.putLong(v);
        return put(8);
    }

    GgufBytes f32(String label, float v) {
        return u32(label, Float.floatToRawIntBits(v));
    }

    GgufBytes f64(String label, double v) {
        return u64(label, Double.doubleToRawLongBits(v));
    }

    /** A GGUF string: uint64 byte length, then UTF-8 bytes. */
    GgufBytes str(String label, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        u64(label + " (string length)", b.length);
        if (b.length > 0) {
            label(label);
        }
        out.write(b, 0, b.length);
        return this;
    }

    GgufBytes raw(String label, byte[] bytes) {
        if (bytes.length > 0) {
            label(label);
        }
        out.write(bytes, 0, bytes.length);
        return this;
    }

    GgufBytes zeros(String label, int n) {
        return raw(label, new byte[n]);
    }

    /** Zero padding up to the next multiple of {@code alignment}; labelled as the reader reports a short file. */
    GgufBytes padTo(long alignment) {
        int n = (int) (GgufReader.alignUp(out.size(), alignment) - out.size());
        return zeros("data section", n);
    }

    // ---- GGUF structures, labelled as GgufReader names them ----

    /** Magic, version, tensor_count and metadata_kv_count. */
    GgufBytes header(long version, long tensorCount, long kvCount) {
        return u32("magic", GgufReader.MAGIC)
                .u32("version", version)
                .u64("tensor_count", tensorCount)
                .u64("metadata_kv_count", kvCount);
    }

    /** The {@code index}-th metadata key and its value type id; the value follows. */
    GgufBytes key(int index, String key, int typeId) {
        return str("metadata key #" + index, key).u32(key + " (type)", typeId);
    }

    GgufBytes key(int index, String key, GgufValueType type) {
        return key(index, key, type.id());
    }

    /** An array header inside the value of {@code key}: element type id and count. */
    GgufBytes arrayHeader(String key, int elementTypeId, long count) {
        return u32(key + " (array element type)", elementTypeId).u64(key + " (array length)", count);
    }

    /** One tensor info. */
    GgufBytes tensorInfo(int index, String name, long[] dims, int typeId, long offset) {
        str("tensor #" + index + " name", name);
        u32(name + " (n_dims)", dims.length);
        for (int d = 0; d < dims.length; d++) {
            u64(name + " (dim " + d + ")", dims[d]);
        }
        return u32(name + " (type)", typeId).u64(name + " (offset)", offset);
    }

    GgufBytes tensorInfo(int index, String name, long[] dims, dev.switchyard.kernels.format.GgmlType type, long offset) {
        return tensorInfo(index, name, dims, type.id(), offset);
    }

    /** Overwrites 8 bytes at {@code offset} of {@code bytes} with a little-endian long. */
    static void putLong(byte[] bytes, int offset, long v) {
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(offset, v);
    }

    static void putInt(byte[] bytes, int offset, int v) {
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt(offset, v);
    }
}
