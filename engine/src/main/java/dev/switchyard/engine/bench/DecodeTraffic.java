package dev.switchyard.engine.bench;

import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import dev.switchyard.engine.model.ModelConfig;

/**
 * Bytes of weights one decode token reads at batch 1: every attention matrix, the router, the k
 * routed experts of each layer (k/E of each stacked expert tensor, and of its biases), the shared expert, dense FFNs,
 * the output head, and one embedding row. Norms and biases are counted too; they are small. Blocks
 * the model does not run (GLM-4.5's multi-token-prediction block) are not counted. This is the
 * numerator of the memory-bandwidth bound on decode speed.
 */
public final class DecodeTraffic {

    private DecodeTraffic() {
    }

    public static long bytesPerToken(ModelConfig config, GgufFile file) {
        long bytes = 0;
        for (GgufTensorInfo t : file.tensors()) {
            String name = t.name();
            if (name.startsWith("blk.") && blockOf(name) >= config.layers()) {
                continue;
            }
            if (name.equals("token_embd.weight")) {
                bytes += t.byteSize() / t.dim(1); // one row
                if (file.tensor("output.weight").isEmpty()) {
                    bytes += t.byteSize(); // tied output head reads the whole table
                }
            } else if (name.endsWith("_exps.weight") || name.endsWith("_exps.bias")) {
                // the chosen experts' matrices, and their biases (gpt-oss)
                bytes += t.byteSize() / config.expertCount() * config.expertUsedCount();
            } else {
                bytes += t.byteSize();
            }
        }
        return bytes;
    }

    private static int blockOf(String name) {
        int end = name.indexOf('.', 4);
        try {
            return Integer.parseInt(name.substring(4, end < 0 ? name.length() : end));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
