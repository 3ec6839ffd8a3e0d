// Paged KV cache: store and causal grouped-query attention.
//
// Cache of one layer: keys (slots, keyDim) and values (slots, valueDim), row-major; a sequence's
// position p lives in slot table[p / blockSize] * blockSize + p % blockSize. Elements are floats, or
// IEEE halves in the *_f16 kernels (an F16 cache, half the memory): store_kv_f16 rounds each key and
// value to the nearest half once, and attention widens them back to float as it reads; everything
// else (scores, softmax, sums) is float in both.
//
// A Q8_0 cache (the *_q8 kernels) holds signed bytes, and beside them half scales: each KV head's
// part of a slot cut into groups of 32 (the last shorter where the head's width is not a multiple
// of 32), group j of head g of slot s scaled by keyScales[s * keyScaleStride + g * groups(hk) + j]
// (keyScaleStride = kvHeads * groups(hk)), values likewise; an element reads back as q * scale, exact
// in float. store_kv_q8 quantizes as KvQ8 does on the host (scale = amax / 127 as a half, quants
// roundf(x / scale) with the reciprocal of the unrounded scale), so both backends hold the same bytes.
//
// store_kv: k (T, keyDim), v (T, valueDim) -> slot slots[t] of keys and values.
//           Launch: grid (T), block 128.
// store_kv_q8: the same into a Q8_0 cache, a warp per group. Launch: grid (T), block 128.
//
// attention_paged: q (T, qCols), head h at q[t][h * hk ..]; out (T, outCols), head h at
//           out[t][h * hv ..]. Token t sits at positions[t] and attends to positions
//           first_t .. positions[t] of its own sequence, whose block table starts at
//           tables[tableStart[t]]; first_t = max(0, positions[t] - window + 1) under a sliding
//           window (window > 0), floor(positions[t] / c) * c within chunks of c = -window
//           positions (window < 0), else 0, and positions before it are never read. Query head h
//           reads KV head g = h / group, keys at [g * hk, (g + 1) * hk) of a slot, values at
//           [g * hv, (g + 1) * hv).
//           out = sum_p exp(s_p - m) v_p / (exp(sink_h - m) + sum_p exp(s_p - m)), s_p = scale * q . k_p,
//           m = max(sink_h, max_p s_p): sinks (heads), one logit per query head taken as it is,
//           joins the softmax's denominator without a value (gpt-oss); a null sinks is sink_h = -inf,
//           which adds exp(-inf) = 0, so models without sinks get the plain softmax bit for bit.
//           The *_q8 twins take the scales too (keyScales, valueScales, their strides per slot,
//           and valueFirst: which element of its head's row a value head starts at, so that
//           values read from key rows (latent attention, valueOffset into the row) find their
//           groups' scales).
//           Launch: grid (heads, T), block WARPS * 32. Each warp walks positions warp, warp +
//           WARPS, ... with an online softmax (running max m, sum l, output acc, lane j holding
//           dims j, j + 32, ...); the warps' partial results are merged at the end.
//           Needs hk <= MAX_HK and hv <= MAX_HV (checked by the caller); attention_paged_wide
//           and attention_split_wide are the same kernels for hv up to MAX_HV_WIDE.
//
// short_conv: LFM2's causal convolution, one channel at a time, over float rows cached one head
//           wide without values (keys (slots, width)): out[t][c] = sum_{j < length} taps[j * width + c]
//           * row(positions[t] - length + 1 + j)[c], rows before position 0 zero, the products added
//           in order of j with fused multiply-adds from 0, as the CPU backend adds them. Token t's
//           block table starts at tables[tableStart[t]]. Launch: grid (ceil(width / 256), T), block 256.
//
// Split-K ("flash-decoding") for steps of few tokens, where grid (heads, T) would leave most SMs
// idle at long contexts: S splits per (head, token), S chosen by the host from heads, T and the
// SM count alone (CudaKernels.attentionSplits), never from the context length, so a decode step
// queues the same launches at every position and replays as the same CUDA graph.
//
// attention_split: as attention_paged, but block (h, t * S + s) walks only positions
//           [first_t + s * chunk, min(first_t + (s + 1) * chunk, positions[t] + 1)), chunk =
//           ceil((positions[t] + 1 - first_t) / S) (only the window is split, and no split sees the
//           sink), and writes its unnormalized partial to partials (T, heads, S, 2 + hv): m (max
//           score), l (sum of exp(score - m)), acc[hv] (sum of exp(score - m) v). A split past the
//           end of the window writes m = -inf, l = 0, acc = 0.
//           Launch: grid (heads, T * S), block WARPS * 32.
// attention_combine: partials (T, heads, S, 2 + hv) -> out (T, outCols), head h at out[t][h * hv ..]:
//           M = max(sink_h, max m_s), out = sum_s acc_s exp(m_s - M) / (exp(sink_h - M) + sum_s l_s
//           exp(m_s - M)): the sink joins here, once, and not in any split.
//           Launch: grid (heads, T), block 128. Needs S <= MAX_SPLITS.
#include "common.cuh"

