package dev.switchyard.engine.gguf;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;

/**
 * One file of a model: the whole model, or one part of a model split over several files (as
 * llama.cpp's {@code gguf-split} writes big models). Its tensors' offsets count from its own start.
 */
public final class GgufShard {

    private final Path path;
    private final MemorySegment mapping;
    private final int version;
    private final GgufMetadata metadata;
    private final List<GgufTensorInfo> tensors;
    private final long alignment;
    private final long dataOffset;

    GgufShard(Path path, MemorySegment mapping, int version, GgufMetadata metadata, List<GgufTensorInfo> tensors,
              long alignment, long dataOffset) {
        this.path = path;
        this.mapping = mapping;
        this.version = version;
        this.metadata = metadata;
        this.tensors = List.copyOf(tensors);
        this.alignment = alignment;
        this.dataOffset = dataOffset;
    }

    /** Null for bytes parsed from memory. */
    public Path path() {
        return path;
    }

    public int version() {
        return version;
    }

    /** This file's own keys: a split model's later parts hold only the split's. */
    public GgufMetadata metadata() {
        return metadata;
    }

    /** This file's tensors, in file order. */
    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    public long alignment() {
        return alignment;
    }

    /** Where this file's tensor data section starts, in bytes from its start. */
    public long dataOffset() {
        return dataOffset;
    }

    public long bytes() {
        return mapping.byteSize();
    }

    MemorySegment mapping() {
        return mapping;
    }
}
