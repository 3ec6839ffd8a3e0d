// Shared device helpers: warp and block reductions, and decoding one value of a ggml row.
//
// Everything here is header-only and inlined into each op family's module. Decoding follows the
// Java codecs in dev.switchyard.kernels.format operation for operation; the build passes
// -fmad=false, so no multiply-add is fused unless a kernel asks for it with fmaf, and a decoded
// value is bitwise the one the CPU backend decodes.
#pragma once

#include <cuda_fp16.h>
#include <stdint.h>

// ggml type ids (GgmlType.id()), used as template arguments.
#define GGML_F32 0
#define GGML_F16 1
#define GGML_Q4_0 2
#define GGML_Q4_1 3
#define GGML_Q5_0 6
#define GGML_Q5_1 7
#define GGML_Q8_0 8
#define GGML_Q2_K 10
#define GGML_Q3_K 11
#define GGML_Q4_K 12
#define GGML_Q5_K 13
#define GGML_Q6_K 14
#define GGML_IQ2_XXS 16
#define GGML_IQ2_XS 17
#define GGML_IQ3_XXS 18
#define GGML_IQ1_S 19
#define GGML_IQ4_NL 20
#define GGML_IQ3_S 21
#define GGML_IQ2_S 22
#define GGML_IQ4_XS 23
#define GGML_IQ1_M 29
#define GGML_BF16 30
#define GGML_MXFP4 39

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, o);
    }
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    }
    return v;
}

// Sum over a block of blockDim.x threads (a multiple of 32, at most 1024); every thread gets it.
// `scratch` holds 32 floats of shared memory.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    int warps = blockDim.x >> 5;
    float total = lane < warps ? scratch[lane] : 0.f;
    return warp_sum(total);
}

__device__ __forceinline__ double warp_sum_double(double v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        v += __shfl_xor_sync(0xffffffffu, v, o);
    }
    return v;
}