#define WARPS 4
#define MAX_HK 576        // latent attention (DeepSeek-V2/V3): 512 latent + 64 rope dims per key
#define MAX_HV 256        // value heads of the *_paged and *_split kernels
#define MAX_HV_WIDE 512   // and of their *_wide twins: latent attention's 512 latent dims per value,
                          // kept apart so that other models' kernels hold only 8 accumulators a lane
#define MAX_SPLITS 32

// A float into the cache: floats as they are, halves rounded to nearest (ties to even); kv_at
// below widens them back exactly.
__device__ __forceinline__ void kv_put(float* p, size_t i, float x) {
    p[i] = x;
}

__device__ __forceinline__ void kv_put(__half* p, size_t i, float x) {
    p[i] = __float2half_rn(x);
}

#define KV_Q8_GROUP 32
#define KV_Q8_LIMIT (65504.f * 127.f)   // the largest magnitude a half scale covers; larger ones clamp

__device__ __forceinline__ int kv_q8_groups(int width) {
    return (width + KV_Q8_GROUP - 1) / KV_Q8_GROUP;
}

// Element i of a head's row from p, which starts at element `first` of the row whose group scales
// start at s: floats and halves ignore the scales.
__device__ __forceinline__ float kv_at(const float* p, const __half*, int i, int) {
    return p[i];
}

__device__ __forceinline__ float kv_at(const __half* p, const __half*, int i, int) {
    return __half2float(p[i]);
}

__device__ __forceinline__ float kv_at(const int8_t* p, const __half* s, int i, int first) {
    return (float)p[i] * __half2float(s[(first + i) / KV_Q8_GROUP]);
}

// A row of `heads` heads of `width` from x into q, each head's groups of 32 a warp at a time
// (lane l taking element 32 j + l), their scales into s (heads * groups(width) of them).
__device__ __forceinline__ void store_q8_row(const float* __restrict__ x, int8_t* q, __half* s, int width, int heads) {
    int lane = threadIdx.x & 31;
    int groups = kv_q8_groups(width);
    for (int gi = threadIdx.x >> 5; gi < heads * groups; gi += blockDim.x >> 5) {
        int h = gi / groups;
        int i = (gi % groups) * KV_Q8_GROUP + lane;
        bool in = i < width;
        float v = in ? x[(size_t)h * width + i] : 0.f;
        float amax = warp_max(fabsf(v));
        float d = fminf(amax, KV_Q8_LIMIT) / 127.f;
        float id = d != 0.f ? 1.f / d : 0.f;
        if (in) {
            int r = (int)roundf(v * id);
            q[(size_t)h * width + i] = (int8_t)max(-127, min(127, r));
        }
        if (lane == 0) {
            s[gi] = __float2half_rn(d);
        }
    }
}

