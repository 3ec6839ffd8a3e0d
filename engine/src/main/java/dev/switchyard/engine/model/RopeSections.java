package dev.switchyard.engine.model;

/**
 * Multimodal rotary positions ({@code rope.dimension_sections}), as they act on text.
 *
 * <p>Each rotating pair of a head turns by one of four positions: a token's time (t), height (h),
 * width (w) or an extra one (e). Pair i is taken as sector s = i mod (t + h + w + e). Qwen3-VL
 * interleaves the positions, as llama.cpp's IMROPE does: s turns by h where s mod 3 is 1 and
 * s &lt; 3h, by w where s mod 3 is 2 and s &lt; 3w, by t where s mod 3 is 0 and s &lt; 3t, and by e
 * otherwise. GLM-4.5V lays them in consecutive runs, as llama.cpp's MROPE does: the first t sectors
 * turn by t, the next h by h, the next w by w, the rest by e. A text token has t = h = w = its
 * position and e = 0 (llama.cpp's positions for text in a multimodal model), so the pairs that fall
 * to e never turn and every other pair turns as ordinary rope would.
 *
 * @param time        pairs per sector cycle turned by time (24 in Qwen3-VL)
 * @param height      pairs turned by height (20)
 * @param width       pairs turned by width (20)
 * @param extra       pairs turned by the extra position (0)
 * @param interleaved whether the positions interleave (Qwen3-VL) or run consecutively (GLM-4.5V)
 */
public record RopeSections(int time, int height, int width, int extra, boolean interleaved) {

    /** Ordinary rope: every rotating pair turns by the token's position. */
    public static final RopeSections NONE = new RopeSections(0, 0, 0, 0, false);

    public RopeSections {
        if (time < 0 || height < 0 || width < 0 || extra < 0) {
            throw new ModelConfigException("rope.dimension_sections must not be negative, got ["
                    + time + ", " + height + ", " + width + ", " + extra + "]");
        }
        if (time + height + width + extra > 0 && time + height + width == 0) {
            throw new ModelConfigException("rope.dimension_sections must turn some pairs by time, height or width");
        }
    }

    /** Qwen3-VL's interleaved sections. */
    public static RopeSections interleaved(int time, int height, int width, int extra) {
        return new RopeSections(time, height, width, extra, true);
    }

    /** GLM-4.5V's consecutive sections. */
    public static RopeSections consecutive(int time, int height, int width, int extra) {
        return new RopeSections(time, height, width, extra, false);
    }

    /** Whether these are multimodal sections at all. */
    public boolean present() {
        return time + height + width + extra > 0;
    }

    /** Pairs in one sector cycle. */
    public int span() {
        return time + height + width + extra;
    }

    /** Whether rotating pair {@code pair} stays still for a text token (it turns by the extra position, 0). */
    public boolean stillForText(int pair) {
        if (!present()) {
            return false;
        }
        int s = pair % span();
        if (!interleaved) {
            return s >= time + height + width;
        }
        boolean byHeight = s % 3 == 1 && s < 3 * height;
        boolean byWidth = s % 3 == 2 && s < 3 * width;
        boolean byTime = s % 3 == 0 && s < 3 * time;
        return !(byHeight || byWidth || byTime);
    }

    /**
     * Each of {@code pairs} rotating pairs' frequency divisor for text, folded into {@code factors}
     * (null: none): positive infinity where the pair stays still, so that its frequency is 0. Null
     * when there are neither factors nor still pairs.
     */
    public float[] textFactors(float[] factors, int pairs) {
        if (!present()) {
            return factors;
        }
        float[] out = new float[pairs];
        boolean any = factors != null;
        for (int i = 0; i < pairs; i++) {
            out[i] = factors != null ? factors[i] : 1f;
            if (stillForText(i)) {
                out[i] = Float.POSITIVE_INFINITY;
                any = true;
            }
        }
        return any ? out : null;
    }
}