__device__ __forceinline__ double block_sum_double(double v, double* scratch) {
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    v = warp_sum_double(v);
    __syncthreads();
    if (lane == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    int warps = blockDim.x >> 5;
    double total = lane < warps ? scratch[lane] : 0.0;
    return warp_sum_double(total);
}

__device__ __forceinline__ float block_max(float v, float* scratch) {
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    v = warp_max(v);
    __syncthreads();
    if (lane == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    int warps = blockDim.x >> 5;
    float m = lane < warps ? scratch[lane] : -INFINITY;
    return warp_max(m);
}

__device__ __forceinline__ float f16_at(const uint8_t* p) {
    return __half2float(__ushort_as_half(*reinterpret_cast<const unsigned short*>(p)));
}

// Value k of one row of a ggml tensor in format TYPE, `row` pointing at the row's first byte.
// Layouts (see the Java codecs for the full tables):
//   F32   4 bytes per value            F16/BF16  2 bytes per value
//   Q8_0  34-byte blocks of 32: f16 d, int8 q[32]; x = d * q
//   Q4_0  18-byte blocks of 32: f16 d, q[16] nibbles (low: values 0..15, high: 16..31); x = (q - 8) * d
//   Q4_1  20-byte blocks of 32: f16 d, f16 m, q[16] nibbles as Q4_0's; x = q * d + m
//   Q5_0  22-byte blocks of 32: f16 d, qh[4] (bit j: value j's fifth bit), q[16] nibbles as Q4_0;
//         x = (q - 16) * d
//   Q5_1  24-byte blocks of 32: f16 d, f16 m, qh[4], q[16] nibbles; x = q * d + m
//   Q2_K  84-byte super-blocks of 256: scales[16] (low nibble scale, high nibble min per 16 values),
//         qs[64] as Q3_K's, f16 d, f16 dmin; x = d * (sc & 15) * q - dmin * (sc >> 4)
//   Q3_K  110-byte super-blocks of 256: hmask[32] (bit b of hmask[l]: value 32 b + l's third bit),
//         qs[64] (bits 2j of qs[32 h + l]: value 128 h + 32 j + l), 12 bytes of sixteen 6-bit
//         scales, f16 d; x = d * (sc - 32) * (q - 4) per 16-value sub-block
//   Q4_K  144-byte super-blocks of 256: f16 d, f16 dmin, 12 bytes of 6-bit scales/mins, qs[128]
//   Q5_K  176-byte super-blocks of 256: as Q4_K with qh[32] (bit j of qh[l]: value l of sub-block j's
//         fifth bit) before qs[128]
//   IQ4_NL 18-byte blocks of 32: f16 d, q[16] nibbles as Q4_0's, indices into the 16 levels below;
//         x = d * level
//   IQ4_XS 136-byte super-blocks of 256: f16 d, u16 scales_h, scales_l[4] (6-bit scales of the eight
//         32-value blocks), q[128] (block ib: nibbles of q[16 ib ..] as Q4_0's); x = d * (sc - 32) * level
//   Q6_K  210-byte super-blocks of 256: ql[128], qh[64], int8 scales[16], f16 d
//   MXFP4 17-byte blocks of 32: E8M0 exponent e, q[16] nibbles as Q4_0's (FP4 E2M1: sign bit 3);
//         x = 2^(e - 128) * level, the levels below twice the E2M1 values
//   IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S, IQ1_S, IQ1_M: groups of eight values that are points of
//         a grid with signs (IQ2, IQ3) or an eighth's shift (IQ1), and a scale per block of 32 or 16
//         against an f16 d; their decoders are in grid_decode.cuh, which the weight-reading modules
//         include (the grids are 33 KB of data a module only carries where it decodes weights)
template <int TYPE>
__device__ __forceinline__ float decode(const uint8_t* row, int k);

template <>
__device__ __forceinline__ float decode<GGML_F32>(const uint8_t* row, int k) {
    return reinterpret_cast<const float*>(row)[k];
}

template <>
__device__ __forceinline__ float decode<GGML_F16>(const uint8_t* row, int k) {
    return f16_at(row + 2 * (size_t)k);
}

template <>
__device__ __forceinline__ float decode<GGML_BF16>(const uint8_t* row, int k) {
    unsigned int bits = *reinterpret_cast<const unsigned short*>(row + 2 * (size_t)k);
    return __uint_as_float(bits << 16);
}

template <>
__device__ __forceinline__ float decode<GGML_Q8_0>(const uint8_t* row, int k) {
    const uint8_t* block = row + 34 * (size_t)(k >> 5);
    float d = f16_at(block);
    return (float)(int8_t)block[2 + (k & 31)] * d;
}

template <>
__device__ __forceinline__ float decode<GGML_Q4_0>(const uint8_t* row, int k) {
    const uint8_t* block = row + 18 * (size_t)(k >> 5);
    float d = f16_at(block);
    int j = k & 31;
    int q = block[2 + (j & 15)];
    q = j < 16 ? (q & 0x0F) : (q >> 4);
    return (float)(q - 8) * d;
}

template <>
__device__ __forceinline__ float decode<GGML_Q4_1>(const uint8_t* row, int k) {
    const uint8_t* block = row + 20 * (size_t)(k >> 5);
    int j = k & 31;
    int q = block[4 + (j & 15)];
    q = j < 16 ? (q & 0x0F) : (q >> 4);
    return (float)q * f16_at(block) + f16_at(block + 2);
}

// The 5-bit level j of a Q5_0 / Q5_1 block: qh and qs at their offsets; qh read a byte at a
// time, as the block (22 or 24 bytes) keeps it only 2-byte aligned.
__device__ __forceinline__ int q5_level(const uint8_t* qh, const uint8_t* qs, int j) {
    int q = qs[j & 15];
    q = j < 16 ? (q & 0x0F) : (q >> 4);
    return q | (((qh[j >> 3] >> (j & 7)) & 1) << 4);
}

template <>
__device__ __forceinline__ float decode<GGML_Q5_0>(const uint8_t* row, int k) {
    const uint8_t* block = row + 22 * (size_t)(k >> 5);
    float d = f16_at(block);
    return (float)(q5_level(block + 2, block + 6, k & 31) - 16) * d;
}

template <>
__device__ __forceinline__ float decode<GGML_Q5_1>(const uint8_t* row, int k) {
    const uint8_t* block = row + 24 * (size_t)(k >> 5);
    float d = f16_at(block);
    float m = f16_at(block + 2);
    return (float)q5_level(block + 4, block + 8, k & 31) * d + m;
}

template <>
__device__ __forceinline__ float decode<GGML_Q2_K>(const uint8_t* row, int k) {
    const uint8_t* block = row + 84 * (size_t)(k >> 8);
    int i = k & 255;
    int s = i >> 4;          // sub-block of 16: s = 8 h + 2 j + half
    int sc = block[s];
    int q = (block[16 + 32 * (s >> 3) + (i & 31)] >> (2 * ((s >> 1) & 3))) & 3;
    float dl = f16_at(block + 80) * (float)(sc & 0x0F);
    float ml = f16_at(block + 82) * (float)(sc >> 4);
    return dl * (float)q - ml;
}

template <>
__device__ __forceinline__ float decode<GGML_Q3_K>(const uint8_t* row, int k) {
    const uint8_t* block = row + 110 * (size_t)(k >> 8);
    int i = k & 255;
    int s = i >> 4;          // sub-block of 16: s = 8 h + 2 j + half
    int h = s >> 3;
    int j = (s >> 1) & 3;
    int l = i & 31;
    const uint8_t* sc = block + 96;
    int low = sc[s & 7];
    low = s < 8 ? (low & 0x0F) : (low >> 4);
    int scale = low | (((sc[8 + (s & 3)] >> (2 * (s >> 2))) & 3) << 4);
    int q = (block[32 + 32 * h + l] >> (2 * j)) & 3;
    int third = (block[l] >> (4 * h + j)) & 1;
    float dl = f16_at(block + 108) * (float)(scale - 32);
    return dl * (float)(q - (third ? 0 : 4));
}

// Value i (0..255) of a Q4_K or Q5_K super-block: d * sc[j] * q - dmin * m[j] for sub-block j = i / 32,
// the scales and mins unpacked as ggml's get_scale_min_k4; q is the nibble of qs (at `qs`), plus 16
// times bit j of qh[i % 32] where the format has them (`qh`, else null).
__device__ __forceinline__ float k_quant_value(const uint8_t* block, const uint8_t* qh, const uint8_t* qs, int i) {
    int j = i >> 5;          // sub-block of 32
    int l = i & 31;
    float d = f16_at(block);
    float dmin = f16_at(block + 2);
    const uint8_t* s = block + 4;
    int sc, m;
    if (j < 4) {
        sc = s[j] & 63;
        m = s[j + 4] & 63;
    } else {
        sc = (s[j + 4] & 0x0F) | ((s[j - 4] >> 6) << 4);
        m = (s[j + 4] >> 4) | ((s[j] >> 6) << 4);
    }
    int byte = qs[32 * (j >> 1) + l];
    int q = (j & 1) ? (byte >> 4) : (byte & 0x0F);
    if (qh != nullptr) {
        q += 16 * ((qh[l] >> j) & 1);
    }
    float d1 = d * (float)sc;
    float m1 = dmin * (float)m;
    return d1 * (float)q - m1;
}

template <>
__device__ __forceinline__ float decode<GGML_Q4_K>(const uint8_t* row, int k) {
    const uint8_t* block = row + 144 * (size_t)(k >> 8);
    return k_quant_value(block, nullptr, block + 16, k & 255);
}

template <>
__device__ __forceinline__ float decode<GGML_Q5_K>(const uint8_t* row, int k) {
    const uint8_t* block = row + 176 * (size_t)(k >> 8);
    return k_quant_value(block, block + 16, block + 48, k & 255);
}

// ggml's kvalues_iq4nl: the sixteen levels of the IQ4 formats.
static __constant__ int8_t IQ4_LEVELS[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};

template <>
__device__ __forceinline__ float decode<GGML_IQ4_NL>(const uint8_t* row, int k) {
    const uint8_t* block = row + 18 * (size_t)(k >> 5);
    int j = k & 31;
    int q = block[2 + (j & 15)];
    q = j < 16 ? (q & 0x0F) : (q >> 4);
    return f16_at(block) * (float)IQ4_LEVELS[q];
}

template <>
__device__ __forceinline__ float decode<GGML_IQ4_XS>(const uint8_t* row, int k) {
    const uint8_t* block = row + 136 * (size_t)(k >> 8);
    int i = k & 255;
    int ib = i >> 5;
    int j = i & 31;
    int high = block[2] | (block[3] << 8);
    int ls = ((block[4 + (ib >> 1)] >> (4 * (ib & 1))) & 0x0F) | (((high >> (2 * ib)) & 3) << 4);
    int q = block[8 + 16 * ib + (j & 15)];
    q = j < 16 ? (q & 0x0F) : (q >> 4);
    float dl = f16_at(block) * (float)(ls - 32);
    return dl * (float)IQ4_LEVELS[q];
}

template <>
__device__ __forceinline__ float decode<GGML_Q6_K>(const uint8_t* row, int k) {
    const uint8_t* block = row + 210 * (size_t)(k >> 8);
    int i = k & 255;
    int h = i >> 7;          // half of 128 values
    int r = i & 127;
    int quarter = r >> 5;    // which of the four 32-value runs of the half
    int l = r & 31;
    int low = block[64 * h + l + (quarter & 1) * 32];
    low = quarter < 2 ? (low & 0x0F) : (low >> 4);
    int high = (block[128 + 32 * h + l] >> (2 * quarter)) & 3;
    int q = (low | (high << 4)) - 32;
    float d = f16_at(block + 208);
    int sc = (int8_t)block[192 + 8 * h + (l >> 4) + 2 * quarter];
    return d * (float)sc * (float)q;
}

// ggml's kvalues_mxfp4: twice the FP4 E2M1 value of each nibble (+0 for the negative zero, 8).
static __constant__ int8_t MXFP4_LEVELS[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

// Half the scale of E8M0 exponent e (0..255), 2^(e - 128), from its bits: exponent field e - 1, or
// for e < 2 the subnormals 2^-128 and 2^-127.
__device__ __forceinline__ float e8m0_half(unsigned int e) {
    return __uint_as_float(e < 2 ? 0x00200000u << e : (e - 1) << 23);
}

// Blocks are 17 bytes, so nothing in them is aligned: the exponent and the quants are read as bytes.
template <>
__device__ __forceinline__ float decode<GGML_MXFP4>(const uint8_t* row, int k) {
    const uint8_t* block = row + 17 * (size_t)(k >> 5);
    int j = k & 31;
    int q = block[1 + (j & 15)];
    q = j < 16 ? (q & 0x0F) : (q >> 4);
    return e8m0_half(block[0]) * (float)MXFP4_LEVELS[q];
}