template <typename KV>
__device__ __forceinline__ void store_kv_body(const float* __restrict__ k, const float* __restrict__ v,
                                              const int* __restrict__ slots, KV* keys, KV* values, int keyDim,
                                              int valueDim) {
    int t = blockIdx.x;
    size_t slot = (size_t)slots[t];
    for (int i = threadIdx.x; i < keyDim; i += blockDim.x) {
        kv_put(keys, slot * keyDim + i, k[(size_t)t * keyDim + i]);
    }
    for (int i = threadIdx.x; i < valueDim; i += blockDim.x) {
        kv_put(values, slot * valueDim + i, v[(size_t)t * valueDim + i]);
    }
}

extern "C" __global__ void store_kv(const float* __restrict__ k, const float* __restrict__ v,
                                    const int* __restrict__ slots, float* keys, float* values,
                                    int keyDim, int valueDim) {
    store_kv_body<float>(k, v, slots, keys, values, keyDim, valueDim);
}

extern "C" __global__ void store_kv_f16(const float* __restrict__ k, const float* __restrict__ v,
                                        const int* __restrict__ slots, __half* keys, __half* values,
                                        int keyDim, int valueDim) {
    store_kv_body<__half>(k, v, slots, keys, values, keyDim, valueDim);
}

extern "C" __global__ void store_kv_q8(const float* __restrict__ k, const float* __restrict__ v,
                                       const int* __restrict__ slots, int8_t* keys, int8_t* values, __half* keyScales,
                                       __half* valueScales, int keyDim, int valueDim, int kvHeads) {
    int t = blockIdx.x;
    size_t slot = (size_t)slots[t];
    int hk = keyDim / kvHeads;
    store_q8_row(k + (size_t)t * keyDim, keys + slot * keyDim, keyScales + slot * kvHeads * kv_q8_groups(hk), hk,
                 kvHeads);
    if (valueDim > 0) {
        int hv = valueDim / kvHeads;
        store_q8_row(v + (size_t)t * valueDim, values + slot * valueDim,
                     valueScales + slot * kvHeads * kv_q8_groups(hv), hv, kvHeads);
    }
}

// The scales to read: the Q8_0 cache's, else none.
struct KvScales {
    const __half* keys;     // null for floats and halves
    const __half* values;
    int keyStride;          // scales per slot
    int valueStride;
    int valueFirst;         // the element of its row a value head starts at
};

// The first position a token attends to, given the end of its positions (its own position + 1):
// under a sliding window (window > 0) the window's first; within chunks of -window positions
// (window < 0: Llama 4's rotated blocks) the first of its own chunk; else 0.
__device__ __forceinline__ int first_position(int end, int window) {
    return window > 0 ? max(0, end - window) : window < 0 ? (end - 1) / -window * -window : 0;
}

// One block's walk over positions [begin, end) of a token: warp w takes begin + w, begin + w +
// WARPS, ... with an online softmax and leaves its state in wm[w], wl[w], wacc[w][0 .. hv) (m = -inf,
// l = 0, acc = 0 for a warp that saw no position). qs holds the query head; ends with a barrier.
template <typename KV, int MAXV>
__device__ __forceinline__ void attend_positions(const float* qs, const KV* __restrict__ keys,
                                                 const KV* __restrict__ values, int keyDim, int valueDim,
                                                 int blockSize, const int* __restrict__ table, int g, int hk, int hv,
                                                 float scale, int begin, int end, KvScales scales, float* wm,
                                                 float* wl, float (*wacc)[MAXV]) {
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    float m = -INFINITY;
    float l = 0.f;
    float acc[MAXV / 32];
#pragma unroll
    for (int j = 0; j < MAXV / 32; j++) {
        acc[j] = 0.f;
    }
    for (int p = begin + warp; p < end; p += WARPS) {
        size_t slot = (size_t)table[p / blockSize] * blockSize + p % blockSize;
        const KV* kp = keys + slot * keyDim + (size_t)g * hk;
        const __half* ks = nullptr;
        const __half* vs = nullptr;
        if (scales.keys != nullptr) {
            ks = scales.keys + slot * scales.keyStride + (size_t)g * kv_q8_groups(hk);
            vs = scales.values + slot * scales.valueStride + (size_t)g * kv_q8_groups(hv);
        }
        float s = 0.f;
        for (int i = lane; i < hk; i += 32) {
            s = fmaf(qs[i], kv_at(kp, ks, i, 0), s);
        }
        s = warp_sum(s) * scale;
        float mNew = fmaxf(m, s);
        float correction = expf(m - mNew);
        float e = expf(s - mNew);
        l = l * correction + e;
        const KV* vp = values + slot * valueDim + (size_t)g * hv;
#pragma unroll
        for (int j = 0; j < MAXV / 32; j++) {
            int i = lane + 32 * j;
            if (i < hv) {
                acc[j] = fmaf(e, kv_at(vp, vs, i, scales.valueFirst), acc[j] * correction);
            }
        }
        m = mNew;
    }
    if (lane == 0) {
        wm[warp] = m;
        wl[warp] = l;
    }
#pragma unroll
    for (int j = 0; j < MAXV / 32; j++) {
        int i = lane + 32 * j;
        if (i < hv) {
            wacc[warp][i] = acc[j];
        }
    }
    __syncthreads();
}

