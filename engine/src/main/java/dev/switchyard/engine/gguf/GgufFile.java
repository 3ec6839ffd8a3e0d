package dev.switchyard.engine.gguf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An open GGUF file: its parsed header, and the whole file memory-mapped. Tensor data are views on
 * the mapping, never heap copies, so opening a 100 GB model costs only its header. Views stay valid
 * until {@link #close()}.
 */
public final class GgufFile implements AutoCloseable {

    private final Path path;
    /** Owns the mapping; null when the bytes were handed in by the caller. */
    private final Arena arena;
    private final MemorySegment mapping;
    private final int version;
    private final GgufMetadata metadata;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final long alignment;
    private final long dataOffset;

    GgufFile(Path path, Arena arena, MemorySegment mapping, int version, GgufMetadata metadata,
             List<GgufTensorInfo> tensors, long alignment, long dataOffset) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.version = version;
        this.metadata = metadata;
        this.tensors = List.copyOf(tensors);
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        for (GgufTensorInfo t : tensors) {
            byName.put(t.name(), t);
        }
        this.tensorsByName = Collections.unmodifiableMap(byName);
        this.alignment = alignment;
        this.dataOffset = dataOffset;
    }

    /** Opens and validates a file; see {@link GgufReader#open(Path)}. */
    public static GgufFile open(Path path) throws java.io.IOException {
        return GgufReader.open(path);
    }

    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    /** Tensor infos in file order. */
    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    public Optional<GgufTensorInfo> tensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    public GgufTensorInfo requireTensor(String name) {
        GgufTensorInfo t = tensorsByName.get(name);
        if (t == null) {
            throw new IllegalArgumentException("tensor '" + name + "' is missing from " + path);
        }
        return t;
    }

    public long alignment() {
        return alignment;
    }

    /** Where the tensor data section starts, in bytes from the start of the file. */
    public long dataOffset() {
        return dataOffset;
    }

    public long fileSize() {
        return mapping.byteSize();
    }

    /** The tensor's bytes: a read-only view on the mapping. */
    public MemorySegment data(GgufTensorInfo tensor) {
        return mapping.asSlice(tensor.absoluteOffset(), tensor.byteSize());
    }

    /** The whole mapped file, read-only. */
    public MemorySegment mapping() {
        return mapping;
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
