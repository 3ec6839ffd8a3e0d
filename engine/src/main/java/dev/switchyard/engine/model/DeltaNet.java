package dev.switchyard.engine.model;

/**
 * The shape of a gated delta-net block (Qwen3.5, Qwen3-Next's linear attention): the normed input
 * is projected to queries and keys of {@code keyHeads} heads and values of {@code valueHeads} heads,
 * all {@code stateSize} wide, which a short causal convolution mixes over the last positions; then
 * each value head updates a {@code stateSize x stateSize} state by the delta rule and reads its
 * output from it. llama.cpp reads the shape from {@code ssm.group_count}, {@code ssm.time_step_rank}
 * and {@code ssm.state_size}.
 *
 * @param keyHeads   query and key heads ({@code ssm.group_count})
 * @param valueHeads value heads, a whole number of them per key head ({@code ssm.time_step_rank})
 * @param stateSize  every head's width, and each side of a value head's state ({@code ssm.state_size})
 * @param tiledHeads   whether value head h reads key head {@code h % keyHeads}, as Qwen3.5's converter
 *                     orders them, rather than {@code h / (valueHeads / keyHeads)}, as Qwen3-Next's files
 *                     keep them
 * @param channelGates whether the decay is one per key channel of each head rather than one per head:
 *                     Kimi's delta attention, whose queries, keys and values each have their own heads
 *                     ({@code kda.head_dim} wide, as many as {@code attention.head_count}), convolved
 *                     each by its own kernel, and whose decay and output gate come through low-rank pairs
 */
public record DeltaNet(int keyHeads, int valueHeads, int stateSize, boolean tiledHeads, boolean channelGates)
        implements StateMixer {

    public DeltaNet {
        if (keyHeads < 1 || valueHeads < 1 || stateSize < 1 || valueHeads % keyHeads != 0) {
            throw new ModelConfigException("a delta net needs value heads (ssm.time_step_rank " + valueHeads
                    + ") in whole groups per key head (ssm.group_count " + keyHeads + ") of a positive width "
                    + "(ssm.state_size " + stateSize + ")");
        }
        if (channelGates && (keyHeads != valueHeads || tiledHeads)) {
            throw new ModelConfigException("a decay per key channel needs a key head per value head, got " + keyHeads
                    + " over " + valueHeads);
        }
    }

    /** Qwen3.5's and Qwen3-Next's delta net: a decay per value head. */
    public DeltaNet(int keyHeads, int valueHeads, int stateSize, boolean tiledHeads) {
        this(keyHeads, valueHeads, stateSize, tiledHeads, false);
    }

    /** Kimi's delta attention: {@code heads} heads of queries, keys and values {@code headDim} wide, decayed per key channel. */
    public static DeltaNet kimi(int heads, int headDim) {
        return new DeltaNet(heads, heads, headDim, false, true);
    }

    /** The decay gates per token: one per value head, or one per key channel of each. */
    public int gates() {
        return channelGates ? valueHeads * stateSize : valueHeads;
    }

    /** Width of the queries and keys together, and of the values: the convolution's channels. */
    @Override
    public int convolvedWidth() {
        return 2 * keyHeads * stateSize + valueWidth();
    }

    /** Width of all value heads together (also of the output gate and the block's output). */
    public int valueWidth() {
        return valueHeads * stateSize;
    }

    @Override
    public int outputWidth() {
        return valueWidth();
    }

    @Override
    public int stateHeads() {
        return valueHeads;
    }

    @Override
    public int stateRows() {
        return stateSize;
    }

    @Override
    public int stateColumns() {
        return stateSize;
    }
}