template <typename KV, int MAXV>
__device__ __forceinline__ void attention_paged_body(const float* __restrict__ q, int qCols, float* __restrict__ out,
                                                     int outCols, const KV* __restrict__ keys,
                                                     const KV* __restrict__ values, int keyDim, int valueDim,
                                                     int blockSize, const int* __restrict__ positions,
                                                     const int* __restrict__ tableStart,
                                                     const int* __restrict__ tables, int group, int hk, int hv,
                                                     float scale, int window, const float* __restrict__ sinks,
                                                     KvScales scales) {
    __shared__ float qs[MAX_HK];
    __shared__ float wm[WARPS];
    __shared__ float wl[WARPS];
    __shared__ float wacc[WARPS][MAXV];
    int h = blockIdx.x;
    int t = blockIdx.y;
    const float* qh = q + (size_t)t * qCols + (size_t)h * hk;
    for (int i = threadIdx.x; i < hk; i += blockDim.x) {
        qs[i] = qh[i];
    }
    __syncthreads();
    int end = positions[t] + 1;
    attend_positions<KV, MAXV>(qs, keys, values, keyDim, valueDim, blockSize, tables + tableStart[t], h / group, hk, hv,
                           scale, first_position(end, window), end, scales, wm, wl, wacc);
    float sink = sinks != nullptr ? sinks[h] : -INFINITY;
    float mAll = sink;
    for (int w = 0; w < WARPS; w++) {
        mAll = fmaxf(mAll, wm[w]);
    }
    float lAll = expf(sink - mAll);   // 0 without a sink (mAll is finite: the window holds the token)
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

template <typename KV, int MAXV>
__device__ __forceinline__ void attention_split_body(const float* __restrict__ q, int qCols,
                                                     const KV* __restrict__ keys, const KV* __restrict__ values,
                                                     int keyDim, int valueDim, int blockSize,
                                                     const int* __restrict__ positions,
                                                     const int* __restrict__ tableStart,
                                                     const int* __restrict__ tables, int group, int hk, int hv,
                                                     float scale, int window, int splits,
                                                     float* __restrict__ partials, KvScales scales) {
    __shared__ float qs[MAX_HK];
    __shared__ float wm[WARPS];
    __shared__ float wl[WARPS];
    __shared__ float wacc[WARPS][MAXV];
    int h = blockIdx.x;
    int t = blockIdx.y / splits;
    int split = blockIdx.y % splits;
    int last = positions[t] + 1;
    int first = first_position(last, window);
    int chunk = (last - first + splits - 1) / splits;
    int begin = min(first + split * chunk, last);
    int end = min(begin + chunk, last);
    const float* qh = q + (size_t)t * qCols + (size_t)h * hk;
    for (int i = threadIdx.x; i < hk; i += blockDim.x) {
        qs[i] = qh[i];
    }
    __syncthreads();
    attend_positions<KV, MAXV>(qs, keys, values, keyDim, valueDim, blockSize, tables + tableStart[t], h / group, hk, hv,
                           scale, begin, end, scales, wm, wl, wacc);
    float mAll = -INFINITY;
    for (int w = 0; w < WARPS; w++) {
        mAll = fmaxf(mAll, wm[w]);
    }
    float* part = partials + (((size_t)t * gridDim.x + h) * splits + split) * (2 + hv);
    if (mAll == -INFINITY) {
        // no position in this split: weight 0 in the combine (and no exp(-inf - -inf) = NaN here)
        for (int i = threadIdx.x; i < hv + 2; i += blockDim.x) {
            part[i] = i == 0 ? -INFINITY : 0.f;
        }
        return;
    }
    float lAll = 0.f;
    for (int w = 0; w < WARPS; w++) {
        lAll += wl[w] * expf(wm[w] - mAll);
    }
    if (threadIdx.x == 0) {
        part[0] = mAll;
        part[1] = lAll;
    }
    for (int i = threadIdx.x; i < hv; i += blockDim.x) {
        float sum = 0.f;
        for (int w = 0; w < WARPS; w++) {
            sum += wacc[w][i] * expf(wm[w] - mAll);
        }
        part[2 + i] = sum;
    }
}

#define ATTENTION_ENTRIES(suffix, KV, MAXV)                                                                    \
    extern "C" __global__ void attention_paged##suffix(                                                          \
        const float* __restrict__ q, int qCols, float* __restrict__ out, int outCols, const KV* __restrict__ keys,  \
        const KV* __restrict__ values, int keyDim, int valueDim, int blockSize, const int* __restrict__ positions,   \
        const int* __restrict__ tableStart, const int* __restrict__ tables, int group, int hk, int hv, float scale, \
        int window, const float* __restrict__ sinks) {                                                           \
        attention_paged_body<KV, MAXV>(q, qCols, out, outCols, keys, values, keyDim, valueDim, blockSize,           \
                                       positions, tableStart, tables, group, hk, hv, scale, window, sinks,           \
                                       KvScales{nullptr, nullptr, 0, 0, 0});                                       \
    }                                                                                                            \
    extern "C" __global__ void attention_split##suffix(                                                          \
        const float* __restrict__ q, int qCols, const KV* __restrict__ keys, const KV* __restrict__ values,         \
        int keyDim, int valueDim, int blockSize, const int* __restrict__ positions,                                 \
        const int* __restrict__ tableStart, const int* __restrict__ tables, int group, int hk, int hv, float scale, \
        int window, int splits, float* __restrict__ partials) {                                                  \
        attention_split_body<KV, MAXV>(q, qCols, keys, values, keyDim, valueDim, blockSize, positions, tableStart,  \
                                       tables, group, hk, hv, scale, window, splits, partials,                       \
                                       KvScales{nullptr, nullptr, 0, 0, 0});                                       \
    }

