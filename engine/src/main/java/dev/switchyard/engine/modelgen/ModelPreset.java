package dev.switchyard.engine.modelgen;

/**
 * Model sizes for generated models. {@code tiny} is what the tests use; {@code bench} is the shape
 * every benchmark of the project is measured on, so it must stay exactly as it is.
 */
public enum ModelPreset {
    TINY(256, 4, 8, 2, 8, 2, 512, 2048),
    SMALL(512, 6, 8, 2, 8, 2, 1024, 4096),
    BENCH(1024, 8, 16, 4, 8, 2, 2816, 4096);

    private final int dim;
    private final int layers;
    private final int heads;
    private final int kvHeads;
    private final int experts;
    private final int topK;
    private final int expertFfn;
    private final int context;

    ModelPreset(int dim, int layers, int heads, int kvHeads, int experts, int topK, int expertFfn, int context) {
        this.dim = dim;
        this.layers = layers;
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.experts = experts;
        this.topK = topK;
        this.expertFfn = expertFfn;
        this.context = context;
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
}
