// The part of CUDA's wmma API that matmul_tc.cu uses, for running it on the host (with
// host_threads.h). Each thread of a warp holds a whole 16 x 16 x 8 tile in its fragment and
// computes the product itself, so element-wise loops over x[] touch every element (on the device
// each thread touches its share, which is the same arithmetic per element). The product takes
// TF32 inputs (the low 13 mantissa bits ignored, as the tensor cores do), multiplies them exactly
// and sums in float; the device's order of summation within a step of 8 is unspecified, this one
// is ascending. Loads and stores check the 32-byte alignment and leading dimensions wmma requires.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace nvcuda {
namespace wmma {

struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
namespace precision {
struct tf32 {};
}
enum layout_t { mem_row_major, mem_col_major };

template <class Use, int M, int N, int K, class T, class Layout = void>
struct fragment;
template <int M, int N, int K, class Layout>
struct fragment<matrix_a, M, N, K, precision::tf32, Layout> {
    static constexpr int num_elements = M * K;
    float x[M * K];
};
template <int M, int N, int K, class Layout>
struct fragment<matrix_b, M, N, K, precision::tf32, Layout> {
    static constexpr int num_elements = K * N;
    float x[K * N];
};
template <int M, int N, int K>
struct fragment<accumulator, M, N, K, float, void> {
    static constexpr int num_elements = M * N;
    float x[M * N];
};

inline void require(bool ok, const char* what) {
    if (!ok) {
        std::fprintf(stderr, "wmma: %s\n", what);
        std::abort();
    }
}

template <int M, int N, int K>
void load_matrix_sync(fragment<matrix_a, M, N, K, precision::tf32, row_major>& f, const float* p, unsigned ldm) {
    require((uintptr_t)p % 32 == 0 && ldm % 4 == 0, "matrix_a load misaligned");
    for (int i = 0; i < M; i++) {
        for (int k = 0; k < K; k++) {
            f.x[i * K + k] = p[i * ldm + k];
        }
    }
}

template <int M, int N, int K>
void load_matrix_sync(fragment<matrix_b, M, N, K, precision::tf32, col_major>& f, const float* p, unsigned ldm) {
    require((uintptr_t)p % 32 == 0 && ldm % 4 == 0, "matrix_b load misaligned");
    for (int k = 0; k < K; k++) {
        for (int n = 0; n < N; n++) {
            f.x[k * N + n] = p[n * ldm + k];
        }
    }
}

template <int M, int N, int K>
void fill_fragment(fragment<accumulator, M, N, K, float, void>& f, float v) {
    for (float& e : f.x) {
        e = v;
    }
}

inline float tf32_bits(float v) {
    unsigned u;
    std::memcpy(&u, &v, 4);
    u &= 0xffffe000u;
    std::memcpy(&v, &u, 4);
    return v;
}

// cvt.rna.tf32.f32: nearest, ties away from zero, 10 mantissa bits kept
inline float __float_to_tf32(float v) {
    unsigned u;
    std::memcpy(&u, &v, 4);
    if ((u & 0x7f800000u) != 0x7f800000u) {
        u += 0x1000u;
        u &= 0xffffe000u;
    }
    std::memcpy(&v, &u, 4);
    return v;
}

template <int M, int N, int K, class LA, class LB>
void mma_sync(fragment<accumulator, M, N, K, float, void>& d, const fragment<matrix_a, M, N, K, precision::tf32, LA>& a,
              const fragment<matrix_b, M, N, K, precision::tf32, LB>& b,
              const fragment<accumulator, M, N, K, float, void>& c) {
    float r[M * N];
    for (int i = 0; i < M; i++) {
        for (int n = 0; n < N; n++) {
            float s = c.x[i * N + n];
            for (int k = 0; k < K; k++) {
                s += tf32_bits(a.x[i * K + k]) * tf32_bits(b.x[k * N + n]);
            }
            r[i * N + n] = s;
        }
    }
    std::memcpy(d.x, r, sizeof r);
}

template <int M, int N, int K>
void store_matrix_sync(float* p, const fragment<accumulator, M, N, K, float, void>& f, unsigned ldm, layout_t layout) {
    require((uintptr_t)p % 32 == 0 && ldm % 4 == 0, "accumulator store misaligned");
    for (int i = 0; i < M; i++) {
        for (int n = 0; n < N; n++) {
            (layout == mem_col_major ? p[n * ldm + i] : p[i * ldm + n]) = f.x[i * N + n];
        }
    }
}

}  // namespace wmma
}  // namespace nvcuda
