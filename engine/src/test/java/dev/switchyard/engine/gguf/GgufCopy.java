package dev.switchyard.engine.gguf;

import java.lang.foreign.MemorySegment;
import java.util.function.Predicate;

/**
 * Copies a GGUF file's metadata and tensors into a writer, less what the caller leaves out, for
 * tests that need a variant of a generated model (a key changed, a tensor dropped or rewritten):
 * the caller then puts its own keys and tensors, and writes.
 */
public final class GgufCopy {

    private GgufCopy() {
    }

    /** A writer holding every key of {@code in} that {@code keepKey} takes and every tensor {@code keepTensor} takes. */
    public static GgufWriter of(GgufFile in, Predicate<String> keepKey, Predicate<GgufTensorInfo> keepTensor) {
        GgufWriter w = new GgufWriter();
        in.metadata().asMap().forEach((key, value) -> {
            if (keepKey.test(key)) {
                w.put(key, value);
            }
        });
        for (GgufTensorInfo t : in.tensors()) {
            if (keepTensor.test(t)) {
                copyTensor(w, in, t, t.name());
            }
        }
        return w;
    }

    /** A writer holding all of {@code in}. */
    public static GgufWriter of(GgufFile in) {
        return of(in, key -> true, t -> true);
    }

    /** Adds tensor {@code t} of {@code in}, as stored, under {@code name}. */
    public static void copyTensor(GgufWriter w, GgufFile in, GgufTensorInfo t, String name) {
        MemorySegment data = in.data(t);
        w.addTensor(name, t.type(), t.dims(), target -> target.copyFrom(data));
    }
}
