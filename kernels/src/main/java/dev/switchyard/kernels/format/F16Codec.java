package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/**
 * F16: one little-endian IEEE 754 half per element (2 bytes).
 *
 * <p>Encoding rounds to nearest even, as ggml's GGML_FP32_TO_FP16 and the F16C instructions do.
 * Half precision can hold infinities and NaN, so they pass through; finite values beyond 65504
 * overflow to infinity exactly as they would in llama.cpp.
 */
public final class F16Codec implements TensorCodec {

    @Override
    public GgmlType type() {
        return GgmlType.F16;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = Blocks.f16(src, srcOffset + 2L * i);
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        for (int i = 0; i < n; i++) {
            dst.set(Blocks.LE_SHORT, dstOffset + 2L * i, Float.floatToFloat16(src[srcOffset + i]));
        }
    }
}
