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
 * @param tiledHeads whether value head h reads key head {@code h % keyHeads}, as Qwen3.5's converter
 *                   orders them, rather than {@code h / (valueHeads / keyHeads)}, as Qwen3-Next's files
 *                   keep them
 */
public record DeltaNet(int keyHeads, int valueHeads, int stateSize, boolean tiledHeads) implements StateMixer {

    public DeltaNet {
        if (keyHeads < 1 || valueHeads < 1 || stateSize < 1 || valueHeads % keyHeads != 0) {
            throw new ModelConfigException("a delta net needs value heads (ssm.time_step_rank " + valueHeads
                    + ") in whole groups per key head (ssm.group_count " + keyHeads + ") of a positive width "
                    + "(ssm.state_size " + stateSize + ")");
        }
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
