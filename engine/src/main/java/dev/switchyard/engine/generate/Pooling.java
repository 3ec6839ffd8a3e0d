package dev.switchyard.engine.generate;

import java.util.Locale;

/**
 * How a prompt's final hidden states (after the output norm, before the output head) become one
 * embedding: as llama.cpp's pooling types, numbered as its GGUF key {@code <arch>.pooling_type} numbers
 * them.
 */
public enum Pooling {
    /** The mean over every prompt position. */
    MEAN(1),
    /** The first position's (a BERT-style classifier token). */
    CLS(2),
    /** The last position's: what a causal model has read the whole prompt by (Qwen3-Embedding's). */
    LAST(3);

    private final int ggufType;

    Pooling(int ggufType) {
        this.ggufType = ggufType;
    }

    /** The pooling a GGUF file's {@code pooling_type} names, or null for none this server pools by (0, 4 rank). */
    public static Pooling ofGguf(long type) {
        for (Pooling p : values()) {
            if (p.ggufType == type) {
                return p;
            }
        }
        return null;
    }

    /**
     * The pooling a model file names ({@code <arch>.pooling_type}, as llama.cpp's embedding models
     * carry it), else the last token's: the one a causal model has read the whole prompt by.
     */
    public static Pooling ofModel(dev.switchyard.engine.gguf.GgufMetadata metadata) {
        String arch = metadata.optString("general.architecture").orElse("");
        Pooling named = ofGguf(metadata.optLong(arch + ".pooling_type").orElse(0));
        return named != null ? named : LAST;
    }

    /** By name ({@code mean}, {@code cls}, {@code last}), as a flag spells it. */
    public static Pooling of(String name) {
        try {
            return valueOf(name.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("pooling must be mean, cls or last, got '" + name + "'");
        }
    }

    /** Whether the hidden state at {@code position} of a prompt of {@code length} tokens counts. */
    public boolean reads(int position, int length) {
        return switch (this) {
            case MEAN -> true;
            case CLS -> position == 0;
            case LAST -> position == length - 1;
        };
    }

    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
