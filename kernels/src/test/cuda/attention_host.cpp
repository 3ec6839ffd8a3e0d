// attention.cu's decode attention run on the host (threads as threads, host_threads.h): the paged
// kernel, or split-K (attention_split then attention_combine) with `splits` splits, launched as
// CudaKernels launches them, so that a test can hold both to a reference where no GPU is. `window`
// 0 and `sinks` null are a layer without a sliding window or sinks, as CudaBackend passes them.
//
//   g++ -std=c++20 -O2 -ffp-contract=off -shared -fPIC -pthread -I kernels/src/test/cuda/host
//       -I kernels/src/main/cuda -o libattention_host.so kernels/src/test/cuda/attention_host.cpp
//
// (kernels: dev.switchyard.kernels.cuda.AttentionOnHostTest builds and binds it.)
#include <cmath>
#include "host_threads.h"
#include "cuda_fp16.h"
#include "attention.cu"

extern "C" {

// store_kv as CudaKernels.storeKv launches it: token t's key and value rows to cache slot slots[t].
void store_kv_host(const float* k, const float* v, const int* slots, float* keys, float* values, int keyDim,
                   int valueDim, int tokens) {
    host_launch(dim3{(unsigned)tokens, 1, 1}, dim3{128, 1, 1},
                [&] { store_kv(k, v, slots, keys, values, keyDim, valueDim); });
}

void attention_host(const float* q, int qCols, float* out, int outCols, const float* keys, const float* values,
                    int keyDim, int valueDim, int blockSize, const int* positions, const int* tableStart,
                    const int* tables, int heads, int group, int hk, int hv, float scale, int window,
                    const float* sinks, int tokens, int splits, float* partials) {
    dim3 block{WARPS * 32, 1, 1};
    // as CudaKernels.attentionKernel chooses: the *_wide twins for value heads past MAX_HV
    bool wide = hv > MAX_HV;
    if (splits <= 1) {
        host_launch(dim3{(unsigned)heads, (unsigned)tokens, 1}, block, [&] {
            if (wide) {
                attention_paged_wide(q, qCols, out, outCols, keys, values, keyDim, valueDim, blockSize, positions,
                                     tableStart, tables, group, hk, hv, scale, window, sinks);
            } else {
                attention_paged(q, qCols, out, outCols, keys, values, keyDim, valueDim, blockSize, positions,
                                tableStart, tables, group, hk, hv, scale, window, sinks);
            }
        });
        return;
    }
    host_launch(dim3{(unsigned)heads, (unsigned)(tokens * splits), 1}, block, [&] {
        if (wide) {
            attention_split_wide(q, qCols, keys, values, keyDim, valueDim, blockSize, positions, tableStart, tables,
                                 group, hk, hv, scale, window, splits, partials);
        } else {
            attention_split(q, qCols, keys, values, keyDim, valueDim, blockSize, positions, tableStart, tables, group,
                            hk, hv, scale, window, splits, partials);
        }
    });
    host_launch(dim3{(unsigned)heads, (unsigned)tokens, 1}, dim3{128, 1, 1},
                [&] { attention_combine(partials, splits, hv, sinks, out, outCols); });
}

}
