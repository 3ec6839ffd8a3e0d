package dev.switchyard.engine.modelgen;

import dev.switchyard.kernels.format.GgmlType;

/**
 * llama.cpp's {@code general.file_type} codes (llama_ftype) for files whose matrices share one type,
 * or whose routed experts do (MXFP4).
 */
final class LlamaFileType {

    private LlamaFileType() {
    }

    static int of(GgmlType type) {
        return switch (type) {
            case F32 -> 0;
            case F16 -> 1;
            case Q4_0 -> 2;
            case Q4_1 -> 3;
            case Q8_0 -> 7;
            case Q5_0 -> 8;
            case Q5_1 -> 9;
            case Q2_K -> 10;
            case Q3_K -> 11; // Q3_K_S: every matrix in Q3_K
            case Q4_K -> 14; // Q4_K_S: every matrix in Q4_K
            case Q5_K -> 16; // Q5_K_S: every matrix in Q5_K
            case Q6_K -> 18;
            case IQ2_XXS -> 19;
            case IQ2_XS -> 20;
            case IQ3_XXS -> 23;
            case IQ1_S -> 24;
            case IQ4_NL -> 25;
            case IQ3_S -> 26;
            case IQ2_S -> 28;
            case IQ4_XS -> 30;
            case IQ1_M -> 31;
            case BF16 -> 32;
            case MXFP4 -> 38; // MXFP4_MOE: the routed experts in MXFP4, the other matrices Q8_0
            default -> throw new IllegalArgumentException("no file type for " + type);
        };
    }
}
