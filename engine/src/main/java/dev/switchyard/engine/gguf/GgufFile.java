package dev.switchyard.engine.gguf;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An open GGUF model: its parsed header, and its file memory-mapped, or each of its files where the
 * model is split over several ({@link GgufSplit}). Tensor data are views on the mappings, never heap
 * copies, so opening a 100 GB model costs only its headers. Views stay valid until {@link #close()}.
 */
public final class GgufFile implements AutoCloseable {

    /** Owns the mappings; null when the bytes were handed in by the caller. */
    private final Arena arena;
    /** The file opened first; a split model's first part, which holds the model's metadata. */
    private final List<GgufShard> shards;
    private final List<GgufTensorInfo> tensors;
    private final Map<String, GgufTensorInfo> tensorsByName;
    /** Each tensor's file, by name (names are unique across a split model's parts). */
    private final Map<String, GgufShard> shardOf;

    GgufFile(Arena arena, List<GgufShard> shards) {
        this.arena = arena;
        this.shards = List.copyOf(shards);
        List<GgufTensorInfo> all = new ArrayList<>();
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        Map<String, GgufShard> where = new HashMap<>();
        for (GgufShard s : shards) {
            for (GgufTensorInfo t : s.tensors()) {
                all.add(t);
                byName.put(t.name(), t);
                where.put(t.name(), s);
            }
        }
        this.tensors = List.copyOf(all);
        this.tensorsByName = Collections.unmodifiableMap(byName);
        this.shardOf = where;
    }

    /** Opens and validates a file, and the rest of its model where it is a split's first part; see {@link GgufReader#open(Path)}. */
    public static GgufFile open(Path path) throws java.io.IOException {
        return GgufReader.open(path);
    }

    /** The file opened: a split model's first part. */
    public Path path() {
        return first().path();
    }

    public int version() {
        return first().version();
    }

    /** The model's metadata (a split model's first part holds it). */
    public GgufMetadata metadata() {
        return first().metadata();
    }

    /** The model's files: one, or a split model's parts in order. */
    public List<GgufShard> shards() {
        return shards;
    }

    /** Whether the model is split over several files. */
    public boolean isSplit() {
        return shards.size() > 1;
    }

    /** Tensor infos in file order (a split model's in part order). */
    public List<GgufTensorInfo> tensors() {
        return tensors;
    }

    public Optional<GgufTensorInfo> tensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    public GgufTensorInfo requireTensor(String name) {
        GgufTensorInfo t = tensorsByName.get(name);
        if (t == null) {
            throw new IllegalArgumentException("tensor '" + name + "' is missing from " + path());
        }
        return t;
    }

    /** The file holding {@code tensor}. */
    public GgufShard shardOf(GgufTensorInfo tensor) {
        GgufShard s = shardOf.get(tensor.name());
        if (s == null) {
            throw new IllegalArgumentException("tensor '" + tensor.name() + "' is not in " + path());
        }
        return s;
    }

    /** The first file's data alignment. */
    public long alignment() {
        return first().alignment();
    }

    /** Where the first file's tensor data section starts, in bytes from its start. */
    public long dataOffset() {
        return first().dataOffset();
    }

    /** Bytes of all the model's files. */
    public long fileSize() {
        long total = 0;
        for (GgufShard s : shards) {
            total += s.bytes();
        }
        return total;
    }

    /** The tensor's bytes: a read-only view on its file's mapping. */
    public MemorySegment data(GgufTensorInfo tensor) {
        return shardOf(tensor).mapping().asSlice(tensor.absoluteOffset(), tensor.byteSize());
    }

    private GgufShard first() {
        return shards.getFirst();
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
        }
    }
}
