package dev.switchyard.engine.model;

import java.util.List;

/**
 * Which blocks mix their tokens by a short causal convolution instead of attention (LFM2): such a
 * block projects its normed input to three rows B, C and x, convolves B * x over the last
 * {@code length} positions, one channel at a time, and projects C times that back, so each
 * sequence keeps only its last {@code length - 1} products per block, not its whole past. llama.cpp
 * reads them from a file's {@code attention.head_count_kv}, an array holding 0 at each such block,
 * and the kernel's length from {@code shortconv.l_cache}. Qwen3.5's and Qwen3-Next's delta-net
 * blocks ({@link DeltaNet}) convolve their queries, keys and values the same way before the delta
 * rule; llama.cpp reads them from {@code full_attention_interval} and the kernel's length from
 * {@code ssm.conv_kernel}. Granite 4.0-H's Mamba2 blocks ({@link Mamba2}) convolve their channels
 * and the scan's inputs and outputs before the selective scan. {@link #NONE} for every other family.
 *
 * Nemotron-H's blocks each run one part only: its Mamba2 blocks their scan, its attention blocks
 * attention, and its {@code feedForwardOnly} blocks an FFN (or routed experts) alone.
 *
 * @param length          the positions each convolution reaches (itself and the {@code length - 1} before it)
 * @param blocks          the convolution blocks, ascending
 * @param mixer           what each of them runs on its sequence's state after its convolution, null
 *                        where they run LFM2's gated convolution alone
 * @param feedForwardOnly the blocks that run an FFN alone, ascending (Nemotron-H); where there are any,
 *                        the others run no FFN; empty where every block mixes its tokens, then feeds forward
 */
public record ConvolutionBlocks(int length, List<Integer> blocks, StateMixer mixer, List<Integer> feedForwardOnly) {

    /** No convolution blocks. */
    public static final ConvolutionBlocks NONE = new ConvolutionBlocks(0, List.of());

    /** LFM2's convolution blocks. */
    public ConvolutionBlocks(int length, List<Integer> blocks) {
        this(length, blocks, null);
    }

    /** Blocks that run {@code mixer} after their convolution, every block then feeding forward. */
    public ConvolutionBlocks(int length, List<Integer> blocks, StateMixer mixer) {
        this(length, blocks, mixer, List.of());
    }

    public ConvolutionBlocks {
        blocks = List.copyOf(blocks);
        feedForwardOnly = List.copyOf(feedForwardOnly);
        ascending(feedForwardOnly, "feed-forward blocks");
        if (!feedForwardOnly.isEmpty() && mixer == null) {
            throw new ModelConfigException("feed-forward-only blocks beside blocks that convolve without a state mixer");
        }
        for (int b : feedForwardOnly) {
            if (java.util.Collections.binarySearch(blocks, b) >= 0) {
                throw new ModelConfigException("block " + b + " cannot both convolve and run an FFN alone");
            }
        }
        if (blocks.isEmpty() && mixer != null) {
            throw new ModelConfigException("a recurrent block's shape without recurrent blocks");
        }
        if (blocks.isEmpty() ? length != 0 : length < 2) {
            throw new ModelConfigException(blocks.isEmpty() ? "a convolution length of " + length + " without convolution blocks"
                    : "shortconv.l_cache must be at least 2, got " + length);
        }
        ascending(blocks, "convolution blocks");
    }

    private static void ascending(List<Integer> list, String what) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) < 0 || i > 0 && list.get(i) <= list.get(i - 1)) {
                throw new ModelConfigException(what + " must be ascending block numbers, got " + list);
            }
        }
    }

    /** Whether each block runs one part only (Nemotron-H): some an FFN alone, the others their mixer alone. */
    public boolean separatesFeedForward() {
        return !feedForwardOnly.isEmpty();
    }

    /** Whether block {@code block} runs an FFN alone (Nemotron-H). */
    public boolean isFeedForwardOnly(int block) {
        return separatesFeedForward() && java.util.Collections.binarySearch(feedForwardOnly, block) >= 0;
    }

    /** Whether any block convolves. */
    public boolean present() {
        return !blocks.isEmpty();
    }

    /** Whether block {@code block} convolves. */
    public boolean contains(int block) {
        return present() && java.util.Collections.binarySearch(blocks, block) >= 0;
    }

    /** Blocks that convolve. */
    public int count() {
        return blocks.size();
    }

    /** The channels each convolves, one row per position: the model's width in LFM2, the state mixer's inputs else. */
    public int width(int dim) {
        return mixer != null ? mixer.convolvedWidth() : dim;
    }

    /** The delta rule the blocks run (Qwen3.5), else null. */
    public DeltaNet deltaNet() {
        return mixer instanceof DeltaNet d ? d : null;
    }

    /** The selective scan the blocks run (Granite 4.0-H), else null. */
    public Mamba2 mamba2() {
        return mixer instanceof Mamba2 m ? m : null;
    }
}
