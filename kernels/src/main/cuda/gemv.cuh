// One warp's share of weight-row dot products, shared by matmul.cu and moe_experts.cu.
//
// A warp computes NR rows of one weight (NR = 2: an expert's gate and up rows, which share their
// input) against up to TILE activation rows (TOKEN_TILE, or 1 for single-token steps, whose kernels
// then need about half the registers); each lane accumulates its part in acc[NR][TILE] and the
// caller warp-sums. Activation row j of a tile is x + xrow[j] * ldx, so the tile's tokens need not be
// adjacent (an expert's tokens are not). Each product is fused, acc = fmaf(w, x, acc), as the generic
// kernel always did; the sum runs in each lane's order, then the warp's tree.
//
// dot_generic: lane l decodes values l, l + 32, ... with decode<TYPE>: any format, any alignment.
//
// dot_wide: 16-byte loads, for rows that start 16-byte aligned and hold whole 16-byte chunks
// (rowBytes % 16 == 0 and an aligned base; the activation rows are then aligned too). Decode is
// memory bound, so the point is to move a row in as few, as wide and as coalesced loads as possible:
//   F32, F16, BF16  chunk c of a row (4 or 8 values) goes to lane c % 32: a warp reads 512
//                   consecutive bytes of a row per step, and issues the loads of four steps (two per
//                   row for NR = 2) before their math, so that enough bytes are in flight.
//   Q8_0, Q4_0      blocks of 34 / 18 bytes: 16 blocks are exactly 34 / 18 chunks of 16 bytes, but a
//                   block is only 2-byte aligned, so no lane can load one block's quants as one vector.
//                   The warp copies 16 blocks of the row to shared memory with coalesced 16-byte loads
//                   (lane l chunks l and l + 32), then lane l decodes half block l / 2 (values
//                   16 (l % 2) .. + 16 of it): the f16 scale and 16 quant bytes, read at their 2-byte
//                   alignment as five aligned words and a funnel shift. The next 16 blocks' loads are
//                   issued before this step's decode. rowBytes % 16 == 0 means 8-block groups
//                   (cols % 256 == 0), so the last step may hold 8 blocks (lanes 0..15 decode).
//                   Shared memory per warp and row: BB + 1 chunks (the last lane's fifth word may read
//                   one word past the 16 blocks).
// Weights are loaded with ld.global.nc.L1::no_allocate: streamed once, they leave L1 to the
// activations, which every warp of a block reads again.
#pragma once

#include "common.cuh"
#include "grid_decode.cuh"

#define TOKEN_TILE 8

// 16 bytes of weights, read once: not kept in L1. (A plain copy where the kernels are built for the
// host, by the tests that run them there.)
__device__ __forceinline__ uint4 load_weights16(const uint8_t* p) {
    uint4 v;
#ifdef SWITCHYARD_HOST_THREADS
    __builtin_memcpy(&v, p, 16);
#else
    asm("ld.global.nc.L1::no_allocate.v4.u32 {%0, %1, %2, %3}, [%4];"
        : "=r"(v.x), "=r"(v.y), "=r"(v.z), "=r"(v.w)
        : "l"(p));
#endif
    return v;
}

// acc[r][j] += v[r][i] * x_j[k + i] for i < N (N a multiple of 4), for the tile's tokens j < tiles.
template <int N, int NR, int TILE>
__device__ __forceinline__ void fma_values(const float (&v)[NR][N], const float* __restrict__ x, int ldx,
                                           const int (&xrow)[TILE], int tiles, int k, float (&acc)[NR][TILE]) {
#pragma unroll
    for (int j = 0; j < TILE; j++) {
        if (j < tiles) {
            const float4* xj = reinterpret_cast<const float4*>(x + (size_t)xrow[j] * ldx + k);
#pragma unroll
            for (int q = 0; q < N / 4; q++) {
                float4 xv = __ldg(xj + q);
#pragma unroll
                for (int r = 0; r < NR; r++) {
                    acc[r][j] = fmaf(v[r][4 * q], xv.x, acc[r][j]);
                    acc[r][j] = fmaf(v[r][4 * q + 1], xv.y, acc[r][j]);
                    acc[r][j] = fmaf(v[r][4 * q + 2], xv.z, acc[r][j]);
                    acc[r][j] = fmaf(v[r][4 * q + 3], xv.w, acc[r][j]);
                }
            }
        }
    }
}

