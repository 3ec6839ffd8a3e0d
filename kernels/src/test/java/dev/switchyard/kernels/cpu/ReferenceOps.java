package dev.switchyard.kernels.cpu;

import dev.switchyard.kernels.RopeSpec;
import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.TensorCodecs;
import java.lang.foreign.MemorySegment;

/**
 * The scalar reference for every backend op: weights decoded by the format codecs (the oracle),
 * then straightforward loops in double precision. Activations are row-major float arrays.
 */
final class ReferenceOps {

    private ReferenceOps() {
    }

    /** Matrix {@code matrix} of a stack of {@code rows x cols} weights, decoded by the codec. */
    static float[] dequantize(GgmlType type, MemorySegment data, int matrix, int rows, int cols) {
        long matrixBytes = type.byteSize((long) rows * cols);
        float[] w = new float[rows * cols];
        TensorCodecs.forType(type).dequantize(data, matrix * matrixBytes, w, 0, rows * cols);
        return w;
    }

    /** out[t][r] = sum_k w[r][k] x[t][k]. */
    static float[] matmul(float[] w, int rows, int cols, float[] x, int tokens) {
        float[] out = new float[tokens * rows];
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                double s = 0;
                for (int k = 0; k < cols; k++) {
                    s += (double) w[r * cols + k] * x[t * cols + k];
                }
                out[t * rows + r] = (float) s;
            }
        }
        return out;
    }

    static double dot(float[] w, int wo, float[] x, int xo, int n) {
        double s = 0;
        for (int k = 0; k < n; k++) {
            s += (double) w[wo + k] * x[xo + k];
        }
        return s;
    }

    static float[] rmsNorm(float[] x, int cols, int tokens, float[] gamma, float eps) {
        float[] out = x.clone();
        for (int t = 0; t < tokens; t++) {
            normalize(x, out, t * cols, cols, gamma, eps);
        }
        return out;
    }

    static float[] rmsNormHeads(float[] x, int cols, int tokens, float[] gamma, float eps, int headDim) {
        float[] out = x.clone();
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < cols / headDim; h++) {
                normalize(x, out, t * cols + h * headDim, headDim, gamma, gamma.length == cols ? h * headDim : 0, eps);
            }
        }
        return out;
    }

    private static void normalize(float[] x, float[] out, int o, int n, float[] gamma, float eps) {
        normalize(x, out, o, n, gamma, 0, eps);
    }

    private static void normalize(float[] x, float[] out, int o, int n, float[] gamma, int g, float eps) {
        double ss = 0;
        for (int i = 0; i < n; i++) {
            ss += (double) x[o + i] * x[o + i];
        }
        double inv = 1.0 / Math.sqrt(ss / n + eps);
        for (int i = 0; i < n; i++) {
            out[o + i] = (float) (x[o + i] * inv * gamma[g + i]);
        }
    }

    static float[] addBias(float[] x, int cols, int tokens, float[] bias) {
        float[] out = x.clone();
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < cols; i++) {
                out[t * cols + i] = (float) ((double) x[t * cols + i] + bias[i]);
            }
        }
        return out;
    }

    /**
     * RoPE as defined: pair i of dims/2 turns by (position / linearScale) * base^(-2i / dims); with
     * YaRN, as llama.cpp's rope_yarn writes it: that angle blended with the one slowed by the
     * factor, the blend ramping over the corrected dimensions, cos and sin scaled by the magnitude.
     */
    static float[] rope(float[] x, int cols, int tokens, int[] positions, int heads, int headDim, RopeSpec spec) {
        float[] out = x.clone();
        int half = spec.dims() / 2;
        RopeSpec.Yarn y = spec.yarn();
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                int o = t * cols + h * headDim;
                for (int i = 0; i < half; i++) {
                    double angle = positions[t] / spec.linearScale() * Math.pow(spec.base(), -2.0 * i / spec.dims());
                    double m = 1;
                    if (y != null) {
                        double low = Math.max(0, Math.floor(spec.dims()
                                * Math.log(y.originalContext() / (y.betaFast() * 2 * Math.PI)) / (2 * Math.log(spec.base()))));
                        double high = Math.min(spec.dims() - 1, Math.ceil(spec.dims()
                                * Math.log(y.originalContext() / (y.betaSlow() * 2 * Math.PI)) / (2 * Math.log(spec.base()))));
                        double mix = (1 - Math.min(1, Math.max(0, (i - low) / Math.max(0.001, high - low)))) * y.extFactor();
                        angle = angle / y.factor() * (1 - mix) + angle * mix;
                        m = y.attnFactor() * (1 + 0.1 * Math.log(y.factor()));
                    }
                    int a = spec.neox() ? o + i : o + 2 * i;
                    int b = spec.neox() ? o + i + half : o + 2 * i + 1;
                    double x0 = x[a];
                    double x1 = x[b];
                    out[a] = (float) (m * (x0 * Math.cos(angle) - x1 * Math.sin(angle)));
                    out[b] = (float) (m * (x0 * Math.sin(angle) + x1 * Math.cos(angle)));
                }
            }
        }
        return out;
    }

    static float[] siluMul(float[] gate, float[] up, int cols, int tokens) {
        float[] out = gate.clone();
        for (int i = 0; i < tokens * cols; i++) {
            double g = gate[i];
            out[i] = (float) (g / (1 + Math.exp(-g)) * up[i]);
        }
        return out;
    }

    /** y times x, value by value (one float rounding each). */
    static float[] mul(float[] y, float[] x, int cols, int tokens) {
        float[] out = y.clone();
        for (int i = 0; i < tokens * cols; i++) {
            out[i] = y[i] * x[i];
        }
        return out;
    }

    /** Nemotron-H's squared ReLU from its definition: v * v (rounded once) above 0, NaN as it is, else +0. */
    static float[] reluSquared(float[] x, int cols, int tokens) {
        float[] out = x.clone();
        for (int i = 0; i < tokens * cols; i++) {
            float v = x[i];
            out[i] = v > 0 ? v * v : Float.isNaN(v) ? v : 0f;
        }
        return out;
    }

    /** x times the sigmoid of its gate, in double: AFMoE's gated attention output. */
    static float[] sigmoidMul(float[] gate, float[] x, int cols, int tokens) {
        float[] out = x.clone();
        for (int i = 0; i < tokens * cols; i++) {
            out[i] = (float) (x[i] / (1 + Math.exp(-(double) gate[i])));
        }
        return out;
    }

    /** gpt-oss's activation from its definition, in double. */
    static float[] swigluClamped(float[] gate, float[] up, float alpha, float limit, int cols, int tokens) {
        float[] out = gate.clone();
        for (int i = 0; i < tokens * cols; i++) {
            double g = Math.min(gate[i], limit);
            double u = Math.max(-limit, Math.min(up[i], limit));
            out[i] = (float) (g / (1 + Math.exp(-alpha * g)) * (u + 1));
        }
        return out;
    }

    static float[] softmax(float[] x, int cols, int tokens) {
        float[] out = x.clone();
        for (int t = 0; t < tokens; t++) {
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < cols; i++) {
                max = Math.max(max, x[t * cols + i]);
            }
            double sum = 0;
            for (int i = 0; i < cols; i++) {
                sum += Math.exp(x[t * cols + i] - max);
            }
            for (int i = 0; i < cols; i++) {
                out[t * cols + i] = (float) (Math.exp(x[t * cols + i] - max) / sum);
            }
        }
        return out;
    }

    static float[] add(float[] y, float[] x, int cols, int tokens) {
        float[] out = y.clone();
        for (int i = 0; i < tokens * cols; i++) {
            out[i] = (float) ((double) y[i] + x[i]);
        }
        return out;
    }

    static float[] gatherRows(float[] src, int cols, int[] rows, int n, float[] dst) {
        float[] out = dst.clone();
        for (int i = 0; i < n; i++) {
            System.arraycopy(src, rows[i] * cols, out, i * cols, cols);
        }
        return out;
    }

    static float[] scatterAddRows(float[] src, int cols, int[] rows, float[] weights, int n, float[] dst) {
        double[] acc = new double[dst.length];
        for (int i = 0; i < dst.length; i++) {
            acc[i] = dst[i];
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < cols; j++) {
                acc[rows[i] * cols + j] += (double) weights[i] * src[i * cols + j];
            }
        }
        float[] out = new float[dst.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) acc[i];
        }
        return out;
    }

    /**
     * Causal GQA for one token: query heads {@code q[qo ..]} ({@code heads x hk}) over the logical
     * keys/values of its sequence, positions 0..pos ({@code keys[p]} is {@code kvHeads x hk}).
     */
    static void attention(float[] q, int qo, float[][] keys, float[][] values, int pos, int heads, int kvHeads,
            int hk, int hv, float scale, float[] out, int oo) {
        attention(q, qo, keys, values, pos, heads, kvHeads, hk, hv, scale, 0, null, out, oo);
    }

    /**
     * As above, under a sliding window and with sinks, from their definitions: the token sees only
     * positions {@code max(0, pos - window + 1) .. pos} (every one for window 0; for a negative
     * window, chunks of {@code -window} positions: {@code floor(pos / -window) * -window .. pos}); query head h's
     * weights are {@code exp(s_p - m) / (exp(sink_h - m) + sum_j exp(s_j - m))} with {@code m =
     * max(sink_h, max_j s_j)}, the sink taken as it is and given no value (no sink without sinks).
     */
    static void attention(float[] q, int qo, float[][] keys, float[][] values, int pos, int heads, int kvHeads,
            int hk, int hv, float scale, int window, float[] sinks, float[] out, int oo) {
        int group = heads / kvHeads;
        int first = window == 0 ? 0 : window > 0 ? Math.max(0, pos - window + 1) : Math.floorDiv(pos, -window) * -window;
        for (int h = 0; h < heads; h++) {
            int g = h / group;
            double[] s = new double[pos + 1];
            double max = sinks == null ? Double.NEGATIVE_INFINITY : sinks[h];
            for (int p = first; p <= pos; p++) {
                s[p] = dot(keys[p], g * hk, q, qo + h * hk, hk) * scale;
                max = Math.max(max, s[p]);
            }
            double sum = sinks == null ? 0 : Math.exp(sinks[h] - max);
            for (int p = first; p <= pos; p++) {
                s[p] = Math.exp(s[p] - max);
                sum += s[p];
            }
            for (int i = 0; i < hv; i++) {
                double acc = 0;
                for (int p = first; p <= pos; p++) {
                    acc += s[p] * values[p][g * hv + i];
                }
                out[oo + h * hv + i] = (float) (acc / sum);
            }
        }
    }
}
