package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;

import dev.switchyard.kernels.OpChecks;
import dev.switchyard.kernels.RecurrentStates;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * The gated delta rule on the CPU ({@link dev.switchyard.kernels.Backend#gatedDeltaNet}). Work is
 * one (sequence, value head) pair per chunk ({@link CpuRecurrentOp}). Per token, two passes over the head's state, each a run of value columns at a time held in a vector while the
 * key rows go by: read the decayed state against k, then decay, write and read against q, so that
 * the state is read twice and stored once. The scratch grows to the
 * largest shapes seen and is reused.
 */
final class CpuDeltaNet extends CpuRecurrentOp {

    private final float[][] keys;
    private final float[][] queries;
    private final float[][] deltas;
    private final float[][] keeps;

    // the current call
    private float[] qkv;
    private float[] beta;
    private float[] alpha;
    private float[] out;
    private float[] dtBias;
    private float[] decay;
    private int keyHeads;
    private boolean tiledHeads;
    private boolean perChannel;
    private float eps;

    CpuDeltaNet(WorkerPool pool) {
        super(pool);
        this.keys = new float[pool.threads()][0];
        this.queries = new float[pool.threads()][0];
        this.deltas = new float[pool.threads()][0];
        this.keeps = new float[pool.threads()][0];
    }

    void run(RecurrentStates s, int layer, int[] sequenceOf, int[] positionOf, CpuMatrix qkv, CpuMatrix beta,
             CpuMatrix alpha, float[] dtBias, float[] decay, int keyHeads, boolean tiledHeads, float eps,
             CpuMatrix out, int tokens) {
        CpuRecurrentStates c = cpuStates(s);
        OpChecks.gatedDeltaNet(c, layer, sequenceOf, positionOf, qkv, beta, alpha, dtBias, decay, keyHeads, out, tokens);
        if (tokens == 0) {
            return;
        }
        this.qkv = qkv.data();
        this.beta = beta.data();
        this.alpha = alpha.data();
        this.out = out.data();
        this.dtBias = dtBias;
        this.decay = decay;
        this.keyHeads = keyHeads;
        this.tiledHeads = tiledHeads;
        this.perChannel = alpha.cols() != c.heads();
        this.eps = eps;
        ensureScratch(c.keyDim(), c.valueDim());
        runPairs(c, layer, sequenceOf, positionOf, tokens);
    }

    @Override
    void release() {
        this.qkv = null;
        this.beta = null;
        this.alpha = null;
        this.out = null;
    }

    private void ensureScratch(int keyDim, int valueDim) {
        for (int w = 0; w < keys.length; w++) {
            if (keys[w].length < keyDim || deltas[w].length < valueDim) {
                keys[w] = new float[keyDim];
                queries[w] = new float[keyDim];
                keeps[w] = new float[keyDim];
                deltas[w] = new float[valueDim];
            }
        }
    }

    @Override
    public void run(int worker, int chunk) {
        int heads = states.heads();
        int run = chunk / heads;
        int h = chunk % heads;
        int seq = sequenceOf[firstToken[run]];
        int dk = states.keyDim();
        int dv = states.valueDim();
        float[] s = states.state(layer, seq);
        int base = h * dk * dv;
        int keyHead = tiledHeads ? h % keyHeads : h / (heads / keyHeads);
        int width = 2 * keyHeads * dk + heads * dv;
        float[] k = keys[worker];
        float[] q = queries[worker];
        float[] d = deltas[worker];
        float[] keep = keeps[worker];
        float qScale = (float) (1.0 / Math.sqrt(dk));
        for (int t = firstToken[run]; t < tokens; t++) {
            if (sequenceOf[t] != seq) {
                continue;
            }
            if (positionOf[t] == 0) {
                Arrays.fill(s, base, base + dk * dv, 0f);
            }
            int row = t * width;
            normalized(qkv, row + keyHead * dk, dk, q);
            normalized(qkv, row + (keyHeads + keyHead) * dk, dk, k);
            for (int i = 0; i < dk; i++) {
                q[i] *= qScale;
            }
            int v = row + 2 * keyHeads * dk + h * dv;
            if (perChannel) {
                // Kimi's delta attention: a decay per key channel, so per row of the state
                for (int i = 0, a = t * heads * dk + h * dk, c = h * dk; i < dk; i++) {
                    keep[i] = (float) Math.exp(decay[h] * softplus(alpha[a + i] + dtBias[c + i]));
                }
            } else {
                Arrays.fill(keep, 0, dk, (float) Math.exp(decay[h] * softplus(alpha[t * heads + h] + dtBias[h])));
            }
            float b = (float) (1.0 / (1.0 + Math.exp(-beta[t * heads + h])));
            decayAndRead(s, base, dk, dv, keep, k, qkv, v, b, d);
            writeAndRead(s, base, dk, dv, keep, k, d, q, out, t * heads * dv + h * dv);
        }
    }

    /** x / max(||x||, eps) into {@code into}, the squares summed in double. */
    private void normalized(float[] src, int from, int n, float[] into) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += (double) src[from + i] * src[from + i];
        }
        float scale = 1f / Math.max((float) Math.sqrt(sum), eps);
        for (int i = 0; i < n; i++) {
            into[i] = src[from + i] * scale;
        }
    }

    static float softplus(float x) {
        return x > 20f ? x : (float) Math.log1p(Math.exp(x));
    }

    /**
     * d[j] = b * (v[j] - sum_i (keep[i] S[i][j]) k[i]): a read of the decayed state that leaves it as it
     * is, so that the write pass below decays it as it goes and the state is stored once per token.
     */
    private static void decayAndRead(float[] s, int base, int dk, int dv, float[] keep, float[] k, float[] x, int v,
                                     float b, float[] d) {
        int bound = F.loopBound(dv);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector acc = FloatVector.zero(F);
            for (int i = 0, at = base + j; i < dk; i++, at += dv) {
                acc = FloatVector.fromArray(F, s, at).mul(keep[i]).fma(FloatVector.broadcast(F, k[i]), acc);
            }
            FloatVector.fromArray(F, x, v + j).sub(acc).mul(b).intoArray(d, j);
        }
        for (; j < dv; j++) {
            float acc = 0f;
            for (int i = 0, at = base + j; i < dk; i++, at += dv) {
                acc = Math.fma(s[at] * keep[i], k[i], acc);
            }
            d[j] = (x[v + j] - acc) * b;
        }
    }

    /** S[i][j] = keep[i] S[i][j] + k[i] d[j], and out[j] = sum_i S[i][j] q[i] over the written state. */
    private static void writeAndRead(float[] s, int base, int dk, int dv, float[] keep, float[] k, float[] d, float[] q,
                                     float[] out, int o) {
        int bound = F.loopBound(dv);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector dj = FloatVector.fromArray(F, d, j);
            FloatVector acc = FloatVector.zero(F);
            for (int i = 0, at = base + j; i < dk; i++, at += dv) {
                FloatVector r = FloatVector.broadcast(F, k[i]).fma(dj, FloatVector.fromArray(F, s, at).mul(keep[i]));
                r.intoArray(s, at);
                acc = r.fma(FloatVector.broadcast(F, q[i]), acc);
            }
            acc.intoArray(out, o + j);
        }
        for (; j < dv; j++) {
            float acc = 0f;
            for (int i = 0, at = base + j; i < dk; i++, at += dv) {
                float r = Math.fma(k[i], d[j], s[at] * keep[i]);
                s[at] = r;
                acc = Math.fma(r, q[i], acc);
            }
            out[o + j] = acc;
        }
    }
}
