package dev.switchyard.engine.forward;

import dev.switchyard.cache.residency.ExpertSource;
import dev.switchyard.cache.residency.PackedExpert;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * The host tier: each expert's gate, up and down matrices (up and down alone where experts have no
 * gate: Nemotron-H) as views on the mapped GGUF file, where a stacked {@code ffn_*_exps} tensor
 * holds expert e's matrix at {@code e x matrix bytes}. Layers are the model's routed layers
 * ({@link ModelConfig#routedLayers()}), each read from its own block.
 */
final class FileExpertSource implements ExpertSource {

    /** One stacked expert tensor of one layer. */
    record Stack(GgmlType type, long cols, long rows, MemorySegment data, long matrixBytes) {

        MemorySegment matrix(int expert) {
            return data.asSlice(expert * matrixBytes, matrixBytes);
        }
    }

    private static final String[] GATED = {"ffn_gate_exps", "ffn_up_exps", "ffn_down_exps"};
    private static final String[] UNGATED = {"ffn_up_exps", "ffn_down_exps"};

    private final Stack[][] stacks; // [layer][gate, up, down], or [layer][up, down]
    private final int experts;
    private final long maxPacked;

    FileExpertSource(GgufFile file, ModelConfig config) {
        int layers = config.routedLayers();
        this.experts = config.expertCount();
        String[] names = config.architecture().squaresRelu() ? UNGATED : GATED;
        this.stacks = new Stack[layers][names.length];
        long max = 0;
        for (int l = 0; l < layers; l++) {
            for (int p = 0; p < names.length; p++) {
                GgufTensorInfo t = file.requireTensor("blk." + config.blockOfRoutedLayer(l) + "." + names[p] + ".weight");
                long matrixBytes = t.type().byteSize(t.dim(0)) * t.dim(1);
                stacks[l][p] = new Stack(t.type(), t.dim(0), t.dim(1), file.data(t), matrixBytes);
            }
            max = Math.max(max, PackedExpert.size(sizes(l)));
        }
        this.maxPacked = max;
    }

    /** Bytes of layer {@code l}'s matrices of one expert, in {@link #stack}'s order. */
    long[] sizes(int layer) {
        long[] s = new long[parts()];
        for (int p = 0; p < s.length; p++) {
            s[p] = stacks[layer][p].matrixBytes();
        }
        return s;
    }

    /** Every stacked expert tensor's bytes on the mapping: what copies read, for a backend to pin. */
    List<MemorySegment> hostRegions() {
        List<MemorySegment> regions = new ArrayList<>();
        for (Stack[] layer : stacks) {
            for (Stack s : layer) {
                regions.add(s.data());
            }
        }
        return regions;
    }

    Stack stack(int layer, int part) {
        return stacks[layer][part];
    }

    /** An expert's matrices: gate, up and down, or up and down where experts have no gate. */
    int parts() {
        return stacks.length == 0 ? GATED.length : stacks[0].length;
    }

    /** Where in {@link #stack}'s order the gate (-1: none), up and down matrices are. */
    int gatePart() {
        return parts() == GATED.length ? 0 : -1;
    }

    int upPart() {
        return parts() - 2;
    }

    int downPart() {
        return parts() - 1;
    }

    @Override
    public int layers() {
        return stacks.length;
    }

    @Override
    public int experts() {
        return experts;
    }

    @Override
    public MemorySegment[] parts(int layer, int expert) {
        MemorySegment[] parts = new MemorySegment[parts()];
        for (int p = 0; p < parts.length; p++) {
            parts[p] = stacks[layer][p].matrix(expert);
        }
        return parts;
    }

    @Override
    public long maxPackedBytes() {
        return maxPacked;
    }
}
