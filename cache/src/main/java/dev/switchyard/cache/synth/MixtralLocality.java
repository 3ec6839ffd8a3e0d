package dev.switchyard.cache.synth;

/**
 * Per-layer routing locality measured on Mixtral-8x7B (Jiang et al., 2024, "Mixtral of Experts",
 * Table 5, over The Pile validation subsets): how often consecutive tokens keep the same
 * first-choice expert, and how often their top-2 sets share an expert. The paper reports layers
 * 0, 15 and 31; between them we interpolate linearly by relative depth, so a model of any depth gets
 * a profile of the same shape. The anchor values are the middles of the ranges across subsets.
 *
 * <pre>
 *   layer   same first choice   shared top-2     (random, 8 experts top-2: 12.5%, 46.4%)
 *   0       14%                 45-50%
 *   15      24-28%              62-67%
 *   31      20-26%              45-54%
 * </pre>
 */
public final class MixtralLocality {

    private static final double[] DEPTH = {0.0, 15.0 / 31.0, 1.0};
    private static final double[] SAME_FIRST = {0.14, 0.26, 0.23};
    private static final double[] SHARED_TOP2 = {0.475, 0.645, 0.495};

    private MixtralLocality() {
    }

    /** Target share of consecutive tokens with the same first choice at {@code layer} of {@code layers}. */
    public static double sameFirst(int layer, int layers) {
        return interpolate(SAME_FIRST, relativeDepth(layer, layers));
    }

    /** Target share of consecutive tokens whose top-2 sets intersect at {@code layer} of {@code layers}. */
    public static double sharedTop2(int layer, int layers) {
        return interpolate(SHARED_TOP2, relativeDepth(layer, layers));
    }

    private static double relativeDepth(int layer, int layers) {
        return layers == 1 ? 0 : (double) layer / (layers - 1);
    }

    private static double interpolate(double[] values, double x) {
        for (int i = 1; i < DEPTH.length; i++) {
            if (x <= DEPTH[i]) {
                double f = (x - DEPTH[i - 1]) / (DEPTH[i] - DEPTH[i - 1]);
                return values[i - 1] + f * (values[i] - values[i - 1]);
            }
        }
        return values[values.length - 1];
    }
}
