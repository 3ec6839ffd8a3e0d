// matmul.cu run on the host, its blocks' threads as fibers (host_threads.h): the generic
// matmul of every format, the 16-byte-load ones (gemv.cuh's dot_wide) with a tile of 1 and of 8
// tokens, the per-head matmul of every format, and the embedding lookup, launched as
// CudaKernels.matmul, CudaKernels.matmulHeads and CudaKernels.embed launch them. So a test can hold their tiling of rows and tokens, their bounds and their sums to the CPU
// backend where no GPU is.
//
//   g++ -std=c++20 -O2 -ffp-contract=off -shared -fPIC -pthread -I kernels/src/test/cuda/host
//       -I kernels/src/main/cuda -o libmatmul_host.so kernels/src/test/cuda/matmul_host.cpp
//
// (kernels: dev.switchyard.kernels.cuda.MatmulKernelsOnHostTest builds and binds it.)
#include "host_threads.h"
#include "cuda_fp16.h"
#include "matmul.cu"

typedef void (*Matmul)(const uint8_t*, long long, int, int, const float*, float*, int);
typedef void (*Embed)(const uint8_t*, long long, int, const int*, float*);
typedef void (*MatmulHeads)(const uint8_t*, long long, long long, int, int, const float*, int, int, int, float*, int,
                            int, int, int);

// The formats with 16-byte-load entry points, then the others, as (ggml type id, entry name).
#define WIDE_FORMATS(X) X(GGML_F32, f32) X(GGML_F16, f16) X(GGML_BF16, bf16) X(GGML_Q8_0, q8_0) X(GGML_Q4_0, q4_0)
#define OTHER_FORMATS(X)                                                                           \
    X(GGML_Q4_1, q4_1) X(GGML_Q5_0, q5_0) X(GGML_Q5_1, q5_1) X(GGML_Q2_K, q2_k) X(GGML_Q3_K, q3_k)  \
    X(GGML_Q4_K, q4_k) X(GGML_Q5_K, q5_k) X(GGML_Q6_K, q6_k) X(GGML_IQ4_NL, iq4_nl) X(GGML_IQ4_XS, iq4_xs)  \
    X(GGML_MXFP4, mxfp4) X(GGML_IQ2_XXS, iq2_xxs) X(GGML_IQ2_XS, iq2_xs) X(GGML_IQ2_S, iq2_s)            \
    X(GGML_IQ3_XXS, iq3_xxs) X(GGML_IQ3_S, iq3_s) X(GGML_IQ1_S, iq1_s) X(GGML_IQ1_M, iq1_m)

// The matmul entry point of ggml type id `type`: generic (tile 0), or wide with a tile of 1 or 8
// tokens; null where there is none.
static Matmul matmul_entry(int type, int tile) {
#define PICK(T, name)                                                                          \
    case T:                                                                                    \
        return tile == 0 ? matmul_##name : nullptr;
#define PICK_WIDE(T, name)                                                                     \
    case T:                                                                                    \
        return tile == 0 ? matmul_##name : tile == 1 ? matmul_wide_t1_##name : matmul_wide_t8_##name;
    switch (type) {
        WIDE_FORMATS(PICK_WIDE)
        OTHER_FORMATS(PICK)
        default: return nullptr;
    }
#undef PICK
#undef PICK_WIDE
}

static Embed embed_entry(int type) {
#define PICK(T, name) \
    case T: return embed_##name;
    switch (type) {
        WIDE_FORMATS(PICK)
        OTHER_FORMATS(PICK)
        default: return nullptr;
    }
#undef PICK
}

static MatmulHeads matmul_heads_entry(int type) {
#define PICK(T, name) \
    case T: return matmul_heads_##name;
    switch (type) {
        WIDE_FORMATS(PICK)
        OTHER_FORMATS(PICK)
        default: return nullptr;
    }
#undef PICK
}

extern "C" {

// out (tokens, rows) = x (tokens, cols) W^T for a weight of ggml type id `type`; `wide` picks the
// 16-byte-load entry points (a tile of 1 token for single-token steps, else 8), as CudaKernels.matmul
// does when CudaKernels.wide allows. Returns 0, or -1 for a missing entry point.
int matmul_host(int type, int wide, const uint8_t* w, long long rowBytes, int rows, int cols, const float* x,
                float* out, int tokens) {
    int tile = wide && tokens == 1 ? 1 : TOKEN_TILE;
    Matmul fn = matmul_entry(type, wide ? tile : 0);
    if (fn == nullptr) {
        return -1;
    }
    dim3 grid{(unsigned)((rows + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK), (unsigned)((tokens + tile - 1) / tile), 1};
    host_launch(grid, dim3{32, ROWS_PER_BLOCK, 1}, [&] { fn(w, rowBytes, rows, cols, x, out, tokens); });
    return 0;
}

// out[t][outCol + h outStride + r] = W[h][r] . x[t][xCol + h xStride ..] for h < heads, matrices
// matrixBytes apart, as CudaKernels.matmulHeads launches it (the heads' row blocks along grid x).
// Returns 0, or -1 for a missing entry point.
int matmul_heads_host(int type, const uint8_t* w, long long matrixBytes, long long rowBytes, int rows, int cols,
                      const float* x, int xCols, int xCol, int xStride, float* out, int outCols, int outCol,
                      int outStride, int heads, int tokens) {
    MatmulHeads fn = matmul_heads_entry(type);
    if (fn == nullptr) {
        return -1;
    }
    unsigned rowBlocks = (unsigned)((rows + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK);
    dim3 grid{rowBlocks * (unsigned)heads, (unsigned)((tokens + TOKEN_TILE - 1) / TOKEN_TILE), 1};
    host_launch(grid, dim3{32, ROWS_PER_BLOCK, 1}, [&] {
        fn(w, matrixBytes, rowBytes, rows, cols, x, xCols, xCol, xStride, out, outCols, outCol, outStride, tokens);
    });
    return 0;
}

// out (tokens, cols) = rows ids[t] of the table, decoded, as CudaKernels.embed launches it; returns 0,
// or -1 for a missing entry point.
int embed_host(int type, const uint8_t* table, long long rowBytes, int cols, const int* ids, float* out, int tokens) {
    Embed fn = embed_entry(type);
    if (fn == nullptr) {
        return -1;
    }
    host_launch(dim3{(unsigned)tokens, 1, 1}, dim3{256, 1, 1}, [&] { fn(table, rowBytes, cols, ids, out); });
    return 0;
}

}
