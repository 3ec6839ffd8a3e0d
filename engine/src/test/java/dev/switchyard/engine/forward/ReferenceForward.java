package dev.switchyard.engine.forward;

import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import dev.switchyard.engine.model.Architecture;
import dev.switchyard.engine.model.DeltaNet;
import dev.switchyard.engine.model.ExpertRouting;
import dev.switchyard.engine.model.LatentAttention;
import dev.switchyard.engine.model.LayerPattern;
import dev.switchyard.engine.model.Mamba2;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.model.RopeScaling;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvQ8;
import dev.switchyard.kernels.format.TensorCodecs;
import java.util.ArrayList;
import java.util.List;

/**
 * A plain, straight-line, scalar forward pass for one sequence, written independently of the
 * engine: every tensor dequantized to doubles, every op a loop. It is the oracle the optimized
 * {@link Transformer} is tested against.
 */
final class ReferenceForward {

    private final ModelConfig c;
    private final GgufFile file;
    private final List<double[][]> keys = new ArrayList<>();   // per layer: position -> kv row
    private final List<double[][]> values = new ArrayList<>();
    private final KvCacheType cacheType;
    /** Per delta-net block: each value head's state, [head][key index][value index]. */
    private final java.util.Map<Integer, double[][][]> states = new java.util.HashMap<>();
    private int block; // the block being computed
    private int position;

    ReferenceForward(ModelConfig config, GgufFile file, int maxPositions) {
        this(config, file, maxPositions, KvCacheType.F32);
    }

    /**
     * {@code cacheType}: what the cache holds is what a KV cache of that type holds, each element
     * rounded to the nearest half (F16) or each head's groups quantized ({@link KvQ8}, Q8_0) as it
     * is cached; the keys, values and latent rows are otherwise computed as always.
     */
    ReferenceForward(ModelConfig config, GgufFile file, int maxPositions, KvCacheType cacheType) {
        this.cacheType = cacheType;
        this.c = config;
        this.file = file;
        for (int l = 0; l < c.layers(); l++) {
            keys.add(new double[maxPositions][]);
            values.add(new double[maxPositions][]);
        }
    }

