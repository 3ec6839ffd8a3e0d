package dev.switchyard.engine.forward;

import dev.switchyard.cache.residency.PackedExpert;
import dev.switchyard.kernels.ExpertSlots;
import dev.switchyard.kernels.Weight;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Backend weights over the device slots: for every slot and every distinct expert layout (types and
 * shapes; usually one for the whole model), the gate, up and down matrices at their packed offsets,
 * as views the backend's {@link ExpertSlots} make (no copy: they compute with whatever the slot
 * holds). Built once, so computing with a resident expert allocates nothing; a slot's bytes are the
 * expert's file bytes, so the same kernels give bitwise the same results as in place.
 */
final class SlotWeights {

    private final int[] layoutOfLayer;
    private final Weight[][][] weights; // [slot][layout][source's parts: gate, up, down, or up, down]
    private final int gatePart;
    private final int upPart;
    private final int downPart;

    SlotWeights(FileExpertSource source, ExpertSlots memory) {
        int slots = memory.count();
        int layers = source.layers();
        gatePart = source.gatePart();
        upPart = source.upPart();
        downPart = source.downPart();
        layoutOfLayer = new int[layers];
        List<Integer> firstLayerOfLayout = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            int found = -1;
            for (int i = 0; i < firstLayerOfLayout.size() && found < 0; i++) {
                if (sameLayout(source, l, firstLayerOfLayout.get(i))) {
                    found = i;
                }
            }
            if (found < 0) {
                found = firstLayerOfLayout.size();
                firstLayerOfLayout.add(l);
            }
            layoutOfLayer[l] = found;
        }
        weights = new Weight[slots][firstLayerOfLayout.size()][source.parts()];
        for (int s = 0; s < slots; s++) {
            for (int layout = 0; layout < firstLayerOfLayout.size(); layout++) {
                int l = firstLayerOfLayout.get(layout);
                long[] sizes = source.sizes(l);
                for (int p = 0; p < source.parts(); p++) {
                    FileExpertSource.Stack st = source.stack(l, p);
                    weights[s][layout][p] = memory.weight(s, PackedExpert.offset(sizes, p), st.type(),
                            new long[] {st.cols(), st.rows()});
                }
            }
        }
    }

    private static boolean sameLayout(FileExpertSource source, int a, int b) {
        for (int p = 0; p < source.parts(); p++) {
            FileExpertSource.Stack x = source.stack(a, p);
            FileExpertSource.Stack y = source.stack(b, p);
            if (x.type() != y.type() || x.cols() != y.cols() || x.rows() != y.rows()) {
                return false;
            }
        }
        return Arrays.equals(source.sizes(a), source.sizes(b));
    }

    /** The gate matrix, or null where experts have none (Nemotron-H). */
    Weight gate(int slot, int layer) {
        return gatePart < 0 ? null : weights[slot][layoutOfLayer[layer]][gatePart];
    }

    Weight up(int slot, int layer) {
        return weights[slot][layoutOfLayer[layer]][upPart];
    }

    Weight down(int slot, int layer) {
        return weights[slot][layoutOfLayer[layer]][downPart];
    }
}
