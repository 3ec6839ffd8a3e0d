// RMSNorm over rows and over heads.
//
// rms_norm:       x (T, cols) -> out (T, cols), out may be x:
//                 out[t][i] = x[t][i] * (1 / sqrt(mean_i x[t][i]^2 + eps)) * gamma[i]
//                 Launch: grid (T), block 256 (a multiple of 32).
// rms_norm_heads: x (T, heads * headDim) in place, each headDim-wide slice normalized on its own,
//                 one gamma (headDim) for all heads (QK-norm, gammaStride 0), or each column its own
//                 (gamma as wide as the row, gammaStride headDim: Mamba2's norm per group).
//                 Launch: grid (heads, T), block 32 (one warp per head).
// The reciprocal is taken in double, as the CPU backend takes it.
#include "common.cuh"

extern "C" __global__ void rms_norm(const float* x, const float* __restrict__ gamma, float eps,
                                    float* out, int cols) {
    __shared__ float scratch[32];
    const float* xr = x + (size_t)blockIdx.x * cols;
    float* o = out + (size_t)blockIdx.x * cols;
    float ss = 0.f;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        ss = fmaf(xr[i], xr[i], ss);
    }
    ss = block_sum(ss, scratch);
    float inv = (float)(1.0 / sqrt((double)ss / cols + (double)eps));
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        o[i] = xr[i] * inv * gamma[i];
    }
}

extern "C" __global__ void rms_norm_heads(float* x, const float* __restrict__ gamma, float eps,
                                          int cols, int headDim, int gammaStride) {
    float* h = x + (size_t)blockIdx.y * cols + (size_t)blockIdx.x * headDim;
    const float* g = gamma + (size_t)blockIdx.x * gammaStride;
    float ss = 0.f;
    for (int i = threadIdx.x; i < headDim; i += 32) {
        ss = fmaf(h[i], h[i], ss);
    }
    ss = warp_sum(ss);
    float inv = (float)(1.0 / sqrt((double)ss / headDim + (double)eps));
    for (int i = threadIdx.x; i < headDim; i += 32) {
        h[i] = h[i] * inv * g[i];
    }
}
