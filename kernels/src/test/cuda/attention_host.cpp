// attention.cu's decode attention run on the host (threads as fibers, host_threads.h): the paged
// kernel, or split-K (attention_split then attention_combine) with `splits` splits, over a float
// cache, (the *_f16 entries) a half one or (the *_q8 entries) a Q8_0 one, launched as CudaKernels launches them, so that a test
// can hold both to a reference where no GPU is. `window` 0 and `sinks` null are a layer without a
// sliding window or sinks, as CudaBackend passes them.
//
//   g++ -std=c++20 -O2 -ffp-contract=off -shared -fPIC -pthread -I kernels/src/test/cuda/host
//       -I kernels/src/main/cuda -o libattention_host.so kernels/src/test/cuda/attention_host.cpp
//
// (kernels: dev.switchyard.kernels.cuda.AttentionOnHostTest builds and binds it.)
#include <cmath>
#include <type_traits>
#include "host_threads.h"
#include "cuda_fp16.h"
#include "attention.cu"

// store_kv as CudaKernels.storeKv launches it: token t's key and value rows to cache slot slots[t].
template <typename KV>
static void store_kv_on_host(const float* k, const float* v, const int* slots, KV* keys, KV* values, int keyDim,
                             int valueDim, int tokens) {
    host_launch(dim3{(unsigned)tokens, 1, 1}, dim3{128, 1, 1}, [&] {
        if constexpr (std::is_same_v<KV, __half>) {
            store_kv_f16(k, v, slots, keys, values, keyDim, valueDim);
        } else {
            store_kv(k, v, slots, keys, values, keyDim, valueDim);
        }
    });
}

// The kernels CudaKernels.attentionKernel names for this cache type and value width.
template <typename KV>
static void attention_on_host(const float* q, int qCols, float* out, int outCols, const KV* keys, const KV* values,
                              int keyDim, int valueDim, int blockSize, const int* positions, const int* tableStart,
                              const int* tables, int heads, int group, int hk, int hv, float scale, int window,
                              const float* sinks, int tokens, int splits, float* partials) {
    constexpr bool half = std::is_same_v<KV, __half>;
    dim3 block{WARPS * 32, 1, 1};
    // as CudaKernels.attentionKernel chooses: the *_wide twins for value heads past MAX_HV
    bool wide = hv > MAX_HV;
    if (splits <= 1) {
        host_launch(dim3{(unsigned)heads, (unsigned)tokens, 1}, block, [&] {
            if constexpr (half) {
                (wide ? attention_paged_wide_f16 : attention_paged_f16)(q, qCols, out, outCols, keys, values, keyDim,
                                                                        valueDim, blockSize, positions, tableStart,
                                                                        tables, group, hk, hv, scale, window, sinks);
            } else {
                (wide ? attention_paged_wide : attention_paged)(q, qCols, out, outCols, keys, values, keyDim, valueDim,
                                                                blockSize, positions, tableStart, tables, group, hk,
                                                                hv, scale, window, sinks);
            }
        });
        return;
    }
    host_launch(dim3{(unsigned)heads, (unsigned)(tokens * splits), 1}, block, [&] {
        if constexpr (half) {
            (wide ? attention_split_wide_f16 : attention_split_f16)(q, qCols, keys, values, keyDim, valueDim,
                                                                    blockSize, positions, tableStart, tables, group,
                                                                    hk, hv, scale, window, splits, partials);
        } else {
            (wide ? attention_split_wide : attention_split)(q, qCols, keys, values, keyDim, valueDim, blockSize,
                                                            positions, tableStart, tables, group, hk, hv, scale,
                                                            window, splits, partials);
        }
    });
    host_launch(dim3{(unsigned)heads, (unsigned)tokens, 1}, dim3{128, 1, 1},
                [&] { attention_combine(partials, splits, hv, sinks, out, outCols); });
}

