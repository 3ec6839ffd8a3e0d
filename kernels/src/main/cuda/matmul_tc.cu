// Matmul on tensor cores, for steps of many tokens (prompt chunks, and the experts' shares of them).
//
// matmul_tc_<type>: W (rows, cols) in ggml format TYPE, row r at W + r * rowBytes;
//                   x (T, cols) float row-major -> out (T, rows) float row-major,
//                   out[t][r] = sum_k W[r][k] * x[t][k]; cols a multiple of TC_BK (32).
// A block computes a tile of TC_BM weight rows by TC_BN tokens. For each step of TC_BK columns the
// block decodes its rows' values (decode<TYPE>, one Q8_0 / Q4_0 block per row and step) and copies
// its tokens' activations into shared memory as floats; its four warps, 2 x 2 over the tile, each
// multiply 32 rows by 32 tokens as 2 x 2 fragments of 16 x 16 (wmma m16n16k8, TF32 inputs, float
// accumulators). Each float is split into a TF32 value and the TF32 of what that leaves out
// (3xTF32): a b ~ a_big b_big + a_big b_small + a_small b_big, small terms first, which keeps the
// products to about float precision (plain TF32 keeps 10 bits of each input's mantissa), so the
// result agrees with the CPU backend's float sums within the same tolerance as the other kernels.
// The accumulators go through shared memory to `out`, so rows and tokens need no alignment.
// Shared memory: weights TC_BM x TC_LD and activations TC_BN x TC_LD floats, the output tile
// (TC_BN x TC_CLD floats) reusing them; TC_LD and TC_CLD keep every fragment's first element 32-byte
// aligned, as wmma's loads and stores require.
// Launch: block 128; grid (ceil(rows / TC_BM), ceil(T / TC_BN)).
#include <mma.h>
#include "common.cuh"
#include "grid_decode.cuh"

using namespace nvcuda;

#define TC_BM 64
#define TC_BN 64
#define TC_BK 32
#define TC_LD 36   // floats per shared row of weights or activations (TC_BK + 4)
#define TC_CLD 68  // floats per token of the output tile (TC_BM + 4)
#define TC_THREADS 128

typedef wmma::fragment<wmma::matrix_a, 16, 16, 8, wmma::precision::tf32, wmma::row_major> TcA;
typedef wmma::fragment<wmma::matrix_b, 16, 16, 8, wmma::precision::tf32, wmma::col_major> TcB;
typedef wmma::fragment<wmma::accumulator, 16, 16, 8, float> TcAcc;

// big = the TF32 rounding of each element, small = the TF32 rounding of what big leaves out.
template <class Frag>
__device__ __forceinline__ void split_tf32(Frag& big, Frag& small) {
#pragma unroll
    for (int i = 0; i < big.num_elements; i++) {
        float v = big.x[i];
        float b = wmma::__float_to_tf32(v);
        big.x[i] = b;
        small.x[i] = wmma::__float_to_tf32(v - b);
    }
}