    /** Feeds one token at the next position; returns its logits. */
    double[] next(int token) {
        int d = c.dim();
        double[] x = row("token_embd.weight", token, d);
        // Granite's multipliers, literally: embeddings times embedding_scale, each residual branch
        // times residual_scale before it joins, attention scores by attention.scale, logits over logit_scale
        for (int i = 0; i < d; i++) {
            x[i] *= c.scales().embedding();
        }
        for (int l = 0; l < c.layers(); l++) {
            String b = "blk." + l + ".";
            block = l;
            if (c.convolution().isFeedForwardOnly(l)) {
                // Nemotron-H: a block that runs its FFN alone, normed by its one norm
                feedForward(b, l, x);
                continue;
            }
            // attention
            double[] h = rmsNorm(x, vec(b + "attn_norm.weight"));
            if (file.tensor(b + "shortconv.conv.weight").isPresent()) {
                addInPlace(x, convolution(b, l, h));
                feedForward(b, l, x);
                continue;
            }
            if (file.tensor(b + "ssm_in.weight").isPresent()) {
                double[] scanned = mamba2(b, l, h);
                scaleInPlace(scanned, c.scales().residual());
                addInPlace(x, scanned);
                if (c.feedsForward(l)) {
                    feedForward(b, l, x);
                }
                continue;
            }
            if (file.tensor(b + "ssm_conv1d.weight").isPresent()) {
                addInPlace(x, deltaNet(b, l, h));
                feedForward(b, l, x);
                continue;
            }
            if (file.tensor(b + "ssm_conv1d_q.weight").isPresent()) {
                addInPlace(x, deltaAttention(b, l, h));
                feedForward(b, l, x);
                continue;
            }
            if (c.latentAttention() != null) {
                addInPlace(x, matvec(b + "attn_output.weight", latentAttention(b, l, h), d));
                feedForward(b, l, x);
                continue;
            }
            double[] q;
            double[] k;
            double[] v;
            double[] queryGate = null;
            if (file.tensor(b + "attn_qkv.weight").isPresent()) {
                // Ling 2.0: one projection whose output is the queries, then the keys, then the values
                double[] qkv = matvec(b + "attn_qkv.weight", h, c.qDim() + c.kvDimK() + c.kvDimV());
                q = java.util.Arrays.copyOfRange(qkv, 0, c.qDim());
                k = java.util.Arrays.copyOfRange(qkv, c.qDim(), c.qDim() + c.kvDimK());
                v = java.util.Arrays.copyOfRange(qkv, c.qDim() + c.kvDimK(), qkv.length);
            } else if (c.architecture().hasDeltaNetBlocks()) {
                // Qwen3.5: per head, the query's values and then its output gate's
                double[] both = matvec(b + "attn_q.weight", h, 2 * c.qDim());
                int hd = c.headDimK();
                q = new double[c.qDim()];
                queryGate = new double[c.qDim()];
                for (int head = 0; head < c.headCount(); head++) {
                    System.arraycopy(both, 2 * head * hd, q, head * hd, hd);
                    System.arraycopy(both, 2 * head * hd + hd, queryGate, head * hd, hd);
                }
                k = matvec(b + "attn_k.weight", h, c.kvDimK());
                v = matvec(b + "attn_v.weight", h, c.kvDimV());
            } else {
                // MiMo-V2's windowed blocks have KV heads of their own
                q = matvec(b + "attn_q.weight", h, c.qDim());
                k = matvec(b + "attn_k.weight", h, c.kvHeadCount(l) * c.headDimK());
                v = matvec(b + "attn_v.weight", h, c.kvHeadCount(l) * c.headDimV());
            }
            // biases and QK-norm where the family has them (GLM-4.5's files may leave them out)
            if ((c.architecture().attentionBias() || c.architecture().mayBiasAttention())
                    && file.tensor(b + "attn_q.bias").isPresent()) {
                addInPlace(q, vec(b + "attn_q.bias"));
                addInPlace(k, vec(b + "attn_k.bias"));
                addInPlace(v, vec(b + "attn_v.bias"));
            }
            boolean qkNorm = file.tensor(b + "attn_q_norm.weight").isPresent();
            // Hunyuan norms its rotated queries and keys
            boolean afterRope = c.architecture() == Architecture.HUNYUAN_MOE;
            if (afterRope) {
                rope(q, c.headCount());
                rope(k, c.kvHeadCount(l));
            }
            if (qkNorm && c.architecture().qkNorm() == Architecture.QkNorm.PER_HEAD) {
                q = normPerHead(q, vec(b + "attn_q_norm.weight"), c.headCount());
                k = normPerHead(k, vec(b + "attn_k_norm.weight"), c.kvHeadCount(l));
            } else if (qkNorm && c.architecture().qkNorm() == Architecture.QkNorm.WHOLE_VECTOR) {
                q = rmsNorm(q, vec(b + "attn_q_norm.weight"));
                k = rmsNorm(k, vec(b + "attn_k_norm.weight"));
            }
            // Llama 4: every 4th block unrotated, its queries times their position's temperature,
            // 1 + 0.1 ln(1 + floor((p + 1) / 8192)); the rotated ones' queries and keys RMS-normed per head
            LayerPattern pattern = c.pattern();
            if (afterRope) {
                // rotated above
            } else if (pattern.unrotatedStep() == 0 || (l + 1) % pattern.unrotatedStep() != 0) {
                rope(q, c.headCount());
                rope(k, c.kvHeadCount(l));
                if (pattern.rotatedQkNorm()) {
                    double[] ones = new double[c.headDimK()];
                    java.util.Arrays.fill(ones, 1);
                    q = normPerHead(q, ones, c.headCount());
                    k = normPerHead(k, ones, c.kvHeadCount(l));
                }
            } else if (pattern.temperatureLength() > 0) {
                scaleInPlace(q, Math.log(Math.floor((position + 1.0) / pattern.temperatureLength()) + 1)
                        * pattern.temperatureScale() + 1);
            }
            keys.get(l)[position] = cached(k, c.kvHeadCount(l));
            values.get(l)[position] = cached(v, c.kvHeadCount(l));
            double[] att = new double[c.headCount() * c.headDimV()];
            int group = c.headCount() / c.kvHeadCount(l);
            // gpt-oss: every other block sees only the last sliding_window positions, and each head
            // has a sink, a logit without a value that joins the softmax; AFMoE and K-EXAONE: three
            // blocks of every four windowed (AFMoE's where the file has a window); MiMo-V2: the
            // blocks its file lists, as the configuration says of each
            int first = c.slidingWindow(l) > 0 ? Math.max(0, position - c.slidingWindow(l) + 1) : 0;
            // Llama 4: a rotated block attends within its chunk of positions
            if (c.pattern().rotatedChunk() > 0 && (pattern.unrotatedStep() == 0 || (l + 1) % pattern.unrotatedStep() != 0)) {
                first = position / c.pattern().rotatedChunk() * c.pattern().rotatedChunk();
            }
            double[] sinks = file.tensor(b + "attn_sinks.weight").isPresent() ? vec(b + "attn_sinks.weight") : null;
            for (int head = 0; head < c.headCount(); head++) {
                int kvHead = head / group;
                int n = position + 1 - first;
                double[] scores = new double[sinks != null ? n + 1 : n];
                for (int p = first; p <= position; p++) {
                    double s = 0;
                    for (int i = 0; i < c.headDimK(); i++) {
                        s += q[head * c.headDimK() + i] * keys.get(l)[p][kvHead * c.headDimK() + i];
                    }
                    scores[p - first] = c.scales().attention() != 0 ? s * c.scales().attention()
                            : s / Math.sqrt(c.headDimK());
                }
                if (sinks != null) {
                    scores[n] = sinks[head];
                }
                softmaxInPlace(scores);
                for (int p = first; p <= position; p++) {
                    for (int i = 0; i < c.headDimV(); i++) {
                        att[head * c.headDimV() + i] += scores[p - first] * values.get(l)[p][kvHead * c.headDimV() + i];
                    }
                }
            }
            if (file.tensor(b + "attn_gate.weight").isPresent()) {
                // AFMoE: each output value times the sigmoid of its gate, a projection of the normed input
                double[] gate = matvec(b + "attn_gate.weight", h, att.length);
                for (int i = 0; i < att.length; i++) {
                    att[i] /= 1 + Math.exp(-gate[i]);
                }
            }
            if (queryGate != null) {
                for (int i = 0; i < att.length; i++) {
                    att[i] /= 1 + Math.exp(-queryGate[i]);
                }
            }
            double[] projected = matvec(b + "attn_output.weight", att, d);
            if (file.tensor(b + "attn_output.bias").isPresent()) {
                addInPlace(projected, vec(b + "attn_output.bias"));
            }
            if (file.tensor(b + "post_attention_norm.weight").isPresent() && c.architecture() == Architecture.AFMOE) {
                projected = rmsNorm(projected, vec(b + "post_attention_norm.weight"));
            }
            scaleInPlace(projected, c.valueScale()); // MiMo-V2's values, and so its outputs, scaled
            scaleInPlace(projected, c.scales().residual());
            addInPlace(x, projected);
            if (c.feedsForward(l)) {
                feedForward(b, l, x);
            }
        }
        double[] out = rmsNorm(x, vec(c.architecture().outputNormName()));
        String head = file.tensor("output.weight").isPresent() ? "output.weight" : "token_embd.weight";
        position++;
        double[] logits = matvec(head, out, c.vocabSize());
        scaleInPlace(logits, 1 / c.scales().logit());
        return logits;
    }

