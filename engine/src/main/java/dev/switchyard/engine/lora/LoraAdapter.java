package dev.switchyard.engine.lora;

import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufMetadata;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A LoRA adapter in GGUF, as llama.cpp's {@code convert_lora_to_gguf.py} writes it, checked against
 * the model it is for. The file says {@code general.type = adapter} and {@code adapter.type = lora},
 * names the model's architecture, and holds {@code adapter.lora.alpha}; each adapted matrix W
 * ({@code out x in}) has a pair of tensors named after it, {@code <W>.lora_a} of ggml shape
 * {@code [in, rank]} and {@code <W>.lora_b} of {@code [rank, out]}, so that the adapted product is
 * {@code W x + s (B (A x))}, with {@code s = scale x alpha / rank} (the scale alone where alpha is 0
 * or missing, as llama.cpp does). Both are ordinary row-major matrices to a backend: A has
 * {@code rank} rows of {@code in}, B has {@code out} rows of {@code rank}. Routed experts' stacked
 * matrices {@code [in, out, experts]} have stacked pairs, {@code [in, rank, experts]} and
 * {@code [rank, out, experts]}: expert e's product gains its own pair's share.
 *
 * <p>Keeps the file mapped until closed, since the backend's weights may be views on it.
 */
public final class LoraAdapter implements AutoCloseable {

    private static final String A = ".lora_a";
    private static final String B = ".lora_b";

    /** One adapted matrix: its target, block (0 for the output head), and the two tensors. */
    public record Pair(LoraTarget target, int layer, GgufTensorInfo a, GgufTensorInfo b) {

        /** The adapter's rank on this matrix. */
        public int rank() {
            return Math.toIntExact(a.dim(1));
        }
    }

    private final GgufFile file;
    private final String name;
    private final float alpha;
    private final String taskName;
    private final String promptPrefix;
    private final List<Pair> pairs;

    private LoraAdapter(GgufFile file, String name, float alpha, String taskName, String promptPrefix, List<Pair> pairs) {
        this.file = file;
        this.name = name;
        this.alpha = alpha;
        this.taskName = taskName;
        this.promptPrefix = promptPrefix;
        this.pairs = List.copyOf(pairs);
    }