template <int TYPE, int NR, int TILE>
__device__ __forceinline__ void dot_generic(const uint8_t* const (&rows)[NR], int cols, const float* __restrict__ x,
                                            int ldx, const int (&xrow)[TILE], int tiles, float (&acc)[NR][TILE]) {
    for (int k = threadIdx.x; k < cols; k += 32) {
        float v[NR];
#pragma unroll
        for (int r = 0; r < NR; r++) {
            v[r] = decode<TYPE>(rows[r], k);
        }
#pragma unroll
        for (int j = 0; j < TILE; j++) {
            if (j < tiles) {
                float xv = x[(size_t)xrow[j] * ldx + k];
#pragma unroll
                for (int r = 0; r < NR; r++) {
                    acc[r][j] = fmaf(v[r], xv, acc[r][j]);
                }
            }
        }
    }
}

// ---- F32, F16, BF16: one 16-byte chunk is N values ----------------------------------------------------

template <int TYPE>
struct DenseChunk;

template <>
struct DenseChunk<GGML_F32> {
    static constexpr int N = 4;
    static __device__ __forceinline__ void decode(uint4 c, float (&v)[N]) {
        v[0] = __uint_as_float(c.x);
        v[1] = __uint_as_float(c.y);
        v[2] = __uint_as_float(c.z);
        v[3] = __uint_as_float(c.w);
    }
};

__device__ __forceinline__ float f16_bits(unsigned int bits) {
    return __half2float(__ushort_as_half((unsigned short)bits));
}

template <>
struct DenseChunk<GGML_F16> {
    static constexpr int N = 8;
    static __device__ __forceinline__ void decode(uint4 c, float (&v)[N]) {
        unsigned int w[4] = {c.x, c.y, c.z, c.w};
#pragma unroll
        for (int i = 0; i < 4; i++) {
            v[2 * i] = f16_bits(w[i] & 0xFFFFu);      // little-endian: the lower half comes first
            v[2 * i + 1] = f16_bits(w[i] >> 16);
        }
    }
};

template <>
struct DenseChunk<GGML_BF16> {
    static constexpr int N = 8;
    static __device__ __forceinline__ void decode(uint4 c, float (&v)[N]) {
        unsigned int w[4] = {c.x, c.y, c.z, c.w};
#pragma unroll
        for (int i = 0; i < 4; i++) {
            v[2 * i] = __uint_as_float(w[i] << 16);
            v[2 * i + 1] = __uint_as_float(w[i] & 0xFFFF0000u);
        }
    }
};

