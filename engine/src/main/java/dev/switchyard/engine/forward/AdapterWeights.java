package dev.switchyard.engine.forward;

import dev.switchyard.engine.lora.LoraAdapter;
import dev.switchyard.engine.lora.LoraAdapterException;
import dev.switchyard.engine.lora.LoraTarget;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.Weight;

/**
 * One LoRA adapter's matrices handed to the backend, by block and target, each with the factor its
 * product is scaled by at a user scale of 1 (alpha / rank). Checked against the weights the forward
 * pass actually applies, so an adapter never names a product that would silently not be adapted.
 */
public final class AdapterWeights {

    /** A's rows are the rank: {@code B (A x)} maps a row of {@code a.cols()} to one of {@code b.rows()}. */
    record Pair(Weight a, Weight b, float factor) {
    }

    private final LoraAdapter adapter;
    /** [block][target], null where the adapter leaves the product alone; the output head is block 0's OUTPUT. */
    private final Pair[][] pairs;

    private AdapterWeights(LoraAdapter adapter, Pair[][] pairs) {
        this.adapter = adapter;
        this.pairs = pairs;
    }

    /**
     * Hands {@code adapter}'s tensors to {@code backend} for the model of {@code weights}.
     *
     * @throws LoraAdapterException if it names a product this model's forward pass does not make
     *                              (a matrix the file has but the family does not use)
     */
    public static AdapterWeights load(LoraAdapter adapter, ModelWeights weights, Backend backend) {
        int layers = weights.config().layers();
        Pair[][] pairs = new Pair[layers][LoraTarget.values().length];
        for (LoraAdapter.Pair p : adapter.pairs()) {
            if (p.target().perBlock() && p.layer() >= layers) {
                throw new LoraAdapterException(adapter.path(), p.target().baseName(p.layer()) + ": the model has "
                        + layers + " blocks");
            }
            Weight a = matrix(adapter, p.a(), backend);
            Weight b = matrix(adapter, p.b(), backend);
            String name = p.target().baseName(p.layer());
            if (p.target().perExpert()) {
                // the experts may be offloaded, their weights not loaded here: check against the shape instead
                ModelConfig c = weights.config();
                boolean down = p.target() == LoraTarget.EXPERT_DOWN;
                int in = down ? c.expertFeedForwardLength() : c.dim();
                int out = down ? c.dim() : c.expertFeedForwardLength();
                if (!c.isRoutedBlock(p.layer()) || a.cols() != in || b.rows() != out || a.rows() != b.cols()
                        || a.count() != c.expertCount() || b.count() != c.expertCount()) {
                    throw new LoraAdapterException(adapter.path(), name + ": " + a + " and " + b + " do not adapt block "
                            + p.layer() + "'s " + c.expertCount() + " experts of " + out + " x " + in);
                }
            } else {
                Weight base = base(weights, p.target(), p.layer());
                if (base == null || base.count() != 1) {
                    throw new LoraAdapterException(adapter.path(), name + ": " + whyNot(p.target()));
                }
                if (a.cols() != base.cols() || b.rows() != base.rows() || a.rows() != b.cols()) {
                    throw new LoraAdapterException(adapter.path(), name + ": " + a + " and " + b + " do not adapt " + base);
                }
            }
            pairs[p.layer()][p.target().ordinal()] = new Pair(a, b, adapter.effectiveScale(p, 1f));
        }
        return new AdapterWeights(adapter, pairs);
    }

    /** Why a block's matrix of {@code target}'s name cannot be adapted in this model. */
    private static String whyNot(LoraTarget target) {
        return switch (target) {
            case DELTA_QKV -> "adapters on a fused query-key-value projection of attention (Ling 2.0) are not supported";
            case DELTA_GATE -> "adapters on the attention output gate (AFMoE) are not supported";
            default -> "this model's forward pass does not apply that matrix as a product";
        };
    }

    private static Weight matrix(LoraAdapter adapter, GgufTensorInfo t, Backend backend) {
        return backend.weight(t.type(), adapter.file().data(t), t.dims());
    }

    /** The matrix the forward pass applies for {@code target} in block {@code layer}, or null where it applies none. */
    static Weight base(ModelWeights weights, LoraTarget target, int layer) {
        if (target == LoraTarget.OUTPUT) {
            return weights.output();
        }
        LayerWeights w = weights.layer(layer);
        LatentAttentionWeights latent = w.latent();
        return switch (target) {
            case ATTN_Q -> w.wq();
            case ATTN_K -> w.wk();
            case ATTN_V -> w.wv();
            case ATTN_OUTPUT -> w.wo();
            case ATTN_Q_A -> latent != null ? latent.queryDown() : null;
            case ATTN_Q_B -> latent != null ? latent.queryUp() : null;
            case ATTN_KV_A -> latent != null ? latent.latentDown() : null;
            case FFN_GATE -> w.ffnGate();
            case FFN_UP -> w.ffnUp();
            case FFN_DOWN -> w.ffnDown();
            case ROUTER -> w.router();
            case SHARED_GATE_INPUT -> w.sharedGateInput();
            case SHARED_GATE -> w.sharedGate();
            case SHARED_UP -> w.sharedUp();
            case SHARED_DOWN -> w.sharedDown();
            case EXPERT_GATE -> w.expertGate();
            case EXPERT_UP -> w.expertUp();
            case EXPERT_DOWN -> w.expertDown();
            case CONV_IN -> w.convolution() != null ? w.convolution().input() : null;
            case CONV_OUT -> w.convolution() != null ? w.convolution().output() : null;
            case DELTA_QKV -> w.deltaNet() != null ? w.deltaNet().qkv() : null;
            case DELTA_GATE -> w.deltaNet() != null ? w.deltaNet().gate() : null;
            case DELTA_BETA -> w.deltaNet() != null ? w.deltaNet().beta() : null;
            case DELTA_ALPHA -> w.deltaNet() != null ? w.deltaNet().alpha() : null;
            case DELTA_BETA_ALPHA -> w.deltaNet() != null ? w.deltaNet().betaAlpha() : null;
            case DELTA_OUT -> w.deltaNet() != null ? w.deltaNet().output() : w.mamba2() != null ? w.mamba2().output() : null;
            case OUTPUT -> throw new AssertionError();
        };
    }

    public LoraAdapter adapter() {
        return adapter;
    }

    /** Whether some pair adapts routed experts. */
    boolean adaptsExperts() {
        for (Pair[] block : pairs) {
            for (LoraTarget t : LoraTarget.values()) {
                if (t.perExpert() && block[t.ordinal()] != null) {
                    return true;
                }
            }
        }
        return false;
    }

    /** The pair adapting {@code target} in block {@code layer} (any block for the output head), or null. */
    Pair pair(LoraTarget target, int layer) {
        return pairs.length == 0 ? null : pairs[target.perBlock() ? layer : 0][target.ordinal()];
    }

    int layers() {
        return pairs.length;
    }
}
