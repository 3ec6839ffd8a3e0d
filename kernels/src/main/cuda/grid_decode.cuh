// The grid formats' value decoders (IQ1 to IQ3), specializations of decode<TYPE> in common.cuh,
// kept apart so that only the modules that read weights (matmul, matmul_tc, moe_experts) carry
// the grids.
//
// A group of eight values (value j of group g is value 8 g + j of the super-block) is a grid point
// whose coordinates are magnitudes, signed by the group's sign bits (IQ2, IQ3), or values -1, 0, 1
// shifted by +-1/8 (IQ1). Where a format stores seven sign bits, the eighth makes the count of
// negatives even. Each decoder follows its Java codec (IQ2_XXSCodec and the others) operation
// for operation. The grids are generated from the codecs' iq-grids.txt (kernels/iq-grids.sh).
#pragma once

#include "common.cuh"
#include "iq_grids.inc"

__device__ __forceinline__ uint32_t u32_at(const uint8_t* p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

__device__ __forceinline__ int u16_at(const uint8_t* p) {
    return p[0] | (p[1] << 8);
}

// Bit j of a group's signs from its seven stored bits: bit 7 is the parity of the seven.
__device__ __forceinline__ bool parity_sign(uint32_t seven, int j) {
    if (j < 7) {
        return (seven >> j) & 1;
    }
    uint32_t p = seven ^ (seven >> 4);
    p ^= p >> 2;
    p ^= p >> 1;
    return p & 1;
}

// Coordinate j of a grid point, as its byte.
__device__ __forceinline__ int grid_byte(uint64_t point, int j) {
    return (int)((point >> (8 * j)) & 0xFF);
}

// IQ2_XXS 66-byte super-blocks: f16 d; block ib (32 values) at 2 + 8 ib: four grid indices, then a
// u32 with group l's seven sign bits at 7 l and the scale s in bits 28..31;
// x = d * (0.5 + s) * 0.25 * grid * sign.
template <>
__device__ __forceinline__ float decode<GGML_IQ2_XXS>(const uint8_t* row, int k) {
    const uint8_t* block = row + 66 * (size_t)(k >> 8);
    int i = k & 255;
    const uint8_t* q = block + 2 + 8 * (i >> 5);
    int l = (i >> 3) & 3;
    int j = i & 7;
    uint32_t aux = u32_at(q + 4);
    float db = f16_at(block) * (0.5f + (float)(aux >> 28)) * 0.25f;
    float g = (float)grid_byte(IQ_GRID_IQ2_XXS[q[l]], j);
    return db * g * (parity_sign((aux >> (7 * l)) & 127, j) ? -1.f : 1.f);
}

// IQ2_XS 74-byte super-blocks: f16 d; a u16 per group g at 2 + 2 g (9-bit index, seven sign bits
// above it); scales[8] at 66, block ib's groups 0, 1 in the low nibble, 2, 3 in the high one.
template <>
__device__ __forceinline__ float decode<GGML_IQ2_XS>(const uint8_t* row, int k) {
    const uint8_t* block = row + 74 * (size_t)(k >> 8);
    int i = k & 255;
    int g = i >> 3;
    int j = i & 7;
    int q = u16_at(block + 2 + 2 * g);
    int s = (block[66 + (g >> 2)] >> (4 * ((g & 3) >> 1))) & 0x0F;
    float db = f16_at(block) * (0.5f + (float)s) * 0.25f;
    float v = (float)grid_byte(IQ_GRID_IQ2_XS[q & 511], j);
    return db * v * (parity_sign((uint32_t)(q >> 9), j) ? -1.f : 1.f);
}

// IQ2_S 82-byte super-blocks: f16 d; qs[32] at 2 (low eight index bits of group g); signs[32] at
// 34; qh[8] at 66 (block ib, bits 2 l, 2 l + 1: the top index bits of group l); scales[8] at 74 as
// IQ2_XS's.
template <>
__device__ __forceinline__ float decode<GGML_IQ2_S>(const uint8_t* row, int k) {
    const uint8_t* block = row + 82 * (size_t)(k >> 8);
    int i = k & 255;
    int g = i >> 3;
    int l = g & 3;
    int j = i & 7;
    int index = block[2 + g] | ((block[66 + (g >> 2)] << (8 - 2 * l)) & 0x300);
    int s = (block[74 + (g >> 2)] >> (4 * (l >> 1))) & 0x0F;
    float db = f16_at(block) * (0.5f + (float)s) * 0.25f;
    float v = (float)grid_byte(IQ_GRID_IQ2_S[index], j);
    return db * v * (((block[34 + g] >> j) & 1) ? -1.f : 1.f);
}

// IQ3_XXS 98-byte super-blocks: f16 d; qs[64] at 2 (group g's two indices of four-value points at
// 2 + 2 g); block ib's u32 at 66 + 4 ib, seven sign bits per group and the scale in bits 28..31;
// x = d * (0.5 + s) * 0.5 * grid * sign.
template <>
__device__ __forceinline__ float decode<GGML_IQ3_XXS>(const uint8_t* row, int k) {
    const uint8_t* block = row + 98 * (size_t)(k >> 8);
    int i = k & 255;
    int g = i >> 3;
    int j = i & 7;
    uint32_t aux = u32_at(block + 66 + 4 * (g >> 2));
    float db = f16_at(block) * (0.5f + (float)(aux >> 28)) * 0.5f;
    float v = (float)grid_byte(IQ_GRID_IQ3_XXS[block[2 + 2 * g + (j >> 2)]], j & 3);
    return db * v * (parity_sign((aux >> (7 * (g & 3))) & 127, j) ? -1.f : 1.f);
}

// IQ3_S 110-byte super-blocks: f16 d; qs[64] at 2 (low eight bits of group g's two indices at
// 2 + 2 g); qh[8] at 66 (block ib, bit 2 l + h: the ninth bit of group l's point h); signs[32] at
// 74; scales[4] at 106 (block ib in nibble ib % 2 of byte ib / 2); x = d * (1 + 2 s) * grid * sign.
template <>
__device__ __forceinline__ float decode<GGML_IQ3_S>(const uint8_t* row, int k) {
    const uint8_t* block = row + 110 * (size_t)(k >> 8);
    int i = k & 255;
    int g = i >> 3;
    int ib = g >> 2;
    int j = i & 7;
    int h = j >> 2;
    int index = block[2 + 2 * g + h] | ((block[66 + ib] << (8 - 2 * (g & 3) - h)) & 256);
    int s = (block[106 + (ib >> 1)] >> (4 * (ib & 1))) & 0x0F;
    float db = f16_at(block) * (float)(1 + 2 * s);
    float v = (float)grid_byte(IQ_GRID_IQ3_S[index], j & 3);
    return db * v * (((block[74 + g] >> j) & 1) ? -1.f : 1.f);
}

// Value j of an IQ1 point shifted by +-1/8, times its block's scale.
__device__ __forceinline__ float iq1_value(int index, int j, bool down, float dl) {
    float v = (float)(int8_t)grid_byte(IQ_GRID_IQ1_S[index], j);
    return dl * (v + (down ? -0.125f : 0.125f));
}

// IQ1_S 50-byte super-blocks: f16 d; qs[32] at 2 (low eight bits of group g's 11-bit index); a u16
// per block ib at 34 + 2 ib: bits 3 l .. 3 l + 2 the top index bits of group l, 12..14 the scale s,
// 15 the shift's sign; x = d * (2 s + 1) * (grid +- 1/8).
template <>
__device__ __forceinline__ float decode<GGML_IQ1_S>(const uint8_t* row, int k) {
    const uint8_t* block = row + 50 * (size_t)(k >> 8);
    int i = k & 255;
    int g = i >> 3;
    int qh = u16_at(block + 34 + 2 * (g >> 2));
    int index = block[2 + g] | (((qh >> (3 * (g & 3))) & 7) << 8);
    float dl = f16_at(block) * (float)(2 * ((qh >> 12) & 7) + 1);
    return iq1_value(index, i & 7, qh & 0x8000, dl);
}

// IQ1_M 56-byte super-blocks: qs[32] at 0; qh[16] at 32 (group g in nibble g % 2 of byte g / 2:
// three top index bits, then the shift's sign); four u16 scale words at 48, sc[ib / 2] bits
// 6 (ib % 2) + 3 h .. + 2 the scale of half h of block ib, bits 12..15 of sc[m] bits 4 m .. 4 m + 3
// of the f16 d.
template <>
__device__ __forceinline__ float decode<GGML_IQ1_M>(const uint8_t* row, int k) {
    const uint8_t* block = row + 56 * (size_t)(k >> 8);
    int i = k & 255;
    int g = i >> 3;
    int ib = g >> 2;
    const uint8_t* sc = block + 48;
    int bits = (u16_at(sc) >> 12) | ((u16_at(sc + 2) >> 8) & 0xF0) | ((u16_at(sc + 4) >> 4) & 0xF00)
             | (u16_at(sc + 6) & 0xF000);
    float d = __half2float(__ushort_as_half((unsigned short)bits));
    int s = (u16_at(sc + 2 * (ib >> 1)) >> (6 * (ib & 1) + 3 * ((g & 3) >> 1))) & 7;
    int nibble = block[32 + (g >> 1)] >> (4 * (g & 1));
    int index = block[g] | ((nibble & 7) << 8);
    return iq1_value(index, i & 7, nibble & 8, d * (float)(2 * s + 1));
}