// The Q8_0 cache's: the same, with its scales (see KvScales) after the other arguments.
#define ATTENTION_ENTRIES_Q8(suffix, MAXV)                                                                     \
    extern "C" __global__ void attention_paged##suffix(                                                          \
        const float* __restrict__ q, int qCols, float* __restrict__ out, int outCols,                             \
        const int8_t* __restrict__ keys, const int8_t* __restrict__ values, int keyDim, int valueDim,              \
        int blockSize, const int* __restrict__ positions, const int* __restrict__ tableStart,                     \
        const int* __restrict__ tables, int group, int hk, int hv, float scale, int window,                       \
        const float* __restrict__ sinks, const __half* __restrict__ keyScales,                                    \
        const __half* __restrict__ valueScales, int keyScaleStride, int valueScaleStride, int valueFirst) {        \
        attention_paged_body<int8_t, MAXV>(q, qCols, out, outCols, keys, values, keyDim, valueDim, blockSize,       \
                                           positions, tableStart, tables, group, hk, hv, scale, window, sinks,       \
                                           KvScales{keyScales, valueScales, keyScaleStride, valueScaleStride,       \
                                                    valueFirst});                                                  \
    }                                                                                                            \
    extern "C" __global__ void attention_split##suffix(                                                          \
        const float* __restrict__ q, int qCols, const int8_t* __restrict__ keys,                                  \
        const int8_t* __restrict__ values, int keyDim, int valueDim, int blockSize,                                \
        const int* __restrict__ positions, const int* __restrict__ tableStart, const int* __restrict__ tables,     \
        int group, int hk, int hv, float scale, int window, int splits, float* __restrict__ partials,              \
        const __half* __restrict__ keyScales, const __half* __restrict__ valueScales, int keyScaleStride,         \
        int valueScaleStride, int valueFirst) {                                                                  \
        attention_split_body<int8_t, MAXV>(q, qCols, keys, values, keyDim, valueDim, blockSize, positions,          \
                                           tableStart, tables, group, hk, hv, scale, window, splits, partials,       \
                                           KvScales{keyScales, valueScales, keyScaleStride, valueScaleStride,       \
                                                    valueFirst});                                                  \
    }

