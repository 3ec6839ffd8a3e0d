package dev.switchyard.engine.sampling;

import java.util.SplittableRandom;

/** Crafted and random logit vectors for the sampling tests. */
final class Logits {

    private Logits() {
    }

    /** Logits whose softmax is {@code probabilities} (natural logs). */
    static float[] ofProbabilities(double... probabilities) {
        float[] logits = new float[probabilities.length];
        for (int i = 0; i < probabilities.length; i++) {
            logits[i] = (float) Math.log(probabilities[i]);
        }
        return logits;
    }

    /** Independent normal logits with the given spread, from a fixed seed. */
    static float[] normal(int vocab, double sd, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] logits = new float[vocab];
        for (int i = 0; i < vocab; i++) {
            logits[i] = (float) (random.nextGaussian() * sd);
        }
        return logits;
    }

    static float[] flat(int vocab) {
        return new float[vocab];
    }

    /** ln softmax in double, the reference for the sampler's log-probabilities. */
    static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double z = 0;
        for (float l : logits) {
            z += Math.exp(l - max);
        }
        double logZ = Math.log(z);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - max - logZ;
        }
        return out;
    }
}
