package dev.switchyard.cache;

/**
 * One routed expert of one layer: the unit the device tier holds and the link moves (its gate, up
 * and down matrices together, as mixtral-offloading packs them so a swap is one copy).
 *
 * <p>The simulator works on {@link #index dense indices} ({@code layer * experts + expert}) so its
 * inner loops allocate nothing; this record is the name at the edges (Caffeine keys, reports).
 */
public record ExpertKey(int layer, int expert) {

    public ExpertKey {
        if (layer < 0 || expert < 0) {
            throw new IllegalArgumentException("negative layer or expert: " + layer + "/" + expert);
        }
    }

    /** The key's dense index in a model with {@code experts} routed experts per layer. */
    public int index(int experts) {
        return layer * experts + expert;
    }

    public static ExpertKey ofIndex(int index, int experts) {
        return new ExpertKey(index / experts, index % experts);
    }

    @Override
    public String toString() {
        return "L" + layer + "/E" + expert;
    }
}
