package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;

import jdk.incubator.vector.FloatVector;

/**
 * Attention scores of a whole KV block at once, from keys stored dimension by dimension: dimension
 * d of the block's row r at {@code k[ko + d * bs + r]} ({@link CpuKvStorage}). A vector then holds
 * one dimension of consecutive rows, so each step is one load of keys, a broadcast of each query's
 * element and one FMA per query: no horizontal sums, and up to eight queries (a prompt tile's tokens
 * times the query heads of one KV head) in independent accumulators sharing every key load.
 *
 * <p>Every score is {@code scale * (q . k)} summed in segments of {@link #SEGMENT} dimensions: within
 * a segment one FMA per dimension, d ascending, from 0; the segments' sums then added in order to a
 * total from 0. Short chains keep the rounding of wide heads (576 dimensions in latent attention)
 * near that of a pairwise sum; and the arithmetic is the same whichever queries share the call,
 * whatever the block size, in a vector lane or in the scalar tail.
 */
final class BlockScores {

    /** Dimensions summed in one chain of FMAs before joining the total. */
    static final int SEGMENT = 16;

    private BlockScores() {
    }

    /** The score of one query and row, in the order every path follows (the scalar tail, and the reference). */
    static float score(float[] k, int ko, int bs, int hk, float[] q, int qo, int r) {
        float total = 0f;
        for (int d0 = 0; d0 < hk; d0 += SEGMENT) {
            float s = 0f;
            for (int d = d0, end = Math.min(hk, d0 + SEGMENT); d < end; d++) {
                s = Math.fma(q[qo + d], k[ko + d * bs + r], s);
            }
            total += s;
        }
        return total;
    }

    /**
     * {@code out[oo + j * bs + r] = scale * sum over d below hk of q[qo[j] + d] * k[ko + d * bs + r]},
     * for queries j below count and rows r below bs.
     */
    static void scores(float[] k, int ko, int bs, int hk, float[] q, int[] qo, int count, float scale, float[] out,
                       int oo) {
        int vectorRows = bs - bs % L;
        for (int r = 0; r < vectorRows; r += L) {
            int j = 0;
            for (; j + 8 <= count; j += 8) {
                eight(k, ko + r, bs, hk, q, qo, j, scale, out, oo + j * bs + r, bs);
            }
            for (; j + 4 <= count; j += 4) {
                four(k, ko + r, bs, hk, q, qo, j, scale, out, oo + j * bs + r, bs);
            }
            for (; j < count; j++) {
                one(k, ko + r, bs, hk, q, qo[j], scale, out, oo + j * bs + r);
            }
        }
        for (int r = vectorRows; r < bs; r++) {
            for (int j = 0; j < count; j++) {
                out[oo + j * bs + r] = score(k, ko, bs, hk, q, qo[j], r) * scale;
            }
        }
    }

