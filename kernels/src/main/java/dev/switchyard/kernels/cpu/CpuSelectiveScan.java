package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;

import dev.switchyard.kernels.OpChecks;
import dev.switchyard.kernels.RecurrentStates;
import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * Mamba2's selective scan on the CPU ({@link dev.switchyard.kernels.Backend#selectiveScan}). Work
 * is one (sequence, head) pair per chunk ({@link CpuRecurrentOp}). Per token, one
 * pass over the head's state, a run of channels at a time held in a vector while the state rows go
 * by: decay, write and read against C, so that the state is read and stored once. The scratch grows
 * to the largest head seen and is reused.
 */
final class CpuSelectiveScan extends CpuRecurrentOp {

    /** Per worker: the token's channels times its step size. */
    private final float[][] scaled;

    // the current call
    private float[] xbc;
    private float[] dt;
    private float[] out;
    private float[] dtBias;
    private float[] decay;
    private float[] skip;
    private int groups;

    CpuSelectiveScan(WorkerPool pool) {
        super(pool);
        this.scaled = new float[pool.threads()][0];
    }

    void run(RecurrentStates s, int layer, int[] sequenceOf, int[] positionOf, CpuMatrix xbc, CpuMatrix dt,
             float[] dtBias, float[] decay, float[] skip, int groups, CpuMatrix out, int tokens) {
        CpuRecurrentStates c = cpuStates(s);
        OpChecks.selectiveScan(c, layer, sequenceOf, positionOf, xbc, dt, dtBias, decay, skip, groups, out, tokens);
        if (tokens == 0) {
            return;
        }
        this.xbc = xbc.data();
        this.dt = dt.data();
        this.out = out.data();
        this.dtBias = dtBias;
        this.decay = decay;
        this.skip = skip;
        this.groups = groups;
        for (int w = 0; w < scaled.length; w++) {
            if (scaled[w].length < c.valueDim()) {
                scaled[w] = new float[c.valueDim()];
            }
        }
        runPairs(c, layer, sequenceOf, positionOf, tokens);
    }

    @Override
    void release() {
        this.xbc = null;
        this.dt = null;
        this.out = null;
    }

    @Override
    public void run(int worker, int chunk) {
        int heads = states.heads();
        int run = chunk / heads;
        int h = chunk % heads;
        int seq = sequenceOf[firstToken[run]];
        int ds = states.keyDim();
        int dc = states.valueDim();
        float[] s = states.state(layer, seq);
        int base = h * ds * dc;
        int group = h / (heads / groups);
        int width = heads * dc + 2 * groups * ds;
        float[] xd = scaled[worker];
        for (int t = firstToken[run]; t < tokens; t++) {
            if (sequenceOf[t] != seq) {
                continue;
            }
            if (positionOf[t] == 0) {
                Arrays.fill(s, base, base + ds * dc, 0f);
            }
            int row = t * width;
            int x = row + h * dc;
            int b = row + heads * dc + group * ds;
            int c = b + groups * ds;
            float d = CpuDeltaNet.softplus(dt[t * heads + h] + dtBias[h]);
            float keep = (float) Math.exp(d * decay[h]);
            for (int j = 0; j < dc; j++) {
                xd[j] = xbc[x + j] * d;
            }
            scan(s, base, ds, dc, keep, xbc, b, c, xd, x, skip[h], out, t * heads * dc + h * dc);
        }
    }

    /** S[i][j] = keep S[i][j] + B[i] xd[j], and out[j] = sum_i S[i][j] C[i] + x[j] skip over the written state. */
    private static void scan(float[] s, int base, int ds, int dc, float keep, float[] xbc, int b, int c, float[] xd,
                             int x, float skip, float[] out, int o) {
        int bound = F.loopBound(dc);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector xj = FloatVector.fromArray(F, xd, j);
            FloatVector acc = FloatVector.zero(F);
            for (int i = 0, at = base + j; i < ds; i++, at += dc) {
                FloatVector r = FloatVector.broadcast(F, xbc[b + i]).fma(xj, FloatVector.fromArray(F, s, at).mul(keep));
                r.intoArray(s, at);
                acc = r.fma(FloatVector.broadcast(F, xbc[c + i]), acc);
            }
            FloatVector.fromArray(F, xbc, x + j).mul(skip).add(acc).intoArray(out, o + j);
        }
        for (; j < dc; j++) {
            float acc = 0f;
            for (int i = 0, at = base + j; i < ds; i++, at += dc) {
                float r = Math.fma(xbc[b + i], xd[j], s[at] * keep);
                s[at] = r;
                acc = Math.fma(r, xbc[c + i], acc);
            }
            out[o + j] = acc + xbc[x + j] * skip;
        }
    }
}
