package dev.switchyard.engine.gguf;

import dev.switchyard.kernels.format.GgmlType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF files laid out as llama.cpp writes and expects them: header, metadata, tensor infos,
 * zero padding to the alignment, then each tensor's data at an aligned offset in the order added.
 *
 * <p>Tensor bytes are produced by a {@link TensorFiller} straight into a writable mapping of the
 * output, so a multi-GB model is never held on the heap. The file appears under its final name only
 * once complete (written beside it, then moved), so an interrupted run leaves no half model behind.
 */
public final class GgufWriter {

    /** Produces one tensor's bytes into {@code target}, which is exactly the tensor's byte size. */
    @FunctionalInterface
    public interface TensorFiller {
        void fill(MemorySegment target) throws IOException;
    }

    private record PendingTensor(String name, GgmlType type, long[] dims, long byteSize, TensorFiller filler) {
    }

    private final Map<String, GgufValue> metadata = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private int version = 3;
    private long alignment = GgufReader.DEFAULT_ALIGNMENT;

    /** GGUF version to write (2 or 3; they share one layout for little-endian files). */
    public GgufWriter version(int version) {
        if (version != 2 && version != 3) {
            throw new IllegalArgumentException("can write GGUF v2 or v3, not v" + version);
        }
        this.version = version;
        return this;
    }

    /** Sets the data alignment and records it as {@code general.alignment}. */
    public GgufWriter alignment(long alignment) {
        if (alignment <= 0 || alignment > Integer.MAX_VALUE || Long.bitCount(alignment) != 1) {
            throw new IllegalArgumentException("alignment must be a power of two, got " + alignment);
        }
        this.alignment = alignment;
        metadata.put(GgufReader.ALIGNMENT_KEY, GgufValue.ofUint32(alignment));
        return this;
    }

    public GgufWriter put(String key, GgufValue value) {
        if (GgufReader.ALIGNMENT_KEY.equals(key)) {
            if (value.type() != GgufValueType.UINT32) {
                throw new IllegalArgumentException(GgufReader.ALIGNMENT_KEY + " must be a UINT32");
            }
            return alignment((Long) value.value());
        }
        metadata.put(key, value);
        return this;
    }

    public GgufWriter putString(String key, String value) {
        return put(key, GgufValue.ofString(value));
    }

    public GgufWriter putUint32(String key, long value) {
        return put(key, GgufValue.ofUint32(value));
    }

    public GgufWriter putFloat32(String key, float value) {
        return put(key, GgufValue.ofFloat32(value));
    }

    public GgufWriter putBool(String key, boolean value) {
        return put(key, GgufValue.ofBool(value));
    }

    public GgufWriter putArray(String key, GgufArray value) {
        return put(key, GgufValue.ofArray(value));
    }

    public GgufWriter putAll(GgufMetadata source) {
        source.asMap().forEach(this::put);
        return this;
    }

