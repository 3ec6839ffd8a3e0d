package dev.switchyard.engine.modelgen;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Model sizes for generated models. {@code tiny} is what the tests use; {@code bench} is the shape
 * every benchmark of the project is measured on, so it must stay exactly as it is. {@code gpu-bench}
 * is Mixtral-8x7B's shape (dim 4096, 32 heads, 8 KV heads, 8 experts top-2, expert FFN 14336) cut to
 * 4 layers, for measuring the CUDA backend on a GPU (kernels/gpu-check.sh): 5.7 billion parameters,
 * 11.6 GB in bf16, so no test ever writes it. The sliding window is what gpt-oss's windowed blocks
 * take: 128 positions as in the released models, 16 in {@code tiny} so that tests' short sequences
 * outgrow it.
 */
public enum ModelPreset {
    TINY(256, 4, 8, 2, 8, 2, 512, 2048, 16),
    SMALL(512, 6, 8, 2, 8, 2, 1024, 4096, 64),
    BENCH(1024, 8, 16, 4, 8, 2, 2816, 4096, 128),
    GPU_BENCH(4096, 4, 32, 8, 8, 2, 14336, 4096, 128);

    private final int dim;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int experts;
    private final int topK;
    private final int expertFfn;
    private final int context;
    private final int slidingWindow;

    ModelPreset(int dim, int layers, int heads, int kvHeads, int experts, int topK, int expertFfn, int context,
                int slidingWindow) {
        this.dim = dim;
        this.layers = layers;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.experts = experts;
        this.topK = topK;
        this.expertFfn = expertFfn;
        this.context = context;
        this.slidingWindow = slidingWindow;
    }

    /** The name {@code make-model --preset} takes: {@code tiny}, {@code small}, {@code bench}, {@code gpu-bench}. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The preset named {@code name} as {@link #cliName()} spells it (case and surrounding blanks ignored). */
    public static ModelPreset parse(String name) {
        if (name != null) {
            String wanted = name.strip().toLowerCase(Locale.ROOT);
            for (ModelPreset p : values()) {
                if (p.cliName().equals(wanted)) {
                    return p;
                }
            }
        }
        throw new IllegalArgumentException("unknown preset " + (name == null ? "(none)" : "'" + name + "'")
                + " (choose from " + names() + ")");
    }

    /** The presets' names, comma-separated. */
    public static String names() {
        return Arrays.stream(values()).map(ModelPreset::cliName).collect(Collectors.joining(", "));
    }

    public int dim() {
        return dim;
    }

    public int layers() {
        return layers;
    }

    public int heads() {
        return heads;
    }

    public int kvHeads() {
        return kvHeads;
    }

    public int experts() {
        return experts;
    }

    public int topK() {
        return topK;
    }

    /** Width of one expert's FFN (and of the FFN of dense families). */
    public int expertFfn() {
        return expertFfn;
    }

    public int context() {
        return context;
    }

    /** The window of gpt-oss's windowed blocks, in positions. */
    public int slidingWindow() {
        return slidingWindow;
    }
}
