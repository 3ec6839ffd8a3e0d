// Matmul of a ggml weight with float activations, and embedding lookup (rows of the same weights).
//
// matmul_<type>:      W (rows, cols) in ggml format TYPE, row r at W + r * rowBytes
//                     x (T, cols) float row-major -> out (T, rows) float row-major
//                     out[t][r] = sum_k W[r][k] * x[t][k]
// Launch: block (32, ROWS_PER_BLOCK): one warp per output row; grid (ceil(rows / ROWS_PER_BLOCK),
// ceil(T / TOKEN_TILE)): each warp serves TOKEN_TILE tokens, so a weight row is read from memory
// once per tile of tokens. Lane l decodes columns l, l + 32, ...: consecutive lanes read
// consecutive bytes of a block, and the activations are read coalesced (gemv.cuh's dot_generic).
//
// matmul_wide_t<TILE>_<type>: the same product and launch, with TILE tokens per warp instead of
//                     TOKEN_TILE, for F32, F16, BF16, Q8_0 and Q4_0 rows that allow 16-byte loads:
//                     rowBytes % 16 == 0 and W and x 16-byte aligned (the host decides; other weights
//                     take matmul_<type>). Decode steps (T <= 8, one tile) are bound by reading W once,
//                     so each lane moves 16 bytes a load (gemv.cuh's dot_wide: dense chunks straight to
//                     registers, Q8_0 / Q4_0 blocks through shared memory, as they are only 2-byte
//                     aligned). TILE = 1 serves single-token steps: it needs about half the registers
//                     of TILE = 8, so twice the warps fit an SM to keep loads in flight; TILE = 8 serves
//                     every other step. rows = 4096 gives 1024 blocks of 4 warps, several per SM of an
//                     H200's 132.
//
// matmul_heads_<type>: one product per head h < heads with matrix h of a stack, each head reading and
//                     writing its own column block of x (T, xCols) and out (T, outCols):
//                     W (heads, rows, cols), matrix h at W + h * matrixBytes (rows * rowBytes, as
//                     CudaWeight stacks them), its row r at + r * rowBytes
//                     out[t][outCol + h outStride + r] = sum_k W[h][r][k] * x[t][xCol + h xStride + k]
//                     (latent attention: every head's query into latent space, every head's output
//                     out of it, small matrices and few tokens). Any format, through the generic dot.
// Launch: block (32, ROWS_PER_BLOCK) as matmul_<type>; grid (heads * ceil(rows / ROWS_PER_BLOCK),
// ceil(T / TOKEN_TILE)): with B = ceil(rows / ROWS_PER_BLOCK), block x serves head x / B, row block
// x % B. The heads share grid x with the row blocks (limit 2^31 - 1) instead of taking grid z, as
// the launch path (CudaContext.launch) has two grid dimensions; y keeps matmul's tiles of tokens.
//
// embed_<type>:  table (vocab, cols) in format TYPE; ids (T) -> out (T, cols) float: the decoded rows.
// Launch: grid (T), block 256.
#include "gemv.cuh"

#define ROWS_PER_BLOCK 4

// This warp's output row in row block `rowBlock` (-1 past the last row) and its tile: tokens
// xrow[j] = t0 + j for j < tiles.
template <int TILE>
__device__ __forceinline__ int matmul_tile(int rowBlock, int rows, int tokens, int (&xrow)[TILE], int& tiles) {
    int r = rowBlock * ROWS_PER_BLOCK + threadIdx.y;
    int t0 = blockIdx.y * TILE;
    tiles = min(TILE, tokens - t0);
#pragma unroll
    for (int j = 0; j < TILE; j++) {
        xrow[j] = t0 + j;
    }
    return r < rows ? r : -1;
}

// out[t][r] = the warp's sum for each token t of the tile, out's rows ldo floats apart.
template <int TILE>
__device__ __forceinline__ void matmul_store(const float (&acc)[1][TILE], int r, int ldo, int t0, int tiles,
                                             float* __restrict__ out) {
#pragma unroll
    for (int j = 0; j < TILE; j++) {
        if (j < tiles) {
            float s = warp_sum(acc[0][j]);
            if (threadIdx.x == j) {
                out[(size_t)(t0 + j) * ldo + r] = s;
            }
        }
    }
}

template <int TYPE>
__device__ void matmul(const uint8_t* __restrict__ w, long long rowBytes, int rows, int cols,
                       const float* __restrict__ x, float* __restrict__ out, int tokens) {
    int xrow[TOKEN_TILE];
    int tiles;
    int r = matmul_tile(blockIdx.x, rows, tokens, xrow, tiles);
    if (r < 0) {
        return;
    }
    const uint8_t* row[1] = {w + (size_t)r * rowBytes};
    float acc[1][TOKEN_TILE] = {};
    dot_generic<TYPE, 1, TOKEN_TILE>(row, cols, x, cols, xrow, tiles, acc);
    matmul_store(acc, r, rows, xrow[0], tiles, out);
}

