// Matmul of a ggml weight with float activations, and embedding lookup (rows of the same weights).
//
// matmul_<type>: W (rows, cols) in ggml format TYPE, row r at W + r * rowBytes
//                x (T, cols) float row-major -> out (T, rows) float row-major
//                out[t][r] = sum_k W[r][k] * x[t][k]
// Launch: block (32, ROWS_PER_BLOCK): one warp per output row; grid (ceil(rows / ROWS_PER_BLOCK),
// ceil(T / TOKEN_TILE)): each warp serves TOKEN_TILE tokens, so a weight row is read from memory
// once per tile of tokens. Lane l decodes columns l, l + 32, ...: consecutive lanes read
// consecutive bytes of a block, and the activations are read coalesced.
//
// embed_<type>:  table (vocab, cols) in format TYPE; ids (T) -> out (T, cols) float: the decoded rows.
// Launch: grid (T), block 256.
#include "common.cuh"

#define ROWS_PER_BLOCK 4
#define TOKEN_TILE 8

template <int TYPE>
__device__ void matmul(const uint8_t* __restrict__ w, long long rowBytes, int rows, int cols,
                       const float* __restrict__ x, float* __restrict__ out, int tokens) {
    int lane = threadIdx.x;
    int r = blockIdx.x * ROWS_PER_BLOCK + threadIdx.y;
    int t0 = blockIdx.y * TOKEN_TILE;
    if (r >= rows) {
        return;
    }
    int tiles = min(TOKEN_TILE, tokens - t0);
    const uint8_t* row = w + (size_t)r * rowBytes;
    const float* xt = x + (size_t)t0 * cols;
    float acc[TOKEN_TILE];
#pragma unroll
    for (int j = 0; j < TOKEN_TILE; j++) {
        acc[j] = 0.f;
    }
    for (int k = lane; k < cols; k += 32) {
        float v = decode<TYPE>(row, k);
#pragma unroll
        for (int j = 0; j < TOKEN_TILE; j++) {
            if (j < tiles) {
                acc[j] = fmaf(v, xt[(size_t)j * cols + k], acc[j]);
            }
        }
    }
#pragma unroll
    for (int j = 0; j < TOKEN_TILE; j++) {
        float s = warp_sum(acc[j]);
        if (lane == 0 && j < tiles) {
            out[(size_t)(t0 + j) * rows + r] = s;
        }
    }
}

template <int TYPE>
__device__ void embed(const uint8_t* __restrict__ table, long long rowBytes, int cols,
                      const int* __restrict__ ids, float* __restrict__ out) {
    int t = blockIdx.x;
    const uint8_t* row = table + (size_t)ids[t] * rowBytes;
    for (int k = threadIdx.x; k < cols; k += blockDim.x) {
        out[(size_t)t * cols + k] = decode<TYPE>(row, k);
    }
}

#define MATMUL_ENTRY(name, TYPE)                                                                   \
    extern "C" __global__ void matmul_##name(const uint8_t* w, long long rowBytes, int rows,       \
                                             int cols, const float* x, float* out, int tokens) {   \
        matmul<TYPE>(w, rowBytes, rows, cols, x, out, tokens);                                     \
    }                                                                                              \
    extern "C" __global__ void embed_##name(const uint8_t* table, long long rowBytes, int cols,    \
                                            const int* ids, float* out) {                          \
        embed<TYPE>(table, rowBytes, cols, ids, out);                                              \
    }

MATMUL_ENTRY(f32, GGML_F32)
MATMUL_ENTRY(f16, GGML_F16)
MATMUL_ENTRY(bf16, GGML_BF16)
MATMUL_ENTRY(q8_0, GGML_Q8_0)
MATMUL_ENTRY(q4_0, GGML_Q4_0)
MATMUL_ENTRY(q4_k, GGML_Q4_K)
MATMUL_ENTRY(q6_k, GGML_Q6_K)
