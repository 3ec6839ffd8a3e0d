package dev.switchyard.kernels.cuda;

import java.util.Locale;

/**
 * The CUDA backend's switches: whether it replays repeated chunks of kernel launches as CUDA graphs
 * ({@code SWITCHYARD_CUDA_GRAPHS=on|off}, or the system property {@code switchyard.cuda.graphs};
 * on by default), how many launches a chunk holds ({@code switchyard.cuda.graph-chunk}, 32), and
 * whether steps of many tokens take the tensor-core matmul. Off is for comparing: graphs leave the
 * tokens as they are; tensor cores round differently (within the matmul tolerance).
 */
final class GraphSettings {

    static final int DEFAULT_CHUNK = 32;

    private GraphSettings() {
    }

    static boolean enabled() {
        return on("switchyard.cuda.graphs", "SWITCHYARD_CUDA_GRAPHS");
    }

    /**
     * Whether the tensor-core matmul serves steps of many tokens ({@code SWITCHYARD_CUDA_TENSOR_CORES=on|off},
     * or {@code switchyard.cuda.tensor-cores}; on by default, where the GPU has them).
     */
    static boolean tensorCores() {
        return on("switchyard.cuda.tensor-cores", "SWITCHYARD_CUDA_TENSOR_CORES");
    }

    /** An on/off switch: the system property, else the environment variable; on when neither is set. */
    private static boolean on(String property, String environment) {
        String v = System.getProperty(property, System.getenv(environment));
        if (v == null || v.isBlank()) {
            return true;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "on", "true", "1" -> true;
            case "off", "false", "0" -> false;
            default -> throw new IllegalArgumentException(environment + " must be on or off, got '" + v + "'");
        };
    }

    static int chunk() {
        String v = System.getProperty("switchyard.cuda.graph-chunk");
        if (v == null || v.isBlank()) {
            return DEFAULT_CHUNK;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1 && n <= 4096) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through to the message
        }
        throw new IllegalArgumentException("switchyard.cuda.graph-chunk must be a launch count in 1..4096, got '" + v + "'");
    }
}
