package dev.switchyard.engine.gguf;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a model into parts as llama.cpp's {@code gguf-split} does, and merges a split model back
 * into one file. Tensor bytes go straight from the input's mapping into each output's, never
 * through the heap, and each part keeps every tensor exactly as stored (no requantizing).
 */
public final class GgufSplitWriter {

    /** How a model is to be cut into parts. */
    public record Limits(long maxBytes, int maxTensors, boolean tensorsInFirst) {

        public Limits {
            if (maxBytes <= 0 || maxTensors <= 0) {
                throw new IllegalArgumentException("a part must be allowed at least one tensor and one byte");
            }
        }
    }

    private GgufSplitWriter() {
    }

    /**
     * The parts' tensors, in the input's order: a part ends before the tensor that would take it
     * past {@code maxTensors} tensors or {@code maxBytes} of tensor data (each counted padded to
     * the alignment, as gguf-split counts); a tensor larger than {@code maxBytes} gets a part to
     * itself. Without {@code tensorsInFirst} the first part holds only metadata.
     */
    public static List<List<GgufTensorInfo>> plan(GgufFile in, Limits limits) {
        List<List<GgufTensorInfo>> parts = new ArrayList<>();
        if (!limits.tensorsInFirst()) {
            parts.add(List.of());
        }
        List<GgufTensorInfo> current = new ArrayList<>();
        long bytes = 0;
        for (GgufTensorInfo t : in.tensors()) {
            long size = GgufReader.alignUp(t.byteSize(), in.alignment());
            if (!current.isEmpty() && (current.size() >= limits.maxTensors() || bytes + size > limits.maxBytes())) {
                parts.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(t);
            bytes += size;
        }
        if (!current.isEmpty() || parts.isEmpty()) {
            parts.add(current);
        }
        return parts;
    }

    /**
     * Writes the parts {@link #plan} makes as {@code PREFIX-00001-of-0000N.gguf} and so on, and
     * returns their paths. The first holds the model's metadata, every part the split's keys.
     */
    public static List<Path> split(GgufFile in, Path prefix, Limits limits) throws IOException {
        List<List<GgufTensorInfo>> parts = plan(in, limits);
        if (parts.size() > 99_999) {
            throw new IllegalArgumentException("these limits would make " + parts.size() + " parts; at most 99999");
        }
        List<Path> written = new ArrayList<>(parts.size());
        for (int i = 0; i < parts.size(); i++) {
            GgufWriter w = new GgufWriter().version(in.version());
            if (i == 0) {
                putModelKeys(w, in.metadata());
            } else if (in.metadata().contains(GgufReader.ALIGNMENT_KEY)) {
                w.alignment(in.alignment());
            }
            w.put(GgufSplit.NO, new GgufValue(GgufValueType.UINT16, (long) i));
            w.put(GgufSplit.COUNT, new GgufValue(GgufValueType.UINT16, (long) parts.size()));
            w.put(GgufSplit.TENSORS, GgufValue.ofInt32(in.tensors().size()));
            for (GgufTensorInfo t : parts.get(i)) {
                copy(w, in, t);
            }
            Path path = GgufSplit.partPath(prefix, i, parts.size());
            w.write(path);
            written.add(path);
        }
        return written;
    }

    /** Writes the whole model {@code in} (split or not) as one file, without the split's keys. */
    public static void merge(GgufFile in, Path out) throws IOException {
        GgufWriter w = new GgufWriter().version(in.version());
        putModelKeys(w, in.metadata());
        for (GgufTensorInfo t : in.tensors()) {
            copy(w, in, t);
        }
        w.write(out);
    }

    private static void copy(GgufWriter w, GgufFile in, GgufTensorInfo t) {
        MemorySegment data = in.data(t);
        w.addTensor(t.name(), t.type(), t.dims(), target -> target.copyFrom(data));
    }

    /**
     * Puts every key of a model's metadata into {@code w} but the split's, which would make a whole
     * file written from a split model's first part claim to be that part.
     */
    public static void putModelKeys(GgufWriter w, GgufMetadata metadata) {
        metadata.asMap().forEach((key, value) -> {
            if (!key.equals(GgufSplit.NO) && !key.equals(GgufSplit.COUNT) && !key.equals(GgufSplit.TENSORS)) {
                w.put(key, value);
            }
        });
    }
}
