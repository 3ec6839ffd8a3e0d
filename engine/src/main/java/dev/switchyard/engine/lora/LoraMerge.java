package dev.switchyard.engine.lora;

import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufSplitWriter;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import dev.switchyard.engine.gguf.GgufWriter;
import dev.switchyard.kernels.format.TensorCodec;
import dev.switchyard.kernels.format.TensorCodecs;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges LoRA adapters into a copy of their model, as llama.cpp's {@code llama-export-lora} does:
 * each adapted matrix becomes {@code W + sum of s B A} (s the adapter's scale x alpha / rank), stored
 * in the matrix's own type, everything else copied as it is. A merged model computes what the model
 * with those adapters applied computes, at no cost per token, but for that one mix alone.
 */
public final class LoraMerge {

    /** An adapter and the scale to merge it at. */
    public record Scaled(LoraAdapter adapter, float scale) {
    }

    /** What was written: matrices changed and the file's tensor count. */
    public record Merged(int matricesChanged, int tensors) {
    }

    private LoraMerge() {
    }

    public static Merged write(GgufFile base, List<Scaled> adapters, Path out) throws IOException {
        Map<String, List<Contribution>> byTensor = new HashMap<>();
        for (Scaled s : adapters) {
            for (LoraAdapter.Pair p : s.adapter().pairs()) {
                byTensor.computeIfAbsent(p.target().baseName(p.layer()), k -> new ArrayList<>())
                        .add(new Contribution(s.adapter(), p, s.adapter().effectiveScale(p, s.scale())));
            }
        }
        GgufWriter w = new GgufWriter();
        GgufSplitWriter.putModelKeys(w, base.metadata());
        int changed = 0;
        for (GgufTensorInfo t : base.tensors()) {
            List<Contribution> parts = byTensor.get(t.name());
            MemorySegment data = base.data(t);
            if (parts == null) {
                w.addTensor(t.name(), t.type(), t.dims(), target -> target.copyFrom(data));
                continue;
            }
            changed++;
            w.addTensor(t.name(), t.type(), t.dims(), target -> {
                int cols = Math.toIntExact(t.dim(0));
                int rows = Math.toIntExact(t.dim(1));
                int stacked = t.rank() == 3 ? Math.toIntExact(t.dim(2)) : 1;
                TensorCodec codec = TensorCodecs.forType(t.type());
                float[] merged = new float[Math.multiplyExact(Math.multiplyExact(rows, cols), stacked)];
                codec.dequantize(data, 0, merged, 0, merged.length);
                for (Contribution c : parts) {
                    c.addTo(merged, rows, cols, stacked);
                }
                codec.quantize(merged, 0, target, 0, merged.length);
            });
        }
        w.write(out);
        return new Merged(changed, base.tensors().size());
    }

    /**
     * One adapter's share of one matrix: {@code scale B A}, B of rows x rank, A of rank x cols; of
     * each of {@code stacked} experts' matrices, with its own pair, where the matrix is stacked.
     */
    private record Contribution(LoraAdapter adapter, LoraAdapter.Pair pair, float scale) {

        void addTo(float[] w, int rows, int cols, int stacked) {
            int rank = pair.rank();
            float[] a = values(pair.a(), rank * cols * stacked);
            float[] b = values(pair.b(), rows * rank * stacked);
            double[] row = new double[cols];
            for (int e = 0; e < stacked; e++) {
                int aBase = e * rank * cols;
                int bBase = e * rows * rank;
                int wBase = e * rows * cols;
                for (int r = 0; r < rows; r++) {
                    java.util.Arrays.fill(row, 0);
                    for (int k = 0; k < rank; k++) {
                        double bk = b[bBase + r * rank + k];
                        int ak = aBase + k * cols;
                        for (int c = 0; c < cols; c++) {
                            row[c] += bk * a[ak + c];
                        }
                    }
                    int base = wBase + r * cols;
                    for (int c = 0; c < cols; c++) {
                        w[base + c] = (float) (w[base + c] + scale * row[c]);
                    }
                }
            }
        }

        private float[] values(GgufTensorInfo t, int count) {
            float[] v = new float[count];
            TensorCodecs.forType(t.type()).dequantize(adapter.file().data(t), 0, v, 0, count);
            return v;
        }
    }
}
