// Paged KV cache: store and causal grouped-query attention.
//
// Cache of one layer: keys (slots, keyDim) and values (slots, valueDim), float row-major; a
// sequence's position p lives in slot table[p / blockSize] * blockSize + p % blockSize.
//
// store_kv: k (T, keyDim), v (T, valueDim) -> slot slots[t] of keys and values.
//           Launch: grid (T), block 128.
//
// attention_paged: q (T, qCols), head h at q[t][h * hk ..]; out (T, outCols), head h at
//           out[t][h * hv ..]. Token t sits at positions[t] and attends to positions
//           0 .. positions[t] of its own sequence, whose block table starts at
//           tables[tableStart[t]]. Query head h reads KV head g = h / group, keys at
//           [g * hk, (g + 1) * hk) of a slot, values at [g * hv, (g + 1) * hv).
//           out = softmax(scale * q . k_p) . v_p over p.
//           Launch: grid (heads, T), block WARPS * 32. Each warp walks positions warp, warp +
//           WARPS, ... with an online softmax (running max m, sum l, output acc, lane j holding
//           dims j, j + 32, ...); the warps' partial results are merged at the end.
//           Needs hk <= MAX_HK and hv <= MAX_HV (checked by the caller).
#include "common.cuh"

#define WARPS 4
#define MAX_HK 512
#define MAX_HV 256

extern "C" __global__ void store_kv(const float* __restrict__ k, const float* __restrict__ v,
                                    const int* __restrict__ slots, float* keys, float* values,
                                    int keyDim, int valueDim) {
    int t = blockIdx.x;
    size_t slot = (size_t)slots[t];
    for (int i = threadIdx.x; i < keyDim; i += blockDim.x) {
        keys[slot * keyDim + i] = k[(size_t)t * keyDim + i];
    }
    for (int i = threadIdx.x; i < valueDim; i += blockDim.x) {
        values[slot * valueDim + i] = v[(size_t)t * valueDim + i];
    }
}

extern "C" __global__ void attention_paged(const float* __restrict__ q, int qCols, float* __restrict__ out, int outCols,
                                           const float* __restrict__ keys, const float* __restrict__ values,
                                           int keyDim, int valueDim, int blockSize,
                                           const int* __restrict__ positions, const int* __restrict__ tableStart,
                                           const int* __restrict__ tables, int group, int hk, int hv, float scale) {
    __shared__ float qs[MAX_HK];
    __shared__ float wm[WARPS];
    __shared__ float wl[WARPS];
    __shared__ float wacc[WARPS][MAX_HV];
    int h = blockIdx.x;
    int t = blockIdx.y;
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int g = h / group;
    const float* qh = q + (size_t)t * qCols + (size_t)h * hk;
    for (int i = threadIdx.x; i < hk; i += blockDim.x) {
        qs[i] = qh[i];
    }
    __syncthreads();
    int pos = positions[t];
    const int* table = tables + tableStart[t];
    float m = -INFINITY;
    float l = 0.f;
    float acc[MAX_HV / 32];
#pragma unroll
    for (int j = 0; j < MAX_HV / 32; j++) {
        acc[j] = 0.f;
    }
    for (int p = warp; p <= pos; p += WARPS) {
        size_t slot = (size_t)table[p / blockSize] * blockSize + p % blockSize;
        const float* kp = keys + slot * keyDim + (size_t)g * hk;
        float s = 0.f;
        for (int i = lane; i < hk; i += 32) {
            s = fmaf(qs[i], kp[i], s);
        }
        s = warp_sum(s) * scale;
        float mNew = fmaxf(m, s);
        float correction = expf(m - mNew);
        float e = expf(s - mNew);
        l = l * correction + e;
        const float* vp = values + slot * valueDim + (size_t)g * hv;
#pragma unroll
        for (int j = 0; j < MAX_HV / 32; j++) {
            int i = lane + 32 * j;
            if (i < hv) {
                acc[j] = fmaf(e, vp[i], acc[j] * correction);
            }
        }
        m = mNew;
    }
    if (lane == 0) {
        wm[warp] = m;
        wl[warp] = l;
    }
#pragma unroll
    for (int j = 0; j < MAX_HV / 32; j++) {
        int i = lane + 32 * j;
        if (i < hv) {
            wacc[warp][i] = acc[j];
        }
    }
    __syncthreads();
    float mAll = -INFINITY;
    for (int w = 0; w < WARPS; w++) {
        mAll = fmaxf(mAll, wm[w]);
    }
    float lAll = 0.f;
    for (int w = 0; w < WARPS; w++) {
        lAll += wl[w] * expf(wm[w] - mAll);   // a warp that saw no position has m = -inf: weight 0
    }
    float* o = out + (size_t)t * outCols + (size_t)h * hv;
    for (int i = threadIdx.x; i < hv; i += blockDim.x) {
        float sum = 0.f;
        for (int w = 0; w < WARPS; w++) {
            sum += wacc[w][i] * expf(wm[w] - mAll);
        }
        o[i] = sum / lAll;
    }
}
