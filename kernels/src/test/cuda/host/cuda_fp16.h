// What common.cuh takes from the CUDA headers, for building its decoders on the host (see
// decode_host.cpp): the half-precision conversion, the bit casts, and declarations of the warp and
// block intrinsics its reductions use (never called on the host).
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#define __device__
#define __host__
#define __global__
#define __forceinline__ inline
#define __constant__

struct __half {
    unsigned short bits;
};

inline __half __ushort_as_half(unsigned short b) {
    return {b};
}

inline float __half2float(__half h) {
    unsigned s = (h.bits >> 15) & 1, e = (h.bits >> 10) & 31, m = h.bits & 1023;
    float v;
    if (e == 0) {
        v = std::ldexp((float)m, -24);
    } else if (e == 31) {
        v = m ? NAN : INFINITY;
    } else {
        v = std::ldexp((float)(m | 1024), (int)e - 25);
    }
    return s ? -v : v;
}

inline float __uint_as_float(unsigned u) {
    float f;
    std::memcpy(&f, &u, 4);
    return f;
}

inline unsigned __float_as_uint(float f) {
    unsigned u;
    std::memcpy(&u, &f, 4);
    return u;
}

// Round to the nearest half, ties to even, as the device's conversion does: overflow to infinity,
// small values to subnormals (exact scaling by 2^24, then the current rounding mode, nearest by
// default), NaN to the canonical quiet NaN.
inline __half __float2half_rn(float f) {
    unsigned x = __float_as_uint(f);
    unsigned short sign = (unsigned short)((x >> 16) & 0x8000);
    unsigned ax = x & 0x7fffffffu;
    if (ax > 0x7f800000u) {
        return {(unsigned short)0x7fff};
    }
    if (ax >= 0x47800000u) {  // 65536 and above, infinity included
        return {(unsigned short)(sign | 0x7c00)};
    }
    if (ax < 0x38800000u) {   // below the smallest normal half, 2^-14
        unsigned m = (unsigned)std::nearbyint(__uint_as_float(ax) * 16777216.0f);
        return {(unsigned short)(sign | m)};
    }
    unsigned h = ((((ax >> 23) - 127 + 15) << 10) | ((ax & 0x7fffffu) >> 13));
    unsigned rest = ax & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) {
        h++;  // a carry into the exponent is right, up to infinity at 65520
    }
    return {(unsigned short)(sign | h)};
}

#ifndef SWITCHYARD_HOST_THREADS
// declared only: the decoders never reach them (host_threads.h defines them for harnesses that run
// whole kernels)
struct dim3 {
    unsigned x, y, z;
};
extern dim3 threadIdx, blockIdx, blockDim, gridDim;
float __shfl_xor_sync(unsigned mask, float v, int offset);
double __shfl_xor_sync(unsigned mask, double v, int offset);
int __shfl_xor_sync(unsigned mask, int v, int offset);
void __syncthreads();
void __syncwarp(unsigned mask = 0xffffffffu);
#endif
using std::max;
using std::min;
