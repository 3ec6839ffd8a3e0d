package dev.switchyard.engine.model;

import java.util.Collections;
import java.util.List;

/**
 * Windowed blocks as a file lists them, where they differ from the full-attention blocks in more
 * than their window (MiMo-V2-Flash: {@code attention.sliding_window_pattern} names them, its
 * {@code attention.head_count_kv} array gives them twice the full blocks' KV heads, and
 * {@code rope.freq_base_swa} their own rotary base). {@link #NONE} for every family whose windowed
 * blocks follow its architecture's fixed rule and share the others' heads and base.
 *
 * @param blocks   the windowed blocks, ascending
 * @param kvHeads  their key/value heads
 * @param ropeBase their rotary base
 */
public record WindowLayout(List<Integer> blocks, int kvHeads, double ropeBase) {

    /** Windowed blocks as the architecture places them, alike to the others. */
    public static final WindowLayout NONE = new WindowLayout(List.of(), 0, 0);

    public WindowLayout {
        blocks = List.copyOf(blocks);
        for (int i = 0; i < blocks.size(); i++) {
            if (blocks.get(i) < 0 || i > 0 && blocks.get(i) <= blocks.get(i - 1)) {
                throw new ModelConfigException("windowed blocks must be ascending block numbers, got " + blocks);
            }
        }
        if (!blocks.isEmpty() && (kvHeads < 1 || !(ropeBase > 0))) {
            throw new ModelConfigException("windowed blocks need positive KV heads and rotary base, got " + kvHeads
                    + " and " + ropeBase);
        }
    }

    /** Whether the file lists its windowed blocks. */
    public boolean stated() {
        return !blocks.isEmpty();
    }

    /** Whether block {@code block} is among the listed windowed blocks. */
    public boolean contains(int block) {
        return Collections.binarySearch(blocks, block) >= 0;
    }
}