    /**
     * LFM2's convolution block as its definition reads: the normed input projected to B, C and x
     * (the projection's output in that order), B * x kept for this position, each channel c the sum
     * over the kernel's taps j of {@code kernel[c][j]} times the kept B * x of position
     * {@code position - length + 1 + j} (none before 0), times C, projected back. The kernel is read
     * as the file holds it, each channel's taps in a row.
     */
    private double[] convolution(String b, int l, double[] h) {
        int d = c.dim();
        int length = c.convolution().length();
        double[] bcx = matvec(b + "shortconv.in_proj.weight", h, 3 * d);
        double[] bx = new double[d];
        for (int i = 0; i < d; i++) {
            bx[i] = bcx[i] * bcx[2 * d + i];
        }
        keys.get(l)[position] = bx;
        double[] kernel = vec(b + "shortconv.conv.weight");
        double[] y = new double[d];
        for (int ch = 0; ch < d; ch++) {
            double sum = 0;
            for (int j = 0; j < length; j++) {
                int p = position - length + 1 + j;
                if (p >= 0) {
                    sum += kernel[ch * length + j] * keys.get(l)[p][ch];
                }
            }
            y[ch] = sum * bcx[d + ch];
        }
        return matvec(b + "shortconv.out_proj.weight", y, d);
    }

    /**
     * A gated delta-net block (Qwen3.5, Qwen3-Next) as llama.cpp computes it, written out: queries,
     * keys and values projected and kept for this position; each channel convolved causally over the
     * last {@code ssm.conv_kernel} positions' (the kernel as the file holds it, each channel's taps in
     * a row, none before 0), then SiLU; per value head, its key head's query and key divided by their
     * norms (at least eps), the query by sqrt(width) too; the decay exp(a softplus(alpha + dt)), beta
     * sigmoid(b); the state decayed, read against the key, corrected by beta times the difference to
     * the value, read against the query; each head's output RMS-normed with {@code ssm_norm}, times
     * SiLU of its gate; projected back. Value head h reads key head h mod key heads (Qwen3.5's order)
     * or h / (value heads / key heads) (Qwen3-Next's), whose betas and alphas come in one matrix, per
     * key head its group's betas and then their alphas.
     */
    private double[] deltaNet(String b, int l, double[] h) {
        DeltaNet net = c.convolution().deltaNet();
        int nk = net.keyHeads();
        int nv = net.valueHeads();
        int n = net.stateSize();
        int group = nv / nk;
        int width = net.convolvedWidth();
        keys.get(l)[position] = matvec(b + "attn_qkv.weight", h, width);
        double[] z = matvec(b + "attn_gate.weight", h, nv * n);
        double[] beta = new double[nv];
        double[] alpha = new double[nv];
        if (net.tiledHeads()) {
            beta = matvec(b + "ssm_beta.weight", h, nv);
            alpha = matvec(b + "ssm_alpha.weight", h, nv);
        } else {
            double[] ba = matvec(b + "ssm_ba.weight", h, 2 * nv);
            for (int g = 0; g < nk; g++) {
                for (int j = 0; j < group; j++) {
                    beta[g * group + j] = ba[g * 2 * group + j];
                    alpha[g * group + j] = ba[g * 2 * group + group + j];
                }
            }
        }
        double[] y = convolvedSilu(b, l, width, new double[width]);
        if (position == 0) {
            states.put(l, new double[nv][n][n]);
        }
        double[][][] state = states.get(l);
        double[] dt = vec(b + "ssm_dt.bias");
        double[] decay = vec(b + "ssm_a");
        double[] normWeight = vec(b + "ssm_norm.weight");
        double eps = c.rmsEps();
        double[] out = new double[nv * n];
        for (int head = 0; head < nv; head++) {
            int kh = net.tiledHeads() ? head % nk : head / group;
            double[] qh = unitLength(y, kh * n, n, eps);
            double[] kh2 = unitLength(y, (nk + kh) * n, n, eps);
            double softplus = Math.log1p(Math.exp(alpha[head] + dt[head]));
            double keep = Math.exp(decay[head] * softplus);
            double bt = 1 / (1 + Math.exp(-beta[head]));
            double[][] s = state[head];
            for (double[] row : s) {
                for (int j = 0; j < n; j++) {
                    row[j] *= keep;
                }
            }
            double[] o = deltaRuleNormed(s, kh2, qh, bt, y, 2 * nk * n + head * n, eps);
            for (int j = 0; j < n; j++) {
                double g = z[head * n + j];
                out[head * n + j] = o[j] * normWeight[j] * g / (1 + Math.exp(-g));
            }
        }
        return matvec(b + "ssm_out.weight", out, c.dim());
    }