template <int TYPE, int NR, int TILE>
__device__ __forceinline__ void dot_wide_dense(const uint8_t* const (&rows)[NR], int cols, const float* __restrict__ x,
                                               int ldx, const int (&xrow)[TILE], int tiles, float (&acc)[NR][TILE]) {
    constexpr int N = DenseChunk<TYPE>::N;
    constexpr int U = NR == 1 ? 4 : 2;   // chunks per lane and row in flight: four loads a lane either way
    int chunks = cols / N;
    int c = threadIdx.x;
    for (; c + 32 * (U - 1) < chunks; c += 32 * U) {
        uint4 raw[U][NR];
#pragma unroll
        for (int u = 0; u < U; u++) {
#pragma unroll
            for (int r = 0; r < NR; r++) {
                raw[u][r] = load_weights16(rows[r] + (size_t)(c + 32 * u) * 16);
            }
        }
        // chunk u is raw[0] after u shifts; not unrolled for a tile of tokens, so that the compiler
        // cannot hoist the activation loads of all U chunks
#pragma unroll (TILE == 1 ? U : 1)
        for (int u = 0; u < U; u++) {
            float v[NR][N];
#pragma unroll
            for (int r = 0; r < NR; r++) {
                DenseChunk<TYPE>::decode(raw[0][r], v[r]);
#pragma unroll
                for (int i = 0; i + 1 < U; i++) {
                    raw[i][r] = raw[i + 1][r];
                }
            }
            fma_values<N, NR, TILE>(v, x, ldx, xrow, tiles, (c + 32 * u) * N, acc);
        }
    }
    for (; c < chunks; c += 32) {
        float v[NR][N];
#pragma unroll
        for (int r = 0; r < NR; r++) {
            DenseChunk<TYPE>::decode(load_weights16(rows[r] + (size_t)c * 16), v[r]);
        }
        fma_values<N, NR, TILE>(v, x, ldx, xrow, tiles, c * N, acc);
    }
}

// ---- Q8_0, Q4_0: blocks of 32 values staged through shared memory -------------------------------------

template <int TYPE>
struct QuantBlock;

// 34 bytes: f16 d, int8 q[32]; half h holds values 16 h .. 16 h + 15 in bytes 2 + 16 h ..
template <>
struct QuantBlock<GGML_Q8_0> {
    static constexpr int BYTES = 34;
    static __device__ __forceinline__ int quants(int h) {
        return 2 + 16 * h;
    }
    // value of byte i of `word` (as decode<GGML_Q8_0>: (float)(int8) q * d)
    static __device__ __forceinline__ float value(unsigned int word, int i, int h, float d) {
        return (float)(int8_t)(word >> (8 * i)) * d;
    }
};

// 18 bytes: f16 d, q[16]; value j < 16 is the low nibble of byte j, value 16 + j the high one
template <>
struct QuantBlock<GGML_Q4_0> {
    static constexpr int BYTES = 18;
    static __device__ __forceinline__ int quants(int h) {
        return 2;
    }
    // as decode<GGML_Q4_0>: (float)(q - 8) * d
    static __device__ __forceinline__ float value(unsigned int word, int i, int h, float d) {
        int q = (int)((word >> (8 * i + 4 * h)) & 0x0Fu);
        return (float)(q - 8) * d;
    }
};

// Shared memory a warp needs per row for dot_wide of TYPE, in 16-byte chunks.
template <int TYPE>
struct WideStage {
    static constexpr int CHUNKS = 1;
};

template <>
struct WideStage<GGML_Q8_0> {
    static constexpr int CHUNKS = QuantBlock<GGML_Q8_0>::BYTES + 1;
};

template <>
struct WideStage<GGML_Q4_0> {
    static constexpr int CHUNKS = QuantBlock<GGML_Q4_0>::BYTES + 1;
};

