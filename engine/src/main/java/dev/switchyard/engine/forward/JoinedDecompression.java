package dev.switchyard.engine.forward;

import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import dev.switchyard.engine.model.LatentAttention;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.format.GgmlType;
import dev.switchyard.kernels.format.TensorCodec;
import dev.switchyard.kernels.format.TensorCodecs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Splits the older DeepSeek-V2 layout's {@code attn_kv_b} (latent -> every head's non-rotary key
 * rows, then its value rows) into the per-head stacks latent attention computes with, as llama.cpp's
 * current converter splits it:
 * <ul>
 *   <li>values: each head's value rows, their bytes copied as stored (rows are independent in every
 *       format), stacked {@code [kvLoraRank, valueLength, heads]};</li>
 *   <li>keys: each head's key rows transposed (a head's query is carried into latent space by the
 *       transpose), which needs the values themselves: decoded to F32 and stacked
 *       {@code [nope, kvLoraRank, heads]}, 4 x nope x kvLoraRank bytes per head.</li>
 * </ul>
 * The copies live as long as the weights that view them (an automatic arena).
 */
final class JoinedDecompression {

    private JoinedDecompression() {
    }

    /** The key decompression stack ({@code attn_k_b}'s layout) of block tensor {@code kvB}. */
    static Weight keys(GgufFile file, GgufTensorInfo kvB, LatentAttention a, int nope, int heads, Backend backend) {
        int rank = a.kvLoraRank();
        int perHead = nope + a.valueLength();
        MemorySegment data = file.data(kvB);
        long rowBytes = kvB.type().byteSize(rank);
        MemorySegment out = Arena.ofAuto().allocate((long) heads * rank * nope * Float.BYTES, 64);
        float[] row = new float[rank];
        TensorCodec codec = TensorCodecs.forType(kvB.type());
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < nope; i++) {
                codec.dequantize(data, (long) (h * perHead + i) * rowBytes, row, 0, rank);
                for (int c = 0; c < rank; c++) {
                    // head h's matrix, row c (a latent dimension), column i (a key dimension)
                    out.setAtIndex(ValueLayout.JAVA_FLOAT, ((long) h * rank + c) * nope + i, row[c]);
                }
            }
        }
        return backend.weight(GgmlType.F32, out, new long[] {nope, rank, heads});
    }

    /** The value decompression stack ({@code attn_v_b}'s layout) of block tensor {@code kvB}. */
    static Weight values(GgufFile file, GgufTensorInfo kvB, LatentAttention a, int nope, int heads, Backend backend) {
        int rank = a.kvLoraRank();
        int v = a.valueLength();
        int perHead = nope + v;
        MemorySegment data = file.data(kvB);
        long rowBytes = kvB.type().byteSize(rank);
        MemorySegment out = Arena.ofAuto().allocate((long) heads * v * rowBytes, 64);
        for (int h = 0; h < heads; h++) {
            MemorySegment.copy(data, (long) (h * perHead + nope) * rowBytes, out, (long) h * v * rowBytes, v * rowBytes);
        }
        return backend.weight(kvB.type(), out, new long[] {rank, v, heads});
    }
}
