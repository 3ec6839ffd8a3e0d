package dev.switchyard.engine.model;

/**
 * The shape of a Mamba2 block (Granite 4.0-H's recurrent blocks): the normed input is projected to
 * a gate z and channels x of {@code heads} heads {@code headDim} wide, to {@code groups} groups'
 * inputs B and outputs C {@code stateSize} wide, and to one step size per head; a short causal
 * convolution mixes x, B and C over the last positions; then each head updates a
 * {@code stateSize x headDim} state by the selective scan and reads its output from it. llama.cpp
 * reads the shape from {@code ssm.time_step_rank} (heads), {@code ssm.inner_size} (heads x
 * headDim), {@code ssm.state_size} and {@code ssm.group_count}.
 *
 * @param heads     heads, a whole number per group ({@code ssm.time_step_rank})
 * @param headDim   each head's channels ({@code ssm.inner_size / ssm.time_step_rank})
 * @param stateSize each group's inputs and outputs, and the rows of each head's state ({@code ssm.state_size})
 * @param groups    groups of heads that share their inputs and outputs ({@code ssm.group_count})
 */
public record Mamba2(int heads, int headDim, int stateSize, int groups) implements StateMixer {

    public Mamba2 {
        if (heads < 1 || headDim < 1 || stateSize < 1 || groups < 1 || heads % groups != 0) {
            throw new ModelConfigException("a Mamba2 block needs heads (ssm.time_step_rank " + heads + ") in whole "
                    + "groups (ssm.group_count " + groups + "), each of a positive width (" + headDim
                    + " from ssm.inner_size) and state (ssm.state_size " + stateSize + ")");
        }
    }

    /** Width of every head's channels together: the gate's, the scan's output's, the norm's. */
    public int innerWidth() {
        return heads * headDim;
    }

    /** Width of the input projection: the gate, the convolved channels, and a step size per head. */
    public int projectedWidth() {
        return innerWidth() + convolvedWidth() + heads;
    }

    /** Channels x, then the groups' B and C. */
    @Override
    public int convolvedWidth() {
        return innerWidth() + 2 * groups * stateSize;
    }

    @Override
    public int outputWidth() {
        return innerWidth();
    }

    @Override
    public int stateHeads() {
        return heads;
    }

    @Override
    public int stateRows() {
        return stateSize;
    }

    @Override
    public int stateColumns() {
        return headDim;
    }
}
