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
