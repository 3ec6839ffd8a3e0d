package dev.switchyard.engine.gguf;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Models split over several GGUF files, as llama.cpp's {@code gguf-split} writes the big ones (a
 * DeepSeek-V3 or Qwen3-235B file comes as parts of under 50 GB): part {@code i} of {@code n} is named
 * {@code PREFIX-0000i-of-0000n.gguf} (five digits each, counting from 1), every part is a GGUF file
 * of its own holding {@code split.no} (from 0), {@code split.count} and {@code split.tensors.count},
 * the first part holds all of the model's other metadata, and each tensor is in exactly one part.
 * A model is opened by its first part; the others are found beside it by name.
 */
public final class GgufSplit {

    /** This part's index, from 0 (llama.cpp writes a UINT16). */
    public static final String NO = "split.no";
    /** How many parts (UINT16). */
    public static final String COUNT = "split.count";
    /** Tensors in all the parts together (INT32). */
    public static final String TENSORS = "split.tensors.count";

    private GgufSplit() {
    }

    /** Opens one file of a model (mapping it), for {@link #parts}. */
    @FunctionalInterface
    interface PartOpener {
        GgufShard open(Path path) throws IOException;
    }

    /** The name of part {@code no} (from 0) of {@code count}: {@code PREFIX-00001-of-00003.gguf} for the first of three. */
    public static Path partPath(Path prefix, int no, int count) {
        return prefix.resolveSibling(prefix.getFileName() + suffix(no, count));
    }

    private static String suffix(int no, int count) {
        return String.format(Locale.ROOT, "-%05d-of-%05d.gguf", no + 1, count);
    }

    /** How many parts the model {@code file} belongs to says it has: 1 for a whole model. */
    static int count(GgufShard file) throws GgufSplitException {
        OptionalLong count = integer(file, COUNT);
        if (count.isEmpty()) {
            return 1;
        }
        if (count.getAsLong() < 1 || count.getAsLong() > 99_999) {
            throw new GgufSplitException(name(file) + ": " + COUNT + " is " + count.getAsLong()
                    + ", not a number of parts from 1 to 99999");
        }
        return (int) count.getAsLong();
    }

    /**
     * All parts of the model whose first part is {@code first} ({@code count} of them, from
     * {@link #count}), opened in order, each checked to be the part its name says and the tensors
     * to be each in one part.
     */
    static List<GgufShard> parts(GgufShard first, int count, PartOpener opener) throws IOException {
        long no = integer(first, NO).orElseThrow(() -> new GgufSplitException(name(first) + " has " + COUNT + " "
                + count + " but no " + NO + ": not a part of a split model as gguf-split writes them"));
        String fileName = first.path().getFileName().toString();
        if (no != 0) {
            String firstName = fileName.endsWith(suffix((int) no, count))
                    ? fileName.substring(0, fileName.length() - suffix((int) no, count).length()) + suffix(0, count)
                    : "the file whose " + NO + " is 0";
            throw new GgufSplitException(name(first) + " is part " + (no + 1) + " of " + count
                    + " of a split model: open the model by its first part, " + firstName);
        }
        if (!fileName.endsWith(suffix(0, count))) {
            throw new GgufSplitException(name(first) + " is the first of " + count + " parts of a split model, but its "
                    + "name does not end in " + suffix(0, count) + ", so its other parts cannot be found: keep the "
                    + "names gguf-split gave them");
        }
        Path prefix = first.path().resolveSibling(fileName.substring(0, fileName.length() - suffix(0, count).length()));
        List<GgufShard> parts = new ArrayList<>(count);
        parts.add(first);
        Map<String, GgufShard> holder = new HashMap<>();
        remember(holder, first);
        for (int i = 1; i < count; i++) {
            Path path = partPath(prefix, i, count);
            if (!Files.exists(path)) {
                throw new GgufSplitException("part " + (i + 1) + " of " + count + " of the split model "
                        + first.path().getFileName() + " is missing: no file " + path,
                        new NoSuchFileException(path.toString()));
            }
            GgufShard part;
            try {
                part = opener.open(path);
            } catch (GgufFormatException e) {
                throw new GgufSplitException("part " + (i + 1) + " of " + count + " of the split model, " + path
                        + ", is not a GGUF file as it should be: " + e.getMessage(), e);
            }
            parts.add(part);
            OptionalLong partCount = integer(part, COUNT);
            OptionalLong partNo = integer(part, NO);
            if (partCount.isEmpty() || partCount.getAsLong() != count) {
                throw new GgufSplitException(name(part) + " is not part of the same split model as "
                        + first.path().getFileName() + ": its " + COUNT + " is "
                        + (partCount.isEmpty() ? "missing" : partCount.getAsLong()) + ", not " + count);
            }
            if (partNo.isEmpty() || partNo.getAsLong() != i) {
                throw new GgufSplitException(name(part) + " says it is part "
                        + (partNo.isEmpty() ? "(no " + NO + ")" : partNo.getAsLong() + 1) + ", but its name makes it part "
                        + (i + 1) + " of " + count);
            }
            remember(holder, part);
        }
        OptionalLong expected = integer(first, TENSORS);
        if (expected.isPresent() && expected.getAsLong() != holder.size()) {
            throw new GgufSplitException("the " + count + " parts of " + first.path().getFileName() + " hold "
                    + holder.size() + " tensors, but its " + TENSORS + " says " + expected.getAsLong());
        }
        return parts;
    }

    private static void remember(Map<String, GgufShard> holder, GgufShard part) throws GgufSplitException {
        for (GgufTensorInfo t : part.tensors()) {
            GgufShard before = holder.putIfAbsent(t.name(), part);
            if (before != null) {
                throw new GgufSplitException("tensor '" + t.name() + "' is in two parts of a split model: "
                        + before.path().getFileName() + " and " + part.path().getFileName());
            }
        }
    }

    private static OptionalLong integer(GgufShard file, String key) throws GgufSplitException {
        try {
            return file.metadata().optLong(key);
        } catch (MetadataException e) {
            throw new GgufSplitException(name(file) + ": " + e.getMessage(), e);
        }
    }

    private static String name(GgufShard file) {
        return file.path() == null ? "the file" : file.path().toString();
    }
}