    private static void eight(float[] k, int ko, int bs, int hk, float[] q, int[] qo, int j, float scale, float[] out,
                              int oo, int os) {
        int q0 = qo[j];
        int q1 = qo[j + 1];
        int q2 = qo[j + 2];
        int q3 = qo[j + 3];
        int q4 = qo[j + 4];
        int q5 = qo[j + 5];
        int q6 = qo[j + 6];
        int q7 = qo[j + 7];
        FloatVector t0 = FloatVector.zero(F);
        FloatVector t1 = t0;
        FloatVector t2 = t0;
        FloatVector t3 = t0;
        FloatVector t4 = t0;
        FloatVector t5 = t0;
        FloatVector t6 = t0;
        FloatVector t7 = t0;
        for (int d0 = 0; d0 < hk; d0 += SEGMENT) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            FloatVector a4 = a0;
            FloatVector a5 = a0;
            FloatVector a6 = a0;
            FloatVector a7 = a0;
            for (int d = d0, end = Math.min(hk, d0 + SEGMENT); d < end; d++) {
                FloatVector kv = FloatVector.fromArray(F, k, ko + d * bs);
                a0 = kv.fma(FloatVector.broadcast(F, q[q0 + d]), a0);
                a1 = kv.fma(FloatVector.broadcast(F, q[q1 + d]), a1);
                a2 = kv.fma(FloatVector.broadcast(F, q[q2 + d]), a2);
                a3 = kv.fma(FloatVector.broadcast(F, q[q3 + d]), a3);
                a4 = kv.fma(FloatVector.broadcast(F, q[q4 + d]), a4);
                a5 = kv.fma(FloatVector.broadcast(F, q[q5 + d]), a5);
                a6 = kv.fma(FloatVector.broadcast(F, q[q6 + d]), a6);
                a7 = kv.fma(FloatVector.broadcast(F, q[q7 + d]), a7);
            }
            t0 = t0.add(a0);
            t1 = t1.add(a1);
            t2 = t2.add(a2);
            t3 = t3.add(a3);
            t4 = t4.add(a4);
            t5 = t5.add(a5);
            t6 = t6.add(a6);
            t7 = t7.add(a7);
        }
        t0.mul(scale).intoArray(out, oo);
        t1.mul(scale).intoArray(out, oo + os);
        t2.mul(scale).intoArray(out, oo + 2 * os);
        t3.mul(scale).intoArray(out, oo + 3 * os);
        t4.mul(scale).intoArray(out, oo + 4 * os);
        t5.mul(scale).intoArray(out, oo + 5 * os);
        t6.mul(scale).intoArray(out, oo + 6 * os);
        t7.mul(scale).intoArray(out, oo + 7 * os);
    }

    private static void four(float[] k, int ko, int bs, int hk, float[] q, int[] qo, int j, float scale, float[] out,
                             int oo, int os) {
        int q0 = qo[j];
        int q1 = qo[j + 1];
        int q2 = qo[j + 2];
        int q3 = qo[j + 3];
        FloatVector t0 = FloatVector.zero(F);
        FloatVector t1 = t0;
        FloatVector t2 = t0;
        FloatVector t3 = t0;
        for (int d0 = 0; d0 < hk; d0 += SEGMENT) {
            FloatVector a0 = FloatVector.zero(F);
            FloatVector a1 = a0;
            FloatVector a2 = a0;
            FloatVector a3 = a0;
            for (int d = d0, end = Math.min(hk, d0 + SEGMENT); d < end; d++) {
                FloatVector kv = FloatVector.fromArray(F, k, ko + d * bs);
                a0 = kv.fma(FloatVector.broadcast(F, q[q0 + d]), a0);
                a1 = kv.fma(FloatVector.broadcast(F, q[q1 + d]), a1);
                a2 = kv.fma(FloatVector.broadcast(F, q[q2 + d]), a2);
                a3 = kv.fma(FloatVector.broadcast(F, q[q3 + d]), a3);
            }
            t0 = t0.add(a0);
            t1 = t1.add(a1);
            t2 = t2.add(a2);
            t3 = t3.add(a3);
        }
        t0.mul(scale).intoArray(out, oo);
        t1.mul(scale).intoArray(out, oo + os);
        t2.mul(scale).intoArray(out, oo + 2 * os);
        t3.mul(scale).intoArray(out, oo + 3 * os);
    }

    private static void one(float[] k, int ko, int bs, int hk, float[] q, int q0, float scale, float[] out, int oo) {
        FloatVector t0 = FloatVector.zero(F);
        for (int d0 = 0; d0 < hk; d0 += SEGMENT) {
            FloatVector a0 = FloatVector.zero(F);
            for (int d = d0, end = Math.min(hk, d0 + SEGMENT); d < end; d++) {
                a0 = FloatVector.fromArray(F, k, ko + d * bs).fma(FloatVector.broadcast(F, q[q0 + d]), a0);
            }
            t0 = t0.add(a0);
        }
        t0.mul(scale).intoArray(out, oo);
    }
}