    /**
     * Opens the adapter at {@code path} for the model in {@code base}.
     *
     * @throws LoraAdapterException if it is not a LoRA adapter, is for another architecture, or
     *                              names a matrix the model lacks, cannot adapt, or of another shape
     * @throws IOException          if the file cannot be read or is not well-formed GGUF
     */
    public static LoraAdapter open(Path path, GgufFile base) throws IOException {
        GgufFile file = GgufFile.open(path);
        try {
            GgufMetadata m = file.metadata();
            String type = m.optString("general.type").orElse(null);
            if (!"adapter".equals(type)) {
                throw new LoraAdapterException(path, type == null
                        ? "not an adapter (general.type is missing; a model file is not an adapter)"
                        : "not an adapter (general.type is '" + type + "', not 'adapter')");
            }
            String adapterType = m.optString("adapter.type").orElse("(missing)");
            if (!adapterType.equals("lora")) {
                throw new LoraAdapterException(path, "adapter.type is '" + adapterType + "'; only 'lora' adapters are read");
            }
            String arch = m.optString("general.architecture").orElse("(missing)");
            String baseArch = base.metadata().optString("general.architecture").orElse("(missing)");
            if (!arch.equals(baseArch)) {
                throw new LoraAdapterException(path, "made for architecture '" + arch + "', but the model is '"
                        + baseArch + "'");
            }
            if (m.contains("adapter.alora.invocation_tokens")) {
                throw new LoraAdapterException(path, "an activated LoRA (adapter.alora.invocation_tokens), "
                        + "which applies only after its invocation tokens, is not supported");
            }
            double alpha = m.optDouble("adapter.lora.alpha").orElse(0);
            if (!Double.isFinite(alpha) || alpha < 0) {
                throw new LoraAdapterException(path, "adapter.lora.alpha must be a finite number of 0 or more, got " + alpha);
            }
            List<Pair> pairs = pairs(path, file, base);
            String name = path.getFileName().toString().replaceFirst("(?i)\\.gguf$", "");
            return new LoraAdapter(file, name, (float) alpha, m.optString("adapter.lora.task_name").orElse(null),
                    m.optString("adapter.lora.prompt_prefix").orElse(null), pairs);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static List<Pair> pairs(Path path, GgufFile file, GgufFile base) {
        Map<String, GgufTensorInfo[]> byBase = new TreeMap<>();
        for (GgufTensorInfo t : file.tensors()) {
            String n = t.name();
            boolean isA = n.endsWith(A);
            if (!isA && !n.endsWith(B)) {
                throw new LoraAdapterException(path, "tensor " + n + " is neither a .lora_a nor a .lora_b tensor");
            }
            byBase.computeIfAbsent(n.substring(0, n.length() - A.length()), k -> new GgufTensorInfo[2])[isA ? 0 : 1] = t;
        }
        if (byBase.isEmpty()) {
            throw new LoraAdapterException(path, "holds no LoRA tensors");
        }
        List<Pair> pairs = new ArrayList<>();
        for (Map.Entry<String, GgufTensorInfo[]> e : byBase.entrySet()) {
            String baseName = e.getKey();
            GgufTensorInfo a = e.getValue()[0];
            GgufTensorInfo b = e.getValue()[1];
            if (a == null || b == null) {
                throw new LoraAdapterException(path, baseName + " has " + (a == null ? "a .lora_b but no .lora_a"
                        : "a .lora_a but no .lora_b"));
            }
            Pair pair = target(path, baseName, a, b);
            GgufTensorInfo w = base.tensor(baseName).orElseThrow(() -> new LoraAdapterException(path,
                    baseName + " is not a tensor of the model" + (baseName.equals("output.weight")
                            ? " (its output head is its token embedding)" : "")));
            checkShapes(path, baseName, pair.target().perExpert(), w, a, b);
            pairs.add(pair);
        }
        pairs.sort(Comparator.comparingInt(Pair::layer).thenComparing(Pair::target));
        return pairs;
    }

    /** The target a base tensor's name stands for, or why it cannot be adapted. */
    private static Pair target(Path path, String baseName, GgufTensorInfo a, GgufTensorInfo b) {
        String n = baseName;
        if (!n.endsWith(".weight")) {
            throw new LoraAdapterException(path, baseName + " is not a weight matrix (its name does not end in .weight)");
        }
        n = n.substring(0, n.length() - ".weight".length());
        int layer = 0;
        if (n.startsWith("blk.")) {
            int dot = n.indexOf('.', 4);
            try {
                layer = dot < 0 ? -1 : Integer.parseInt(n.substring(4, dot));
            } catch (NumberFormatException ex) {
                layer = -1;
            }
            if (layer < 0) {
                throw new LoraAdapterException(path, baseName + " does not name a block");
            }
            n = n.substring(dot + 1);
            String shortName = n;
            LoraTarget t = LoraTarget.ofTensor(shortName).filter(LoraTarget::perBlock).orElseThrow(() ->
                    new LoraAdapterException(path, baseName + ": " + LoraTarget.whyNot(shortName)));
            return new Pair(t, layer, a, b);
        }
        if (n.equals(LoraTarget.OUTPUT.tensor())) {
            return new Pair(LoraTarget.OUTPUT, 0, a, b);
        }
        String shortName = n;
        throw new LoraAdapterException(path, baseName + ": " + LoraTarget.whyNot(shortName));
    }

    private static void checkShapes(Path path, String baseName, boolean stacked, GgufTensorInfo w, GgufTensorInfo a,
                                    GgufTensorInfo b) {
        int rank = stacked ? 3 : 2;
        if (w.rank() != rank || a.rank() != rank || b.rank() != rank) {
            throw new LoraAdapterException(path, baseName + ": the model's matrix and both LoRA tensors must be "
                    + (stacked ? "three-dimensional, a matrix per expert" : "two-dimensional") + " (" + w + ", " + a
                    + ", " + b + ")");
        }
        if (stacked && (a.dim(2) != w.dim(2) || b.dim(2) != w.dim(2))) {
            throw new LoraAdapterException(path, baseName + ": the model has " + w.dim(2) + " experts, but lora_a "
                    + shape(a) + " and lora_b " + shape(b) + " stack " + a.dim(2) + " and " + b.dim(2));
        }
        long in = w.dim(0);
        long out = w.dim(1);
        if (a.dim(0) != in || b.dim(1) != out) {
            throw new LoraAdapterException(path, baseName + ": the model's matrix is [" + in + ", " + out
                    + "] (ggml order), but lora_a is " + shape(a) + " and lora_b " + shape(b)
                    + " where [" + in + ", rank] and [rank, " + out + "] are needed");
        }
        if (a.dim(1) != b.dim(0) || a.dim(1) < 1) {
            throw new LoraAdapterException(path, baseName + ": lora_a " + shape(a) + " and lora_b " + shape(b)
                    + " do not share a rank (a lora_a that is not transposed, as older converters wrote it?)");
        }
    }

    private static String shape(GgufTensorInfo t) {
        return java.util.Arrays.toString(t.dims());
    }

    /** The file's name without {@code .gguf}: what the adapter is called unless given another name. */
    public String name() {
        return name;
    }

    public Path path() {
        return file.path();
    }

    /** {@code adapter.lora.alpha}, 0 where the file has none. */
    public float alpha() {
        return alpha;
    }

    /** The scale a pair's product is multiplied by at a user scale of {@code scale}: scale x alpha / rank. */
    public float effectiveScale(Pair pair, float scale) {
        return alpha != 0 ? scale * alpha / pair.rank() : scale;
    }

    /** {@code adapter.lora.task_name}, where the file names the task it was trained for. */
    public Optional<String> taskName() {
        return Optional.ofNullable(taskName);
    }

    /** {@code adapter.lora.prompt_prefix}, where the file gives one. */
    public Optional<String> promptPrefix() {
        return Optional.ofNullable(promptPrefix);
    }

    /** The adapted matrices, by block then target. */
    public List<Pair> pairs() {
        return pairs;
    }

    /** The file the tensors are read from (mapped until {@link #close()}). */
    public GgufFile file() {
        return file;
    }

    /** Bytes of LoRA tensors. */
    public long bytes() {
        long sum = 0;
        for (Pair p : pairs) {
            sum += p.a().byteSize() + p.b().byteSize();
        }
        return sum;
    }

    @Override
    public void close() {
        file.close();
    }
}