template <int TYPE>
__device__ void matmul_tc(const uint8_t* __restrict__ w, long long rowBytes, int rows, int cols,
                          const float* __restrict__ x, float* __restrict__ out, int tokens) {
    __shared__ __align__(32) float smem[(TC_BM + TC_BN) * TC_LD];
    float* ws = smem;                 // (TC_BM, TC_LD): weight row i, column k of the step
    float* xs = smem + TC_BM * TC_LD; // (TC_BN, TC_LD): token j, column k of the step
    int tid = threadIdx.x;
    int warp = tid >> 5;
    int wr = warp & 1;                // rows 32 wr .. + 32 of the tile
    int wt = warp >> 1;               // tokens 32 wt .. + 32
    int r0 = blockIdx.x * TC_BM;
    int t0 = blockIdx.y * TC_BN;

    // each thread fills 16 consecutive columns of one row of ws and of one token of xs
    int fillRow = tid >> 1;
    int fillCol = (tid & 1) * 16;
    int wRow = r0 + fillRow;
    int xRow = t0 + fillRow;
    const uint8_t* wp = wRow < rows ? w + (size_t)wRow * rowBytes : nullptr;
    const float* xp = xRow < tokens ? x + (size_t)xRow * cols : nullptr;

    TcAcc acc[2][2];
#pragma unroll
    for (int i = 0; i < 2; i++) {
#pragma unroll
        for (int j = 0; j < 2; j++) {
            wmma::fill_fragment(acc[i][j], 0.f);
        }
    }
    for (int k0 = 0; k0 < cols; k0 += TC_BK) {
        float* wd = ws + fillRow * TC_LD + fillCol;
        float* xd = xs + fillRow * TC_LD + fillCol;
#pragma unroll
        for (int c = 0; c < 16; c++) {
            wd[c] = wp != nullptr ? decode<TYPE>(wp, k0 + fillCol + c) : 0.f;
        }
#pragma unroll
        for (int c = 0; c < 16; c += 4) {
            float4 v = xp != nullptr ? *reinterpret_cast<const float4*>(xp + k0 + fillCol + c)
                                     : make_float4(0.f, 0.f, 0.f, 0.f);
            xd[c] = v.x;
            xd[c + 1] = v.y;
            xd[c + 2] = v.z;
            xd[c + 3] = v.w;
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < TC_BK; kk += 8) {
            TcA aBig[2], aSmall[2];
            TcB bBig[2], bSmall[2];
#pragma unroll
            for (int i = 0; i < 2; i++) {
                wmma::load_matrix_sync(aBig[i], ws + (32 * wr + 16 * i) * TC_LD + kk, TC_LD);
                split_tf32(aBig[i], aSmall[i]);
            }
#pragma unroll
            for (int j = 0; j < 2; j++) {
                // B (k, token) = xs[token][k]: column-major with the tokens' stride
                wmma::load_matrix_sync(bBig[j], xs + (32 * wt + 16 * j) * TC_LD + kk, TC_LD);
                split_tf32(bBig[j], bSmall[j]);
            }
#pragma unroll
            for (int i = 0; i < 2; i++) {
#pragma unroll
                for (int j = 0; j < 2; j++) {
                    wmma::mma_sync(acc[i][j], aSmall[i], bBig[j], acc[i][j]);
                    wmma::mma_sync(acc[i][j], aBig[i], bSmall[j], acc[i][j]);
                    wmma::mma_sync(acc[i][j], aBig[i], bBig[j], acc[i][j]);
                }
            }
        }
        __syncthreads();
    }
    // the tile through shared memory (token-major, as out is), then to out within its bounds
    float* cs = smem; // (TC_BN, TC_CLD)
#pragma unroll
    for (int i = 0; i < 2; i++) {
#pragma unroll
        for (int j = 0; j < 2; j++) {
            wmma::store_matrix_sync(cs + (32 * wt + 16 * j) * TC_CLD + 32 * wr + 16 * i, acc[i][j], TC_CLD,
                                    wmma::mem_col_major);
        }
    }
    __syncthreads();
    for (int e = tid; e < TC_BM * TC_BN; e += TC_THREADS) {
        int j = e / TC_BM;
        int i = e % TC_BM;
        if (t0 + j < tokens && r0 + i < rows) {
            out[(size_t)(t0 + j) * rows + r0 + i] = cs[j * TC_CLD + i];
        }
    }
}

#define MATMUL_TC_ENTRY(name, TYPE)                                                                \
    extern "C" __global__ void __launch_bounds__(TC_THREADS)                                       \
    matmul_tc_##name(const uint8_t* w, long long rowBytes, int rows, int cols, const float* x,     \
                     float* out, int tokens) {                                                     \
        matmul_tc<TYPE>(w, rowBytes, rows, cols, x, out, tokens);                                  \
    }

MATMUL_TC_ENTRY(f32, GGML_F32)
MATMUL_TC_ENTRY(f16, GGML_F16)
MATMUL_TC_ENTRY(bf16, GGML_BF16)
MATMUL_TC_ENTRY(q8_0, GGML_Q8_0)
MATMUL_TC_ENTRY(q4_0, GGML_Q4_0)
MATMUL_TC_ENTRY(q4_1, GGML_Q4_1)
MATMUL_TC_ENTRY(q5_0, GGML_Q5_0)
MATMUL_TC_ENTRY(q5_1, GGML_Q5_1)
MATMUL_TC_ENTRY(q2_k, GGML_Q2_K)
MATMUL_TC_ENTRY(q3_k, GGML_Q3_K)
MATMUL_TC_ENTRY(q4_k, GGML_Q4_K)
MATMUL_TC_ENTRY(q5_k, GGML_Q5_K)
MATMUL_TC_ENTRY(q6_k, GGML_Q6_K)
MATMUL_TC_ENTRY(iq4_nl, GGML_IQ4_NL)
MATMUL_TC_ENTRY(iq4_xs, GGML_IQ4_XS)
MATMUL_TC_ENTRY(mxfp4, GGML_MXFP4)
MATMUL_TC_ENTRY(iq2_xxs, GGML_IQ2_XXS)
MATMUL_TC_ENTRY(iq2_xs, GGML_IQ2_XS)
MATMUL_TC_ENTRY(iq2_s, GGML_IQ2_S)
MATMUL_TC_ENTRY(iq3_xxs, GGML_IQ3_XXS)
MATMUL_TC_ENTRY(iq3_s, GGML_IQ3_S)
MATMUL_TC_ENTRY(iq1_s, GGML_IQ1_S)
MATMUL_TC_ENTRY(iq1_m, GGML_IQ1_M)
