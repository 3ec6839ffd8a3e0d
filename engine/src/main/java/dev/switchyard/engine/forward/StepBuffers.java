package dev.switchyard.engine.forward;

import dev.switchyard.engine.model.Architecture;
import dev.switchyard.engine.model.DeltaNet;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.model.StateMixer;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.FloatMatrix;

/** Every activation a step needs, allocated once for the largest step. */
final class StepBuffers {

    final FloatMatrix x;          // residual stream (T, D)
    final FloatMatrix h;          // normed input of a sub-block (T, D)
    final FloatMatrix q;          // (T, heads x headDimK)
    final FloatMatrix k;          // (T, kvHeads x headDimK)
    final FloatMatrix v;          // (T, kvHeads x headDimV)
    final FloatMatrix windowK;    // (T, window kvHeads x headDimK): windowed blocks' keys where their heads are their own (MiMo-V2; else k)
    final FloatMatrix windowV;    // (T, window kvHeads x headDimV): their values (else v)
    final FloatMatrix attention;  // (T, heads x headDimV)
    final FloatMatrix projected;  // (T, D): attention output projection, dense FFN output
    final FloatMatrix router;     // (T, experts)
    final FloatMatrix expertIn;   // (T, E): one expert's gathered tokens, E the experts' width (the model's, or their latent width)
    final FloatMatrix gate;       // (T, ffn): a routed expert's width, or a dense model's FFN width
    final FloatMatrix up;         // (T, ffn)
    final FloatMatrix denseGate;  // (T, dense ffn): dense blocks' FFN (gate itself in dense models; null without dense blocks)
    final FloatMatrix denseUp;    // (T, dense ffn)
    final FloatMatrix sharedHidden; // (T, shared ffn): the shared expert's gate activations (Qwen2-MoE, DeepSeek-MoE)
    final FloatMatrix sharedUp;   // (T, shared ffn)
    final FloatMatrix expertOut;  // (T, E)
    final FloatMatrix latentIn;   // (T, E): the normed input projected to the experts' latent width (Nemotron 3 Super; else null)
    final FloatMatrix latentSum;  // (T, E): the routed experts' weighted sum there, before its projection back
    final FloatMatrix latentZero; // (1, E): zeros that clear latentSum, row by row
    final FloatMatrix sharedGate; // (T, 1): Qwen2-MoE's shared-expert gate logit
    final FloatMatrix logitInput; // (T, D): rows that produce logits
    final FloatMatrix logits;     // (T, vocab)
    final LatentAttentionBuffers latent; // latent attention's own (null with multi-head attention)
    final FloatMatrix ffnBranch;  // (T, D): the FFN branch's sum before its norm (AFMoE; else null)
    final FloatMatrix zeroRow;    // (1, D): zeros that clear ffnBranch, row by row (AFMoE; else null)
    final FloatMatrix convProjected;  // (T, 3D): a convolution block's B, C and x side by side (LFM2; else null)
    final FloatMatrix convInputGate;  // (T, D): its B, then B * x
    final FloatMatrix convOutputGate; // (T, D): its C
    final FloatMatrix convInput;      // (T, D): its x, then the convolution, then C times it
    // a recurrent block's (Qwen3.5's delta net, Mamba2; else null)
    final FloatMatrix deltaInput;     // (T, convolved): the delta net's queries, keys and values (Mamba2's x, B and C), then them convolved and activated
    final FloatMatrix deltaConvolved; // (T, convolved): the convolution's output before its activation
    final FloatMatrix deltaGate;      // (T, output): the output gate's logits, then the gated output
    final FloatMatrix deltaOut;       // (T, output): the delta rule's (the scan's) output
    final FloatMatrix deltaBeta;      // (T, value heads): each head's beta logit (delta net only)
    final FloatMatrix deltaAlpha;     // (T, gates): each head's alpha (Mamba2: its step; Kimi: each key channel's)
    final FloatMatrix deltaLowRank;   // (T, head width): between the halves of a low-rank pair (Kimi's delta attention; else null)
    final FloatMatrix deltaBetaAlpha; // (T, 2 value heads): both as Qwen3-Next's fused projection makes them (else null)
    final FloatMatrix gatedQueries;   // (T, 2 x heads x headDimK): per head, the queries then their output gate (Qwen3.5; else null)
    final FloatMatrix queryGate;      // (T, heads x headDimK): the attention output's gate logits

