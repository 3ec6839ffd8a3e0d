package dev.switchyard.engine.modelgen;

import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Path;

/**
 * What {@code make-model} is asked for: a family, a preset, optional overrides (null = preset's
 * value), the matrices' type, a seed, and optionally a file whose tokenizer to copy.
 */
public record ModelSpec(
        GeneratedArchitecture arch,
        ModelPreset preset,
        Integer layers,
        Integer dim,
        Integer heads,
        Integer kvHeads,
        Integer experts,
        Integer topK,
        Integer expertFfn,
        Integer context,
        GgmlType dtype,
        long seed,
        Path vocabFrom) {

    public static ModelSpec of(GeneratedArchitecture arch, ModelPreset preset, GgmlType dtype, long seed) {
        return new ModelSpec(arch, preset, null, null, null, null, null, null, null, null, dtype, seed, null);
    }

    public int resolvedLayers() {
        return layers != null ? layers : preset.layers();
    }

    public int resolvedDim() {
        return dim != null ? dim : preset.dim();
    }

    public int resolvedHeads() {
        return heads != null ? heads : preset.heads();
    }

    public int resolvedKvHeads() {
        return kvHeads != null ? kvHeads : Math.min(preset.kvHeads(), resolvedHeads());
    }

    public int resolvedExperts() {
        if (experts != null) {
            return experts;
        }
        return arch.moeByDefault() ? preset.experts() : 0;
    }

    public int resolvedTopK() {
        if (topK != null) {
            return topK;
        }
        return resolvedExperts() == 0 ? 0 : Math.min(preset.topK(), resolvedExperts());
    }

    public int resolvedExpertFfn() {
        return expertFfn != null ? expertFfn : preset.expertFfn();
    }

    public int resolvedContext() {
        return context != null ? context : preset.context();
    }
}
