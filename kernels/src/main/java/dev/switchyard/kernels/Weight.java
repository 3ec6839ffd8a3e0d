package dev.switchyard.kernels;

import dev.switchyard.kernels.format.GgmlType;

/**
 * A weight tensor where the backend computes with it: one matrix of {@code rows x cols}, or a stack
 * of {@code count} such matrices (routed experts). In ggml's dims that is {@code [cols, rows]} or
 * {@code [cols, rows, count]}: each row of {@code cols} values is contiguous, and a projection
 * {@code y = W x} maps a length-{@code cols} input to a length-{@code rows} output.
 */
public interface Weight {

    GgmlType type();

    int rows();

    int cols();

    /** Matrices in the stack (1 for a plain matrix). */
    int count();
}