ATTENTION_ENTRIES(, float, MAX_HV)
ATTENTION_ENTRIES(_wide, float, MAX_HV_WIDE)
ATTENTION_ENTRIES(_f16, __half, MAX_HV)
ATTENTION_ENTRIES(_wide_f16, __half, MAX_HV_WIDE)
ATTENTION_ENTRIES_Q8(_q8, MAX_HV)
ATTENTION_ENTRIES_Q8(_wide_q8, MAX_HV_WIDE)

extern "C" __global__ void attention_combine(const float* __restrict__ partials, int splits, int hv,
                                             const float* __restrict__ sinks, float* __restrict__ out, int outCols) {
    __shared__ float weight[MAX_SPLITS];
    int h = blockIdx.x;
    int t = blockIdx.y;
    const float* part = partials + ((size_t)t * gridDim.x + h) * splits * (2 + hv);
    float sink = sinks != nullptr ? sinks[h] : -INFINITY;
    float mAll = sink;
    for (int s = 0; s < splits; s++) {
        mAll = fmaxf(mAll, part[(size_t)s * (2 + hv)]);
    }
    // split 0 always holds the window's first position, so mAll is finite; an empty split's m =
    // -inf weighs 0, and so does a null sinks' -inf
    for (int s = threadIdx.x; s < splits; s += blockDim.x) {
        weight[s] = expf(part[(size_t)s * (2 + hv)] - mAll);
    }
    __syncthreads();
    float lAll = expf(sink - mAll);
    for (int s = 0; s < splits; s++) {
        lAll += part[(size_t)s * (2 + hv) + 1] * weight[s];
    }
    float* o = out + (size_t)t * outCols + (size_t)h * hv;
    for (int i = threadIdx.x; i < hv; i += blockDim.x) {
        float sum = 0.f;
        for (int s = 0; s < splits; s++) {
            sum += part[(size_t)s * (2 + hv) + 2 + i] * weight[s];
        }
        o[i] = sum / lAll;
    }
}

extern "C" __global__ void short_conv(const float* __restrict__ rows, int width, int blockSize,
                                      const int* __restrict__ positions, const int* __restrict__ tableStart,
                                      const int* __restrict__ tables, const float* __restrict__ taps, int length,
                                      float* out, int outCols) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    int t = blockIdx.y;
    if (c >= width) {
        return;
    }
    int p = positions[t];
    const int* table = tables + tableStart[t];
    float acc = 0.f;
    for (int j = 0; j < length; j++) {
        int q = p - length + 1 + j;
        if (q < 0) {
            continue;
        }
        size_t slot = (size_t)table[q / blockSize] * blockSize + q % blockSize;
        acc = fmaf(taps[(size_t)j * width + c], rows[slot * width + c], acc);
    }
    out[(size_t)t * outCols + c] = acc;
}