// The Q8_0 cache's kernels, as CudaKernels launches them: store_kv_q8, then the *_q8 attention
// entries with the scales.
static void attention_on_host_q8(const float* q, int qCols, float* out, int outCols, const int8_t* keys,
                                 const int8_t* values, const __half* keyScales, const __half* valueScales,
                                 int keyScaleStride, int valueScaleStride, int valueFirst, int keyDim, int valueDim,
                                 int blockSize, const int* positions, const int* tableStart, const int* tables,
                                 int heads, int group, int hk, int hv, float scale, int window, const float* sinks,
                                 int tokens, int splits, float* partials) {
    dim3 block{WARPS * 32, 1, 1};
    bool wide = hv > MAX_HV;
    if (splits <= 1) {
        host_launch(dim3{(unsigned)heads, (unsigned)tokens, 1}, block, [&] {
            (wide ? attention_paged_wide_q8 : attention_paged_q8)(q, qCols, out, outCols, keys, values, keyDim,
                                                                  valueDim, blockSize, positions, tableStart, tables,
                                                                  group, hk, hv, scale, window, sinks, keyScales,
                                                                  valueScales, keyScaleStride, valueScaleStride,
                                                                  valueFirst);
        });
        return;
    }
    host_launch(dim3{(unsigned)heads, (unsigned)(tokens * splits), 1}, block, [&] {
        (wide ? attention_split_wide_q8 : attention_split_q8)(q, qCols, keys, values, keyDim, valueDim, blockSize,
                                                              positions, tableStart, tables, group, hk, hv, scale,
                                                              window, splits, partials, keyScales, valueScales,
                                                              keyScaleStride, valueScaleStride, valueFirst);
    });
    host_launch(dim3{(unsigned)heads, (unsigned)tokens, 1}, dim3{128, 1, 1},
                [&] { attention_combine(partials, splits, hv, sinks, out, outCols); });
}

extern "C" {

// A Q8_0 cache: bytes and half scales.
void store_kv_host_q8(const float* k, const float* v, const int* slots, int8_t* keys, int8_t* values,
                      __half* keyScales, __half* valueScales, int keyDim, int valueDim, int kvHeads, int tokens) {
    host_launch(dim3{(unsigned)tokens, 1, 1}, dim3{128, 1, 1},
                [&] { store_kv_q8(k, v, slots, keys, values, keyScales, valueScales, keyDim, valueDim, kvHeads); });
}

void attention_host_q8(const float* q, int qCols, float* out, int outCols, const int8_t* keys, const int8_t* values,
                       const __half* keyScales, const __half* valueScales, int keyScaleStride, int valueScaleStride,
                       int valueFirst, int keyDim, int valueDim, int blockSize, const int* positions,
                       const int* tableStart, const int* tables, int heads, int group, int hk, int hv, float scale,
                       int window, const float* sinks, int tokens, int splits, float* partials) {
    attention_on_host_q8(q, qCols, out, outCols, keys, values, keyScales, valueScales, keyScaleStride,
                         valueScaleStride, valueFirst, keyDim, valueDim, blockSize, positions, tableStart, tables,
                         heads, group, hk, hv, scale, window, sinks, tokens, splits, partials);
}

void store_kv_host(const float* k, const float* v, const int* slots, float* keys, float* values, int keyDim,
                   int valueDim, int tokens) {
    store_kv_on_host<float>(k, v, slots, keys, values, keyDim, valueDim, tokens);
}

// An F16 cache: keys and values as half bits.
void store_kv_host_f16(const float* k, const float* v, const int* slots, __half* keys, __half* values, int keyDim,
                       int valueDim, int tokens) {
    store_kv_on_host<__half>(k, v, slots, keys, values, keyDim, valueDim, tokens);
}

void attention_host(const float* q, int qCols, float* out, int outCols, const float* keys, const float* values,
                    int keyDim, int valueDim, int blockSize, const int* positions, const int* tableStart,
                    const int* tables, int heads, int group, int hk, int hv, float scale, int window,
                    const float* sinks, int tokens, int splits, float* partials) {
    attention_on_host<float>(q, qCols, out, outCols, keys, values, keyDim, valueDim, blockSize, positions, tableStart,
                             tables, heads, group, hk, hv, scale, window, sinks, tokens, splits, partials);
}

void attention_host_f16(const float* q, int qCols, float* out, int outCols, const __half* keys, const __half* values,
                        int keyDim, int valueDim, int blockSize, const int* positions, const int* tableStart,
                        const int* tables, int heads, int group, int hk, int hv, float scale, int window,
                        const float* sinks, int tokens, int splits, float* partials) {
    attention_on_host<__half>(q, qCols, out, outCols, keys, values, keyDim, valueDim, blockSize, positions,
                              tableStart, tables, heads, group, hk, hv, scale, window, sinks, tokens, splits,
                              partials);
}

}