// `stage`: this warp's NR * WideStage<TYPE>::CHUNKS chunks of shared memory.
template <int TYPE, int NR, int TILE>
__device__ __forceinline__ void dot_wide_quant(const uint8_t* const (&rows)[NR], int cols, const float* __restrict__ x,
                                               int ldx, const int (&xrow)[TILE], int tiles, float (&acc)[NR][TILE],
                                               uint4* stage) {
    constexpr int BB = QuantBlock<TYPE>::BYTES;
    constexpr int S = WideStage<TYPE>::CHUNKS;
    int lane = threadIdx.x;
    int nb = cols >> 5;
    if (lane < NR) {
        stage[lane * S + BB] = make_uint4(0u, 0u, 0u, 0u);
    }
    // loads of the first 16 blocks: chunks lane and lane + 32 of BB (or BB / 2 for 8 blocks)
    uint4 a[NR], b[NR];
    int n = min(16, nb) * BB / 16;
#pragma unroll
    for (int r = 0; r < NR; r++) {
        a[r] = make_uint4(0u, 0u, 0u, 0u);
        b[r] = a[r];
        if (lane < n) {
            a[r] = load_weights16(rows[r] + 16 * lane);
        }
        if (lane + 32 < n) {
            b[r] = load_weights16(rows[r] + 16 * (lane + 32));
        }
    }
    for (int b0 = 0; b0 < nb; b0 += 16) {
        int blocks = min(16, nb - b0);
        n = blocks * BB / 16;
        __syncwarp();   // every lane is done reading the previous blocks
#pragma unroll
        for (int r = 0; r < NR; r++) {
            if (lane < n) {
                stage[r * S + lane] = a[r];
            }
            if (lane + 32 < n) {
                stage[r * S + lane + 32] = b[r];
            }
        }
        __syncwarp();
        int next = b0 + 16;
        if (next < nb) {
            int n1 = min(16, nb - next) * BB / 16;
#pragma unroll
            for (int r = 0; r < NR; r++) {
                const uint8_t* p = rows[r] + (size_t)next * BB;
                if (lane < n1) {
                    a[r] = load_weights16(p + 16 * lane);
                }
                if (lane + 32 < n1) {
                    b[r] = load_weights16(p + 16 * (lane + 32));
                }
            }
        }
        if (lane < 2 * blocks) {
            int m = lane >> 1;
            int h = lane & 1;
            float d[NR];
            unsigned int w[NR][4];
#pragma unroll
            for (int r = 0; r < NR; r++) {
                const uint8_t* s = reinterpret_cast<const uint8_t*>(stage + r * S);
                d[r] = f16_at(s + BB * m);
                int o = BB * m + QuantBlock<TYPE>::quants(h);   // even: 2-byte aligned
                const unsigned int* sw = reinterpret_cast<const unsigned int*>(s + (o & ~3));
                int shift = (o & 3) * 8;                         // 0 or 16
                unsigned int u0 = sw[0], u1 = sw[1], u2 = sw[2], u3 = sw[3], u4 = sw[4];
                w[r][0] = __funnelshift_r(u0, u1, shift);
                w[r][1] = __funnelshift_r(u1, u2, shift);
                w[r][2] = __funnelshift_r(u2, u3, shift);
                w[r][3] = __funnelshift_r(u3, u4, shift);
            }
            int k = (b0 + m) * 32 + 16 * h;
            // word q of each row is w[r][0] after q shifts; not unrolled for a tile of tokens, so
            // that the compiler cannot hoist the activation loads of all four words (128 registers)
#pragma unroll (TILE == 1 ? 4 : 1)
            for (int q = 0; q < 4; q++) {
                float v[NR][4];
#pragma unroll
                for (int r = 0; r < NR; r++) {
#pragma unroll
                    for (int i = 0; i < 4; i++) {
                        v[r][i] = QuantBlock<TYPE>::value(w[r][0], i, h, d[r]);
                    }
                    w[r][0] = w[r][1];
                    w[r][1] = w[r][2];
                    w[r][2] = w[r][3];
                }
                fma_values<4, NR, TILE>(v, x, ldx, xrow, tiles, k + 4 * q, acc);
            }
        }
    }
}

// The wide dot of TYPE (F32, F16, BF16, Q8_0, Q4_0); `stage` as dot_wide_quant's (unused for the others).
template <int TYPE, int NR, int TILE>
__device__ __forceinline__ void dot_wide(const uint8_t* const (&rows)[NR], int cols, const float* __restrict__ x,
                                         int ldx, const int (&xrow)[TILE], int tiles, float (&acc)[NR][TILE],
                                         uint4* stage) {
    if constexpr (TYPE == GGML_Q8_0 || TYPE == GGML_Q4_0) {
        dot_wide_quant<TYPE, NR, TILE>(rows, cols, x, ldx, xrow, tiles, acc, stage);
    } else {
        dot_wide_dense<TYPE, NR, TILE>(rows, cols, x, ldx, xrow, tiles, acc);
    }
}
