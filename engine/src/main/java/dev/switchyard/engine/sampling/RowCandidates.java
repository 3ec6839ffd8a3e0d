package dev.switchyard.engine.sampling;

import java.util.Objects;

/**
 * The best tokens of one row of logits, found where the row is (a backend's {@code topRows}), with
 * what the sampler needs to take its token from them alone: their logits as the row holds them, best
 * first (the larger logit, the lower id among equals), and {@code ln sum exp(l - max)} over the whole
 * row. A view over arrays that hold many rows' candidates: {@link #view} points it at one row, so
 * reading a step's candidates allocates nothing.
 */
public final class RowCandidates {

    private int[] ids;
    private float[] values;
    private int offset;
    private int count;
    private double logZ;

    /** Points this view at {@code count} candidates from {@code ids[offset]} and {@code values[offset]}. */
    public RowCandidates view(int[] ids, float[] values, int offset, int count, double logZ) {
        Objects.checkFromIndexSize(offset, count, ids.length);
        Objects.checkFromIndexSize(offset, count, values.length);
        this.ids = ids;
        this.values = values;
        this.offset = offset;
        this.count = count;
        this.logZ = logZ;
        return this;
    }

    public int count() {
        return count;
    }

    /** The id of the {@code rank}-th best token (rank 0: the row's argmax, the lowest id among ties). */
    public int id(int rank) {
        return ids[offset + Objects.checkIndex(rank, count)];
    }

    /** The logit of the {@code rank}-th best token, as the row holds it. */
    public float value(int rank) {
        return values[offset + Objects.checkIndex(rank, count)];
    }

    /** ln of the row's sum of exp(l - max), max = {@link #value value(0)}: ln P(t) = l_t - max - logZ. */
    public double logZ() {
        return logZ;
    }
}
