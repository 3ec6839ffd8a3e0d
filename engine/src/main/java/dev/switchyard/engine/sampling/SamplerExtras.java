package dev.switchyard.engine.sampling;

import java.util.Set;

/**
 * llama.cpp's further samplers, each off by default: locally typical sampling ({@code typical_p}),
 * top-n-sigma, XTC ("exclude top choices") and DRY ("don't repeat yourself"). See {@link Sampler}
 * for where each applies.
 *
 * @param typicalP       keep the tokens whose surprise is closest to the distribution's entropy,
 *                       as few as reach this mass; in (0, 1], 1 turns it off
 * @param topNSigma      keep the tokens whose logit is within this many standard deviations (of the
 *                       row's logits) of the best; above 0, or 0 or less for off
 * @param xtcProbability how often XTC acts, in [0, 1]; 0 turns it off
 * @param xtcThreshold   XTC removes every token at least this probable but the least probable of
 *                       them, when two or more are; in (0, 0.5]
 * @param dry            the DRY penalty, or {@link Dry#OFF}
 */
public record SamplerExtras(double typicalP, double topNSigma, double xtcProbability, double xtcThreshold, Dry dry) {

    public static final SamplerExtras NONE = new SamplerExtras(1, 0, 0, 0.1, Dry.OFF);

    /**
     * DRY: a token that would extend a repetition of what came before is penalized by
     * {@code multiplier * base^(length - allowedLength)} where {@code length}, at least
     * {@code allowedLength}, is how far the text before it repeats an earlier passage that the token
     * followed. Repetitions do not reach across a sequence breaker (a token whose text holds one of
     * the breaker strings: line ends, colons, quotes, asterisks by default).
     *
     * @param multiplier    0 turns it off
     * @param base          above 1
     * @param allowedLength repetitions shorter than this go unpenalized, at least 1
     * @param lastN         how many of the last tokens are searched; 0 or less: all of them
     * @param breakers      the ids of the breaker tokens (the server finds them from the strings)
     */
    public record Dry(double multiplier, double base, int allowedLength, int lastN, Set<Integer> breakers) {

        public static final Dry OFF = new Dry(0, 1.75, 2, 0, Set.of());

        public Dry {
            require(multiplier >= 0 && Double.isFinite(multiplier), "dry_multiplier must be a finite number >= 0", multiplier);
            require(base > 1 && Double.isFinite(base), "dry_base must be a finite number > 1", base);
            require(allowedLength >= 1, "dry_allowed_length must be at least 1", allowedLength);
            breakers = breakers == null ? Set.of() : Set.copyOf(breakers);
        }

        public boolean on() {
            return multiplier > 0;
        }
    }

    public SamplerExtras {
        require(typicalP > 0 && typicalP <= 1, "typical_p must be in (0, 1]", typicalP);
        require(Double.isFinite(topNSigma), "top_n_sigma must be a finite number", topNSigma);
        require(xtcProbability >= 0 && xtcProbability <= 1, "xtc_probability must be in [0, 1]", xtcProbability);
        require(xtcThreshold > 0 && xtcThreshold <= 0.5, "xtc_threshold must be in (0, 0.5]", xtcThreshold);
        dry = dry == null ? Dry.OFF : dry;
    }

    /** Whether any of them acts on the distribution (and so the sampler needs the whole row). */
    public boolean any() {
        return typicalP < 1 || topNSigma > 0 || xtcProbability > 0 || dry.on();
    }

    /** Whether a filter that masks tokens (typical, top-n-sigma, XTC) is on; DRY is a penalty. */
    boolean masks() {
        return typicalP < 1 || topNSigma > 0 || xtcProbability > 0;
    }

    private static void require(boolean condition, String message, Object value) {
        if (!condition) {
            throw new IllegalArgumentException(message + ", got " + value);
        }
    }
}