    /**
     * Kimi-Linear's delta attention as its definition reads: queries, keys and values each projected
     * from the normed input and convolved causally by its own kernel over the last positions, then
     * SiLU; queries and keys per head divided by their norms (at least eps), the query by
     * sqrt(width) too; each key channel's decay exp(A softplus(f_b f_a x + dt)) applied to its row of
     * the head's state, beta sigmoid(b x); the state read against the key, corrected by beta times
     * the difference to the value, read against the query; each head's output RMS-normed with
     * {@code ssm_norm}, times the sigmoid of the gate g_b g_a x; projected back by attn_output.
     */
    private double[] deltaAttention(String b, int l, double[] h) {
        DeltaNet net = c.convolution().deltaNet();
        int heads = net.valueHeads();
        int n = net.stateSize();
        int inner = heads * n;
        int length = c.convolution().length();
        double[] raw = new double[3 * inner];
        String[] parts = {"q", "k", "v"};
        for (int part = 0; part < 3; part++) {
            System.arraycopy(matvec(b + "attn_" + parts[part] + ".weight", h, inner), 0, raw, part * inner, inner);
        }
        keys.get(l)[position] = raw;
        double[] y = new double[3 * inner];
        for (int part = 0; part < 3; part++) {
            double[] kernel = vec(b + "ssm_conv1d_" + parts[part] + ".weight"); // [length, 1, inner]: channel-major
            for (int ch = 0; ch < inner; ch++) {
                double sum = 0;
                for (int j = 0; j < length; j++) {
                    int p = position - length + 1 + j;
                    if (p >= 0) {
                        sum += kernel[ch * length + j] * keys.get(l)[p][part * inner + ch];
                    }
                }
                y[part * inner + ch] = sum / (1 + Math.exp(-sum));
            }
        }
        double[] f = matvec(b + "ssm_f_b.weight", matvec(b + "ssm_f_a.weight", h, n), inner);
        double[] gate = matvec(b + "ssm_g_b.weight", matvec(b + "ssm_g_a.weight", h, n), inner);
        double[] beta = matvec(b + "ssm_beta.weight", h, heads);
        double[] dt = vec(b + "ssm_dt.bias");
        double[] decay = vec(b + "ssm_a");
        double[] normWeight = vec(b + "ssm_norm.weight");
        if (position == 0) {
            states.put(l, new double[heads][n][n]);
        }
        double[][][] state = states.get(l);
        double eps = c.rmsEps();
        double[] out = new double[inner];
        for (int head = 0; head < heads; head++) {
            double[] qh = unitLength(y, head * n, n, eps);
            double[] kh = unitLength(y, inner + head * n, n, eps);
            double bt = 1 / (1 + Math.exp(-beta[head]));
            double[][] s = state[head];
            for (int i = 0; i < n; i++) {
                double a = f[head * n + i] + dt[head * n + i];
                double keep = Math.exp(decay[head] * (a > 20 ? a : Math.log1p(Math.exp(a))));
                for (int j = 0; j < n; j++) {
                    s[i][j] *= keep;
                }
            }
            double[] o = deltaRuleNormed(s, kh, qh, bt, y, 2 * inner + head * n, eps);
            for (int j = 0; j < n; j++) {
                double g = gate[head * n + j];
                out[head * n + j] = o[j] * normWeight[j] / (1 + Math.exp(-g));
            }
        }
        return matvec(b + "attn_output.weight", out, c.dim());
    }

    /**
     * The delta rule on a head's already decayed state {@code s}: read against the key {@code k},
     * corrected by {@code beta} times the difference to the value (at {@code y[value..]}), read
     * against the query {@code q} over sqrt(width); the head's output RMS-normed (without weight).
     */
    private static double[] deltaRuleNormed(double[][] s, double[] k, double[] q, double beta, double[] y, int value,
                                            double eps) {
        int n = k.length;
        double[] o = new double[n];
        for (int j = 0; j < n; j++) {
            double read = 0;
            for (int i = 0; i < n; i++) {
                read += s[i][j] * k[i];
            }
            double delta = beta * (y[value + j] - read);
            for (int i = 0; i < n; i++) {
                s[i][j] += k[i] * delta;
                o[j] += s[i][j] * q[i] / Math.sqrt(n);
            }
        }
        double ms = 0;
        for (double v : o) {
            ms += v * v;
        }
        double scale = 1 / Math.sqrt(ms / n + eps);
        for (int j = 0; j < n; j++) {
            o[j] *= scale;
        }
        return o;
    }

    /**
     * Granite 4.0-H's Mamba2 block as its definition reads: the normed input projected to the gate
     * z, the channels x with the groups' B and C, and each head's step; x, B and C convolved
     * causally over the last positions with a bias, then SiLU; each head's state decayed by
     * exp(A softplus(dt + bias)) and added B times the step times x, its output what C reads
     * from it plus D times x; times SiLU of z, RMS-normed per group, projected back. Head h reads
     * group h / (heads / groups).
     */
    private double[] mamba2(String b, int l, double[] h) {
        Mamba2 scan = c.convolution().mamba2();
        int heads = scan.heads();
        int hd = scan.headDim();
        int n = scan.stateSize();
        int groups = scan.groups();
        int inner = scan.innerWidth();
        int width = scan.convolvedWidth();
        double[] all = matvec(b + "ssm_in.weight", h, scan.projectedWidth());
        double[] z = java.util.Arrays.copyOfRange(all, 0, inner);
        keys.get(l)[position] = java.util.Arrays.copyOfRange(all, inner, inner + width);
        double[] dt = java.util.Arrays.copyOfRange(all, inner + width, all.length);
        double[] y = convolvedSilu(b, l, width, file.tensor(b + "ssm_conv1d.bias").isPresent()
                ? vec(b + "ssm_conv1d.bias") : new double[width]);
        if (position == 0) {
            states.put(l, new double[heads][n][hd]);
        }
        double[][][] state = states.get(l);
        double[] dtBias = vec(b + "ssm_dt.bias");
        double[] decay = vec(b + "ssm_a");
        double[] skip = vec(b + "ssm_d");
        double[] out = new double[inner];
        for (int head = 0; head < heads; head++) {
            int g = head / (heads / groups);
            int bAt = inner + g * n;
            int cAt = inner + groups * n + g * n;
            double raw = dt[head] + dtBias[head];
            double step = raw > 20 ? raw : Math.log1p(Math.exp(raw));
            double keep = Math.exp(step * decay[head]);
            double[][] s = state[head];
            for (int j = 0; j < hd; j++) {
                double xj = y[head * hd + j];
                double o = 0;
                for (int i = 0; i < n; i++) {
                    s[i][j] = s[i][j] * keep + y[bAt + i] * step * xj;
                    o += s[i][j] * y[cAt + i];
                }
                double gate = z[head * hd + j];
                out[head * hd + j] = (o + skip[head] * xj) * gate / (1 + Math.exp(-gate));
            }
        }
        double[] normWeight = vec(b + "ssm_norm.weight");
        int groupWidth = inner / groups;
        double eps = c.rmsEps();
        for (int g = 0; g < groups; g++) {
            double ms = 0;
            for (int i = g * groupWidth; i < (g + 1) * groupWidth; i++) {
                ms += out[i] * out[i];
            }
            double scale = 1 / Math.sqrt(ms / groupWidth + eps);
            for (int i = g * groupWidth; i < (g + 1) * groupWidth; i++) {
                out[i] *= scale * normWeight[i];
            }
        }
        return matvec(b + "ssm_out.weight", out, c.dim());
    }

