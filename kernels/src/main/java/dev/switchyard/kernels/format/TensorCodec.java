package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * Converts between one GGUF tensor type's bytes and floats, with ggml's exact block layout.
 *
 * <p>{@link #dequantize} is the scalar reference: plain loops, no vectors, the oracle that every
 * later kernel (Vector API or CUDA) is tested against. {@link #quantize} serves the model
 * generator and tests. Bytes are little-endian; offsets are in bytes and {@code long}, since tensors
 * are views on memory-mapped files of hundreds of GB.
 */
public interface TensorCodec {

    GgmlType type();

    /**
     * Decodes {@code n} values (a whole number of blocks) that start {@code srcOffset} bytes into
     * {@code src}, writing {@code dst[dstOffset .. dstOffset + n)}.
     */
    void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n);

    /**
     * Encodes {@code src[srcOffset .. srcOffset + n)} ({@code n} a whole number of blocks) into
     * {@code dst} starting {@code dstOffset} bytes in; writes exactly {@code type().byteSize(n)}
     * bytes.
     */
    void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n);
}
