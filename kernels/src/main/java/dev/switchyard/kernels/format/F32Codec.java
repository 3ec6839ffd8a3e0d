package dev.switchyard.kernels.format;

import java.lang.foreign.MemorySegment;

/** F32: one little-endian IEEE float per element. */
public final class F32Codec implements TensorCodec {

    @Override
    public GgmlType type() {
        return GgmlType.F32;
    }

    @Override
    public void dequantize(MemorySegment src, long srcOffset, float[] dst, int dstOffset, int n) {
        for (int i = 0; i < n; i++) {
            dst[dstOffset + i] = src.get(Blocks.LE_FLOAT, srcOffset + 4L * i);
        }
    }

    @Override
    public void quantize(float[] src, int srcOffset, MemorySegment dst, long dstOffset, int n) {
        for (int i = 0; i < n; i++) {
            dst.set(Blocks.LE_FLOAT, dstOffset + 4L * i, src[srcOffset + i]);
        }
    }
}