template <int TYPE>
__device__ void matmul_heads(const uint8_t* __restrict__ w, long long matrixBytes, long long rowBytes, int rows,
                             int cols, const float* __restrict__ x, int xCols, int xCol, int xStride,
                             float* __restrict__ out, int outCols, int outCol, int outStride, int tokens) {
    int rowBlocks = (rows + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK;
    int h = blockIdx.x / rowBlocks;
    int xrow[TOKEN_TILE];
    int tiles;
    int r = matmul_tile(blockIdx.x % rowBlocks, rows, tokens, xrow, tiles);
    if (r < 0) {
        return;
    }
    const uint8_t* row[1] = {w + (size_t)h * matrixBytes + (size_t)r * rowBytes};
    float acc[1][TOKEN_TILE] = {};
    // the head's block of x as a matrix of its own: rows xCols apart, from column xCol + h xStride
    dot_generic<TYPE, 1, TOKEN_TILE>(row, cols, x + xCol + (size_t)h * xStride, xCols, xrow, tiles, acc);
    matmul_store(acc, r, outCols, xrow[0], tiles, out + outCol + (size_t)h * outStride);
}

template <int TYPE, int TILE>
__device__ void matmul_wide(const uint8_t* __restrict__ w, long long rowBytes, int rows, int cols,
                            const float* __restrict__ x, float* __restrict__ out, int tokens) {
    __shared__ uint4 stage[ROWS_PER_BLOCK][WideStage<TYPE>::CHUNKS];
    int xrow[TILE];
    int tiles;
    int r = matmul_tile(blockIdx.x, rows, tokens, xrow, tiles);
    if (r < 0) {
        return;
    }
    const uint8_t* row[1] = {w + (size_t)r * rowBytes};
    float acc[1][TILE] = {};
    dot_wide<TYPE, 1, TILE>(row, cols, x, cols, xrow, tiles, acc, stage[threadIdx.y]);
    matmul_store(acc, r, rows, xrow[0], tiles, out);
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
    extern "C" __global__ void matmul_heads_##name(                                                \
        const uint8_t* w, long long matrixBytes, long long rowBytes, int rows, int cols,           \
        const float* x, int xCols, int xCol, int xStride, float* out, int outCols, int outCol,     \
        int outStride, int tokens) {                                                               \
        matmul_heads<TYPE>(w, matrixBytes, rowBytes, rows, cols, x, xCols, xCol, xStride, out,     \
                           outCols, outCol, outStride, tokens);                                    \
    }                                                                                              \
    extern "C" __global__ void embed_##name(const uint8_t* table, long long rowBytes, int cols,    \
                                            const int* ids, float* out) {                          \
        embed<TYPE>(table, rowBytes, cols, ids, out);                                              \
    }

#define MATMUL_WIDE_ENTRY(name, TYPE, TILE)                                                        \
    extern "C" __global__ void matmul_wide_t##TILE##_##name(const uint8_t* w, long long rowBytes,  \
                                                            int rows, int cols, const float* x,    \
                                                            float* out, int tokens) {              \
        matmul_wide<TYPE, TILE>(w, rowBytes, rows, cols, x, out, tokens);                          \
    }

MATMUL_ENTRY(f32, GGML_F32)
MATMUL_ENTRY(f16, GGML_F16)
MATMUL_ENTRY(bf16, GGML_BF16)
MATMUL_ENTRY(q8_0, GGML_Q8_0)
MATMUL_ENTRY(q4_0, GGML_Q4_0)
MATMUL_ENTRY(q4_1, GGML_Q4_1)
MATMUL_ENTRY(q5_0, GGML_Q5_0)
MATMUL_ENTRY(q5_1, GGML_Q5_1)
MATMUL_ENTRY(q2_k, GGML_Q2_K)
MATMUL_ENTRY(q3_k, GGML_Q3_K)
MATMUL_ENTRY(q4_k, GGML_Q4_K)
MATMUL_ENTRY(q5_k, GGML_Q5_K)
MATMUL_ENTRY(q6_k, GGML_Q6_K)
MATMUL_ENTRY(iq4_nl, GGML_IQ4_NL)
MATMUL_ENTRY(iq4_xs, GGML_IQ4_XS)
MATMUL_ENTRY(mxfp4, GGML_MXFP4)
MATMUL_ENTRY(iq2_xxs, GGML_IQ2_XXS)
MATMUL_ENTRY(iq2_xs, GGML_IQ2_XS)
MATMUL_ENTRY(iq2_s, GGML_IQ2_S)
MATMUL_ENTRY(iq3_xxs, GGML_IQ3_XXS)
MATMUL_ENTRY(iq3_s, GGML_IQ3_S)
MATMUL_ENTRY(iq1_s, GGML_IQ1_S)
MATMUL_ENTRY(iq1_m, GGML_IQ1_M)

MATMUL_WIDE_ENTRY(f32, GGML_F32, 1)
MATMUL_WIDE_ENTRY(f16, GGML_F16, 1)
MATMUL_WIDE_ENTRY(bf16, GGML_BF16, 1)
MATMUL_WIDE_ENTRY(q8_0, GGML_Q8_0, 1)
MATMUL_WIDE_ENTRY(q4_0, GGML_Q4_0, 1)
MATMUL_WIDE_ENTRY(f32, GGML_F32, 8)
MATMUL_WIDE_ENTRY(f16, GGML_F16, 8)
MATMUL_WIDE_ENTRY(bf16, GGML_BF16, 8)
MATMUL_WIDE_ENTRY(q8_0, GGML_Q8_0, 8)
MATMUL_WIDE_ENTRY(q4_0, GGML_Q4_0, 8)