    StepBuffers(Backend backend, ModelConfig c, int maxTokens) {
        int d = c.dim();
        int ffn = c.isMoe() ? c.expertFeedForwardLength() : c.feedForwardLength();
        boolean shared = c.hasSharedExpert();
        x = backend.allocate(maxTokens, d);
        h = backend.allocate(maxTokens, d);
        q = backend.allocate(maxTokens, c.qDim());
        k = backend.allocate(maxTokens, c.kvDimK());
        v = backend.allocate(maxTokens, c.kvDimV());
        boolean ownHeads = c.windowKvHeadCount() != c.kvHeadCount();
        windowK = ownHeads ? backend.allocate(maxTokens, c.windowKvHeadCount() * c.headDimK()) : k;
        windowV = ownHeads ? backend.allocate(maxTokens, c.windowKvHeadCount() * c.headDimV()) : v;
        attention = backend.allocate(maxTokens, c.headCount() * c.headDimV());
        projected = backend.allocate(maxTokens, d);
        router = c.isMoe() ? backend.allocate(maxTokens, c.expertCount()) : null;
        int e = c.expertWidth();
        expertIn = backend.allocate(maxTokens, e);
        gate = backend.allocate(maxTokens, ffn);
        up = backend.allocate(maxTokens, ffn);
        // a dense model's FFN shares gate and up; DeepSeek-MoE's leading dense blocks are wider than an expert
        boolean denseBlocksBesideExperts = c.isMoe() && c.routedLayers() < c.layers();
        denseGate = denseBlocksBesideExperts ? backend.allocate(maxTokens, c.feedForwardLength()) : c.isMoe() ? null : gate;
        denseUp = denseBlocksBesideExperts ? backend.allocate(maxTokens, c.feedForwardLength()) : c.isMoe() ? null : up;
        sharedHidden = shared ? backend.allocate(maxTokens, c.sharedExpertFeedForwardLength()) : null;
        sharedUp = shared ? backend.allocate(maxTokens, c.sharedExpertFeedForwardLength()) : null;
        expertOut = backend.allocate(maxTokens, e);
        boolean latentExperts = c.expertLatentWidth() > 0;
        latentIn = latentExperts ? backend.allocate(maxTokens, e) : null;
        latentSum = latentExperts ? backend.allocate(maxTokens, e) : null;
        latentZero = latentExperts ? backend.allocate(1, e) : null;
        if (latentZero != null) {
            latentZero.writeRow(0, new float[e]); // device memory comes uncleared
        }
        sharedGate = c.isMoe() && c.architecture().sharedExpert() == Architecture.SharedExpert.SIGMOID_GATED
                ? backend.allocate(maxTokens, 1) : null;
        logitInput = backend.allocate(maxTokens, d);
        logits = backend.allocate(maxTokens, c.vocabSize());
        latent = c.latentAttention() != null ? new LatentAttentionBuffers(backend, c, maxTokens) : null;
        boolean normedBranches = c.architecture().normsBranchOutputs();
        ffnBranch = normedBranches ? backend.allocate(maxTokens, d) : null;
        zeroRow = normedBranches ? backend.allocate(1, d) : null;
        if (zeroRow != null) {
            zeroRow.writeRow(0, new float[d]); // device memory comes uncleared
        }
        DeltaNet net = c.convolution().deltaNet();
        boolean convolves = c.convolution().present() && c.convolution().mixer() == null;
        convProjected = convolves ? backend.allocate(maxTokens, 3 * d) : null;
        convInputGate = convolves ? backend.allocate(maxTokens, d) : null;
        convOutputGate = convolves ? backend.allocate(maxTokens, d) : null;
        convInput = convolves ? backend.allocate(maxTokens, d) : null;
        StateMixer mixer = c.convolution().mixer();
        deltaInput = mixer != null ? backend.allocate(maxTokens, mixer.convolvedWidth()) : null;
        deltaConvolved = mixer != null ? backend.allocate(maxTokens, mixer.convolvedWidth()) : null;
        deltaGate = mixer != null ? backend.allocate(maxTokens, mixer.outputWidth()) : null;
        deltaOut = mixer != null ? backend.allocate(maxTokens, mixer.outputWidth()) : null;
        deltaBeta = net != null ? backend.allocate(maxTokens, net.valueHeads()) : null;
        boolean kimi = net != null && net.channelGates();
        deltaAlpha = mixer != null ? backend.allocate(maxTokens, net != null ? net.gates() : mixer.stateHeads()) : null;
        deltaLowRank = kimi ? backend.allocate(maxTokens, net.stateSize()) : null;
        deltaBetaAlpha = net != null && !net.tiledHeads() && !kimi ? backend.allocate(maxTokens, 2 * net.valueHeads()) : null;
        boolean gatesQueries = c.architecture().hasDeltaNetBlocks();
        gatedQueries = gatesQueries ? backend.allocate(maxTokens, 2 * c.qDim()) : null;
        queryGate = gatesQueries ? backend.allocate(maxTokens, c.qDim()) : null;
    }
}