    /** Adds a tensor; {@code dims[0]} is the contiguous dimension, as in ggml. */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, TensorFiller filler) {
        if (dims.length < 1 || dims.length > GgufReader.MAX_DIMS) {
            throw new IllegalArgumentException(name + ": rank must be 1.." + GgufReader.MAX_DIMS);
        }
        long elements = 1;
        for (long d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException(name + ": negative dimension");
            }
            elements = Math.multiplyExact(elements, d);
        }
        if (dims[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException(name + ": row length " + dims[0]
                    + " is not a multiple of " + type + "'s block size " + type.blockSize());
        }
        for (PendingTensor t : tensors) {
            if (t.name.equals(name)) {
                throw new IllegalArgumentException("duplicate tensor name " + name);
            }
        }
        long byteSize = type.byteSize(elements);
        if (byteSize < 0) {
            throw new IllegalArgumentException(name + ": byte size of " + elements + " " + type + " values overflows 64 bits");
        }
        tensors.add(new PendingTensor(name, type, dims.clone(), byteSize, filler));
        return this;
    }

    /** The header (everything before the data section, padding included). */
    byte[] header() {
        LittleEndianOut out = new LittleEndianOut();
        out.u32(GgufReader.MAGIC);
        out.u32(version);
        out.u64(tensors.size());
        out.u64(metadata.size());
        for (Map.Entry<String, GgufValue> e : metadata.entrySet()) {
            out.string(e.getKey());
            out.u32(e.getValue().type().id());
            writeValue(out, e.getValue().type(), e.getValue().value());
        }
        long offset = 0;
        for (PendingTensor t : tensors) {
            out.string(t.name);
            out.u32(t.dims.length);
            for (long d : t.dims) {
                out.u64(d);
            }
            out.u32(t.type.id());
            out.u64(offset);
            offset = GgufReader.alignUp(offset + t.byteSize, alignment);
        }
        out.padTo(alignment);
        return out.toByteArray();
    }

    /** Writes the file; tensors are filled in parallel when {@code parallel} is set. */
    public void write(Path path, boolean parallel) throws IOException {
        byte[] header = header();
        long[] offsets = new long[tensors.size()];
        long dataSize = 0;
        for (int i = 0; i < tensors.size(); i++) {
            offsets[i] = dataSize;
            dataSize = GgufReader.alignUp(dataSize + tensors.get(i).byteSize, alignment);
        }
        // llama.cpp pads the last tensor too; trailing padding is harmless and keeps sizes aligned.
        long total = header.length + dataSize;
        Path absolute = path.toAbsolutePath();
        Path tmp = absolute.resolveSibling(absolute.getFileName() + ".partial");
        try (Arena arena = Arena.ofShared();
             FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                     StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            MemorySegment file = ch.map(FileChannel.MapMode.READ_WRITE, 0, total, arena);
            MemorySegment.copy(MemorySegment.ofArray(header), 0, file, 0, header.length);
            var indices = java.util.stream.IntStream.range(0, tensors.size());
            (parallel ? indices.parallel() : indices).forEach(i -> {
                PendingTensor t = tensors.get(i);
                try {
                    t.filler.fill(file.asSlice(header.length + offsets[i], t.byteSize));
                } catch (IOException e) {
                    throw new UncheckedIOException(t.name + ": " + e.getMessage(), e);
                }
            });
            file.force();
        } catch (IOException | RuntimeException | Error e) {
            Files.deleteIfExists(tmp);
            if (e instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            throw e;
        }
        try {
            Files.move(tmp, absolute, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException | RuntimeException | Error e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    public void write(Path path) throws IOException {
        write(path, false);
    }

    private static void writeValue(LittleEndianOut out, GgufValueType type, Object value) {
        if (type.isInteger() && type.fixedSize() < 8) {
            // Writing only the low bytes would silently store a different number.
            long v = (Long) value;
            int bits = type.fixedSize() * 8;
            boolean signed = type == GgufValueType.INT8 || type == GgufValueType.INT16 || type == GgufValueType.INT32;
            long min = signed ? -(1L << (bits - 1)) : 0;
            long max = signed ? (1L << (bits - 1)) - 1 : (1L << bits) - 1;
            if (v < min || v > max) {
                throw new IllegalArgumentException(type + " value " + v + " is outside [" + min + ", " + max + "]");
            }
        }
        switch (type) {
            case UINT8, INT8, BOOL -> out.u8(type == GgufValueType.BOOL ? ((Boolean) value ? 1 : 0) : (int) (long) (Long) value);
            case UINT16, INT16 -> out.u16((int) (long) (Long) value);
            case UINT32, INT32 -> out.u32((int) (long) (Long) value);
            case UINT64, INT64 -> out.u64((Long) value);
            case FLOAT32 -> out.u32(Float.floatToRawIntBits((Float) value));
            case FLOAT64 -> out.u64(Double.doubleToRawLongBits((Double) value));
            case STRING -> out.string((String) value);
            case ARRAY -> writeArray(out, (GgufArray) value);
        }
    }

    private static void writeArray(LittleEndianOut out, GgufArray array) {
        out.u32(array.elementType().id());
        out.u64(array.length());
        switch (array.values()) {
            case long[] a -> {
                for (long v : a) {
                    writeValue(out, array.elementType(), v);
                }
            }
            case float[] a -> {
                for (float v : a) {
                    out.u32(Float.floatToRawIntBits(v));
                }
            }
            case double[] a -> {
                for (double v : a) {
                    out.u64(Double.doubleToRawLongBits(v));
                }
            }
            case boolean[] a -> {
                for (boolean v : a) {
                    out.u8(v ? 1 : 0);
                }
            }
            case String[] a -> {
                for (String v : a) {
                    out.string(v);
                }
            }
            case GgufArray[] a -> {
                for (GgufArray v : a) {
                    writeArray(out, v);
                }
            }
            default -> throw new IllegalStateException();
        }
    }

    /** A growable little-endian byte sink for the header. */
    private static final class LittleEndianOut {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream(1 << 16);
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        void u8(int v) {
            bytes.write(v);
        }

        void u16(int v) {
            scratch.clear();
            scratch.putShort((short) v);
            bytes.write(scratch.array(), 0, 2);
        }

        void u32(int v) {
            scratch.clear();
            scratch.putInt(v);
            bytes.write(scratch.array(), 0, 4);
        }

        void u32(long v) {
            u32((int) v);
        }

        void u64(long v) {
            scratch.clear();
            scratch.putLong(v);
            bytes.write(scratch.array(), 0, 8);
        }

        void string(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            bytes.write(b, 0, b.length);
        }

        void padTo(long alignment) {
            while (bytes.size() % alignment != 0) {
                bytes.write(0);
            }
        }

        byte[] toByteArray() {
            return bytes.toByteArray();
        }
    }
}