    /**
     * The recurrent blocks' convolution: each of {@code width} channels of the rows cached in
     * {@code keys} for block {@code l}, over the last {@code ssm.conv_kernel} positions (those before
     * 0 being zero), plus its {@code bias}, through SiLU.
     */
    private double[] convolvedSilu(String b, int l, int width, double[] bias) {
        int length = c.convolution().length();
        double[] kernel = vec(b + "ssm_conv1d.weight");
        double[] y = new double[width];
        for (int ch = 0; ch < width; ch++) {
            double sum = bias[ch];
            for (int j = 0; j < length; j++) {
                int p = position - length + 1 + j;
                if (p >= 0) {
                    sum += kernel[ch * length + j] * keys.get(l)[p][ch];
                }
            }
            y[ch] = sum / (1 + Math.exp(-sum));
        }
        return y;
    }

    /** {@code n} values from {@code from}, divided by their norm or by eps where that is larger. */
    private static double[] unitLength(double[] x, int from, int n, double eps) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += x[from + i] * x[from + i];
        }
        double scale = 1 / Math.max(Math.sqrt(sum), eps);
        double[] r = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = x[from + i] * scale;
        }
        return r;
    }

    /** A row of {@code heads} heads as the cache holds it: as it is, rounded to halves, or quantized. */
    private double[] cached(double[] row, int heads) {
        double[] r = new double[row.length];
        if (cacheType == KvCacheType.F32) {
            return row;
        }
        if (cacheType == KvCacheType.F16) {
            for (int i = 0; i < row.length; i++) {
                r[i] = Float.float16ToFloat(Float.floatToFloat16((float) row[i]));
            }
            return r;
        }
        float[] f = new float[row.length];
        for (int i = 0; i < row.length; i++) {
            f[i] = (float) row[i];
        }
        float[] q = KvQ8.roundTrip(f, heads);
        for (int i = 0; i < row.length; i++) {
            r[i] = q[i];
        }
        return r;
    }

    private static double[] concat(double[] a, double[] b) {
        double[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private void feedForward(String b, int l, double[] x) {
        double[] h = rmsNorm(x, vec(b + c.architecture().ffnNormName() + ".weight"));
        // the DeepSeek families' first blocks are dense
        // after the leading dense blocks, every moeStep-th block by llama.cpp's count
        boolean routes = c.isMoe() && l >= c.leadingDenseLayers() && (l + 1) % c.pattern().moeStep() == 0;
        double[] out = routes ? moe(b, h)
                : swiglu(b + "ffn_gate.weight", b + "ffn_up.weight", b + "ffn_down.weight", -1, h, c.feedForwardLength());
        if (file.tensor(b + "post_ffw_norm.weight").isPresent()) {
            out = rmsNorm(out, vec(b + "post_ffw_norm.weight")); // AFMoE
        }
        scaleInPlace(out, c.scales().residual());
        addInPlace(x, out);
    }

    private static void scaleInPlace(double[] v, double factor) {
        for (int i = 0; i < v.length; i++) {
            v[i] *= factor;
        }
    }

    /**
     * DeepSeek-V2's latent attention in its plain form, as the model defines it: every head's keys
     * and values decompressed from the latent (no absorption, unlike the engine), scores over the
     * non-rotary and rotary parts, the softmax scale 1/sqrt(key length) sharpened by YaRN's mscale
     * squared. Returns the heads' values concatenated, what attn_output reads.
     */
    private double[] latentAttention(String b, int l, double[] h) {
        LatentAttention a = c.latentAttention();
        int heads = c.headCount();
        int rot = c.ropeDimensions();
        int nope = a.keyLength() - rot;
        int rank = a.kvLoraRank();
        int vl = a.valueLength();
        double[] q = a.qLoraRank() > 0
                ? matvec(b + "attn_q_b.weight", rmsNorm(matvec(b + "attn_q_a.weight", h, a.qLoraRank()),
                        vec(b + "attn_q_a_norm.weight")), heads * a.keyLength())
                : matvec(b + "attn_q.weight", h, heads * a.keyLength());
        double[] kva = matvec(b + "attn_kv_a_mqa.weight", h, rank + rot);
        double[] latent = rmsNorm(java.util.Arrays.copyOfRange(kva, 0, rank), vec(b + "attn_kv_a_norm.weight"));
        double[] kPe = java.util.Arrays.copyOfRange(kva, rank, rank + rot);
        // llama.cpp keeps YaRN's usual magnitude unless the file states a log multiplier, which
        // then sharpens the softmax instead
        RopeScaling scaling = c.ropeScaling();
        boolean yarn = scaling.type() == RopeScaling.Type.YARN;
        boolean boost = yarn && a.yarnLogMultiplier() == 0;
        double[] qPe = new double[heads * rot];
        for (int head = 0; head < heads; head++) {
            System.arraycopy(q, head * a.keyLength() + nope, qPe, head * rot, rot);
        }
        if (c.pattern().rotates(l)) { // Kimi-Linear's rotary parts count as they are
            rope(kPe, 1, rot, boost);
            rope(qPe, heads, rot, boost);
        }
        // the cache holds the normed latent and the rotated shared key
        // (one row of one head: the rotated key, then the latent, as the engine's cache lays them out)
        double[] row = cached(concat(kPe, latent), 1);
        kPe = java.util.Arrays.copyOfRange(row, 0, rot);
        latent = java.util.Arrays.copyOfRange(row, rot, rot + rank);
        // this position's keys (every head's non-rotary key, then the shared rotary key) and values
        double[] key = new double[heads * nope + rot];
        double[] value = new double[heads * vl];
        for (int head = 0; head < heads; head++) {
            for (int r = 0; r < rank; r++) {
                double[] kb = row(b + "attn_k_b.weight", head * rank + r, nope); // ggml [nope, rank, heads]
                for (int i = 0; i < nope; i++) {
                    key[head * nope + i] += kb[i] * latent[r];
                }
            }
            System.arraycopy(matvecExpert(b + "attn_v_b.weight", head, latent, vl), 0, value, head * vl, vl);
        }
        System.arraycopy(kPe, 0, key, heads * nope, rot);
        keys.get(l)[position] = key;
        values.get(l)[position] = value;
        double factor = scaling.type() == RopeScaling.Type.NONE ? 1 : scaling.factor();
        double magnitude = scaling.attnFactor() * (boost ? 1 + 0.1 * Math.log(factor) : 1);
        // the stated multiplier is the converter's 0.1 x mscale_all_dim: mscale = 1 + 0.1 mscale_all_dim ln factor
        double mscale = magnitude * (1 + a.yarnLogMultiplier() * Math.log(factor));
        double scale = mscale * mscale / Math.sqrt(a.keyLength());
        double[] out = new double[heads * vl];
        for (int head = 0; head < heads; head++) {
            double[] scores = new double[position + 1];
            for (int p = 0; p <= position; p++) {
                double[] k = keys.get(l)[p];
                double s = 0;
                for (int i = 0; i < nope; i++) {
                    s += q[head * a.keyLength() + i] * k[head * nope + i];
                }
                for (int j = 0; j < rot; j++) {
                    s += qPe[head * rot + j] * k[heads * nope + j];
                }
                scores[p] = s * scale;
            }
            softmaxInPlace(scores);
            for (int p = 0; p <= position; p++) {
                for (int i = 0; i < vl; i++) {
                    out[head * vl + i] += scores[p] * values.get(l)[p][head * vl + i];
                }
            }
        }
        return out;
    }

    private double[] moe(String b, double[] h) {
        int e = c.expertCount();
        ExpertRouting routing = c.routing();
        double[] logits = matvec(b + "ffn_gate_inp.weight", h, e);
        if (c.architecture() == Architecture.GPT_OSS) {
            return gptOssExperts(b, h, logits);
        }
        double[] p = logits.clone();
        if (routing.gating() == ExpertRouting.Gating.SIGMOID) {
            for (int i = 0; i < e; i++) {
                p[i] = 1 / (1 + Math.exp(-logits[i]));
            }
        } else {
            softmaxInPlace(p);
        }
        // DeepSeek-V3: rank by score plus bias, only within the groups with the best two-expert sums
        double[] rank = p.clone();
        if (file.tensor(b + "exp_probs_b.bias").isPresent()) {
            double[] bias = vec(b + "exp_probs_b.bias");
            for (int i = 0; i < e; i++) {
                rank[i] += bias[i];
            }
        }
        boolean[] excluded = new boolean[e];
        if (routing.groupsUsed() < routing.groupCount()) {
            int size = e / routing.groupCount();
            double[] groupScore = new double[routing.groupCount()];
            for (int g = 0; g < groupScore.length; g++) {
                double[] members = java.util.Arrays.copyOfRange(rank, g * size, g * size + size);
                java.util.Arrays.sort(members);
                groupScore[g] = members[size - 1] + members[size - 2];
            }
            Integer[] order = new Integer[groupScore.length];
            for (int g = 0; g < order.length; g++) {
                order[g] = g;
            }
            java.util.Arrays.sort(order, (x, y) -> Double.compare(groupScore[y], groupScore[x]));
            for (int r = routing.groupsUsed(); r < order.length; r++) {
                for (int i = order[r] * size; i < order[r] * size + size; i++) {
                    excluded[i] = true;
                }
            }
        }
        boolean[] taken = new boolean[e];
        int[] chosen = new int[c.expertUsedCount()];
        double chosenSum = 0;
        for (int j = 0; j < chosen.length; j++) {
            int best = -1;
            for (int i = 0; i < e; i++) {
                if (!taken[i] && !excluded[i] && (best < 0 || rank[i] > rank[best])) {
                    best = i;
                }
            }
            taken[best] = true;
            chosen[j] = best;
            chosenSum += p[best];
        }
        // Nemotron 3 Super: the experts work on the input projected to their latent width, their sum projected back
        boolean latent = c.expertLatentWidth() > 0;
        double[] source = latent ? matvec(b + "ffn_latent_down.weight", h, c.expertLatentWidth()) : h;
        double[] out = new double[c.expertWidth()];
        for (int expert : chosen) {
            // Granite's routing weight scale is its residual scale, applied to the whole branch above
            double scale = c.scales().scalesResiduals() ? 1 : routing.weightScale();
            double weight = (c.normalizeTopK() ? p[expert] / chosenSum : p[expert]) * scale;
            // Llama 4 weighs the expert's input, not its output
            boolean inputs = c.architecture() == Architecture.LLAMA4;
            double[] in = source.clone();
            if (inputs) {
                scaleInPlace(in, weight);
            }
            double[] y = swiglu(b + "ffn_gate_exps.weight", b + "ffn_up_exps.weight", b + "ffn_down_exps.weight", expert, in,
                    c.expertFeedForwardLength());
            for (int i = 0; i < out.length; i++) {
                out[i] += (inputs ? 1 : weight) * y[i];
            }
        }
        if (latent) {
            out = matvec(b + "ffn_latent_up.weight", out, c.dim());
        }
        if (c.architecture().sharedExpert() != Architecture.SharedExpert.NONE && c.sharedExpertFeedForwardLength() > 0) {
            double gate = 1;
            if (c.architecture().sharedExpert() == Architecture.SharedExpert.SIGMOID_GATED) {
                double g = matvec(b + "ffn_gate_inp_shexp.weight", h, 1)[0];
                gate = 1 / (1 + Math.exp(-g));
            }
            double[] y = swiglu(b + "ffn_gate_shexp.weight", b + "ffn_up_shexp.weight", b + "ffn_down_shexp.weight", -1, h,
                    c.sharedExpertFeedForwardLength());
            for (int i = 0; i < out.length; i++) {
                out[i] += gate * y[i];
            }
        }
        return out;
    }

    /**
     * gpt-oss's MoE as its reference implementation computes it: the router's logits plus its
     * bias, the top-k of those, a softmax over just the chosen logits for their weights; each
     * expert's projections biased, and between them the clamped SwiGLU
     * {@code g * sigmoid(1.702 g) * (u + 1)}, g = min(gate, 7), u = clamp(up, -7, 7).
     */
    private double[] gptOssExperts(String b, double[] h, double[] logits) {
        int e = c.expertCount();
        int f = c.expertFeedForwardLength();
        addInPlace(logits, vec(b + "ffn_gate_inp.bias"));
        Integer[] order = new Integer[e];
        for (int i = 0; i < e; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> logits[y] != logits[x] ? Double.compare(logits[y], logits[x]) : x - y);
        double[] chosenLogits = new double[c.expertUsedCount()];
        for (int j = 0; j < chosenLogits.length; j++) {
            chosenLogits[j] = logits[order[j]];
        }
        softmaxInPlace(chosenLogits);
        double[] gateBias = vec(b + "ffn_gate_exps.bias");
        double[] upBias = vec(b + "ffn_up_exps.bias");
        double[] downBias = vec(b + "ffn_down_exps.bias");
        double[] out = new double[c.dim()];
        for (int j = 0; j < chosenLogits.length; j++) {
            int expert = order[j];
            double[] g = matvecExpert(b + "ffn_gate_exps.weight", expert, h, f);
            double[] u = matvecExpert(b + "ffn_up_exps.weight", expert, h, f);
            for (int i = 0; i < f; i++) {
                double gi = Math.min(g[i] + gateBias[expert * f + i], 7);
                double ui = Math.max(-7, Math.min(u[i] + upBias[expert * f + i], 7));
                g[i] = gi / (1 + Math.exp(-1.702 * gi)) * (ui + 1);
            }
            double[] y = matvecExpert(b + "ffn_down_exps.weight", expert, g, c.dim());
            for (int i = 0; i < out.length; i++) {
                out[i] += chosenLogits[j] * (y[i] + downBias[expert * c.dim() + i]);
            }
        }
        return out;
    }

    private double[] swiglu(String gate, String up, String down, int expert, double[] h, int width) {
        double[] u = expert < 0 ? matvec(up, h, width) : matvecExpert(up, expert, h, width);
        if (c.architecture().squaresRelu()) {
            // Nemotron-H: no gate, the up projection's squared ReLU; routed experts give their own width
            for (int i = 0; i < width; i++) {
                u[i] = u[i] > 0 ? u[i] * u[i] : 0;
            }
            return expert < 0 ? matvec(down, u, c.dim()) : matvecExpert(down, expert, u, c.expertWidth());
        }
        double[] g = expert < 0 ? matvec(gate, h, width) : matvecExpert(gate, expert, h, width);
        for (int i = 0; i < width; i++) {
            g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
        }
        return expert < 0 ? matvec(down, g, c.dim()) : matvecExpert(down, expert, g, c.dim());
    }

    /**
     * RoPE with the file's scaling: linear divides the position; YaRN, as llama.cpp's rope_yarn
     * writes it (betas 32 and 1, full blend), blends each pair's angle with the one slowed by the
     * factor over the corrected dimensions and scales cos and sin by attn_factor (1 + 0.1 ln factor).
     */
    private void rope(double[] x, int heads) {
        rope(x, heads, c.headDimK(), true);
    }

    /**
     * As above over heads {@code hd} wide; {@code yarnBoost} false leaves YaRN's magnitude at
     * attn_factor alone, as latent attention does (its boost goes into the softmax scale).
     */
    /**
     * The position pair {@code i} turns by: multimodal sections give each pair a time, height, width
     * or extra position (interleaved in Qwen3-VL, consecutive in GLM-4.5V), and a text token has its
     * position in the first three and 0 in the last (as llama.cpp feeds text to these models).
     */
    private int textPosition(int i) {
        dev.switchyard.engine.model.RopeSections s = c.ropeSections();
        int[] counts = {s.time(), s.height(), s.width(), s.extra()};
        int span = counts[0] + counts[1] + counts[2] + counts[3];
        if (span == 0) {
            return position;
        }
        int sector = i % span;
        if (!s.interleaved()) {
            // GLM-4.5V: runs of time, height and width pairs, then the extra position's
            return sector < counts[0] + counts[1] + counts[2] ? position : 0;
        }
        int axis = sector % 3; // 0 time, 1 height, 2 width, each over its first 3 x count sectors
        return sector < 3 * counts[axis] ? position : 0;
    }

    private void rope(double[] x, int heads, int hd, boolean yarnBoost) {
        int dims = c.ropeDimensions();
        boolean neox = c.architecture().ropeLayout() == Architecture.RopeLayout.NEOX;
        RopeScaling scaling = c.ropeScaling();
        double base = c.ropeFreqBase(block); // MiMo-V2's windowed blocks turn by a base of their own
        double low = 0;
        double high = 0;
        double magnitude = 1;
        if (scaling.type() == RopeScaling.Type.YARN) {
            int original = scaling.originalContextLength() > 0 ? scaling.originalContextLength() : c.contextLength();
            low = Math.max(0, Math.floor(dims * Math.log(original / (32 * 2 * Math.PI)) / (2 * Math.log(base))));
            high = Math.min(dims - 1, Math.ceil(dims * Math.log(original / (1 * 2 * Math.PI)) / (2 * Math.log(base))));
            magnitude = scaling.attnFactor() * (yarnBoost ? 1 + 0.1 * Math.log(scaling.factor()) : 1);
        }
        // Llama 3.1's files divide each pair's frequency by its factor
        double[] factors = file.tensor("rope_freqs.weight").isPresent() ? vec("rope_freqs.weight") : null;
        for (int head = 0; head < heads; head++) {
            int o = head * hd;
            for (int i = 0; i < dims / 2; i++) {
                double theta = textPosition(i) * Math.pow(base, -2.0 * i / dims) / (factors != null ? factors[i] : 1);
                if (scaling.type() == RopeScaling.Type.LINEAR) {
                    theta /= scaling.factor();
                } else if (scaling.type() == RopeScaling.Type.YARN) {
                    double mix = 1 - Math.min(1, Math.max(0, (i - low) / Math.max(0.001, high - low)));
                    theta = theta / scaling.factor() * (1 - mix) + theta * mix;
                }
                int a = neox ? o + i : o + 2 * i;
                int bIdx = neox ? o + i + dims / 2 : o + 2 * i + 1;
                double x0 = x[a];
                double x1 = x[bIdx];
                x[a] = magnitude * (x0 * Math.cos(theta) - x1 * Math.sin(theta));
                x[bIdx] = magnitude * (x0 * Math.sin(theta) + x1 * Math.cos(theta));
            }
        }
    }

    private double[] rmsNorm(double[] x, double[] gamma) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double scale = 1 / Math.sqrt(ss / x.length + c.rmsEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * scale * gamma[i];
        }
        return out;
    }

    private double[] normPerHead(double[] x, double[] gamma, int heads) {
        int hd = gamma.length;
        double[] out = new double[x.length];
        for (int head = 0; head < heads; head++) {
            double[] slice = java.util.Arrays.copyOfRange(x, head * hd, head * hd + hd);
            System.arraycopy(rmsNorm(slice, gamma), 0, out, head * hd, hd);
        }
        return out;
    }

    /** scores = softmax(scores), in place. */
    private static void softmaxInPlace(double[] scores) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : scores) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (int i = 0; i < scores.length; i++) {
            scores[i] = Math.exp(scores[i] - max);
            sum += scores[i];
        }
        for (int i = 0; i < scores.length; i++) {
            scores[i] /= sum;
        }
    }

    private static void addInPlace(double[] y, double[] x) {
        for (int i = 0; i < y.length; i++) {
            y[i] += x[i];
        }
    }

    private double[] matvec(String name, double[] x, int rows) {
        return matvecExpert(name, 0, x, rows);
    }

    /** y = W[expert] x for a weight of ggml dims [cols, rows(, experts)]. */
    private double[] matvecExpert(String name, int expert, double[] x, int rows) {
        double[] y = new double[rows];
        for (int r = 0; r < rows; r++) {
            double[] w = row(name, expert * rows + r, x.length);
            double s = 0;
            for (int i = 0; i < x.length; i++) {
                s += w[i] * x[i];
            }
            y[r] = s;
        }
        return y;
    }

    private double[] vec(String name) {
        GgufTensorInfo t = file.requireTensor(name);
        return row(name, 0, (int) t.elementCount());
    }

    /** Row {@code index} (of {@code cols} values) of a tensor, dequantized with the scalar codec. */
    private double[] row(String name, int index, int cols) {
        GgufTensorInfo t = file.requireTensor(name);
        float[] f = new float[cols];
        TensorCodecs.forType(t.type()).dequantize(file.data(t), t.type().byteSize((long) index * cols), f, 0, cols);
        double[] d = new double[cols];
        for (int i = 0; i < cols; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
