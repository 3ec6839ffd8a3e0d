package dev.switchyard.kernels.cuda;

import java.util.Locale;

/**
 * Whether the CUDA backend replays repeated chunks of kernel launches as CUDA graphs
 * ({@code SWITCHYARD_CUDA_GRAPHS=on|off}, or the system property {@code switchyard.cuda.graphs};
 * on by default), and how many launches a chunk holds ({@code switchyard.cuda.graph-chunk}, 32).
 * Off is for comparing: the tokens are the same either way.
 */
final class GraphSettings {

    static final int DEFAULT_CHUNK = 32;

    private GraphSettings() {
    }

    static boolean enabled() {
        String v = System.getProperty("switchyard.cuda.graphs", System.getenv("SWITCHYARD_CUDA_GRAPHS"));
        if (v == null || v.isBlank()) {
            return true;
        }
        return switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "on", "true", "1" -> true;
            case "off", "false", "0" -> false;
            default -> throw new IllegalArgumentException("SWITCHYARD_CUDA_GRAPHS must be on or off, got '" + v + "'");
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
