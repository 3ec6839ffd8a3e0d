// norm.cu and elementwise.cu run on the host, their threads as fibers (host_threads.h), each
// entry point launched as CudaKernels launches it, so that a test can hold the norms, the
// elementwise ops, the row shuffles of MoE dispatch and combine and the column copies of latent
// attention to the CPU backend where no GPU is.
//
//   g++ -std=c++20 -O2 -ffp-contract=off -shared -fPIC -pthread -I kernels/src/test/cuda/host
//       -I kernels/src/main/cuda -o libelementwise_host.so kernels/src/test/cuda/elementwise_host.cpp
//
// (kernels: dev.switchyard.kernels.cuda.NormsAndElementwiseOnHostTest builds and binds it.)
#include <algorithm>
#include "host_threads.h"
#include "cuda_fp16.h"

// nvcc's unfusable product: with -ffp-contract=off every plain product here is already rounded on
// its own
inline float __fmul_rn(float a, float b) {
    return a * b;
}

#include "norm.cu"
#include "elementwise.cu"

// Blocks of a grid-stride launch over n values (CudaKernels.elementwiseBlocks).
static unsigned elementwise_blocks(long long n) {
    return (unsigned)std::min(4096LL, (n + 255) / 256);
}

static unsigned ceil_div(int a, int b) {
    return (unsigned)((a + b - 1) / b);
}

extern "C" {

void rms_norm_host(const float* x, const float* gamma, float eps, float* out, int cols, int tokens) {
    host_launch(dim3{(unsigned)tokens, 1, 1}, dim3{256, 1, 1}, [&] { rms_norm(x, gamma, eps, out, cols); });
}

void rms_norm_heads_host(float* x, const float* gamma, float eps, int cols, int headDim, int gammaStride,
                         int tokens) {
    host_launch(dim3{(unsigned)(cols / headDim), (unsigned)tokens, 1}, dim3{32, 1, 1},
                [&] { rms_norm_heads(x, gamma, eps, cols, headDim, gammaStride); });
}

void add_bias_host(float* x, const float* bias, long long n, int cols) {
    host_launch(dim3{elementwise_blocks(n), 1, 1}, dim3{256, 1, 1}, [&] { add_bias(x, bias, n, cols); });
}

void add_host(float* y, const float* x, long long n) {
    host_launch(dim3{elementwise_blocks(n), 1, 1}, dim3{256, 1, 1}, [&] { add(y, x, n); });
}

void silu_mul_host(float* gate, const float* up, long long n) {
    host_launch(dim3{elementwise_blocks(n), 1, 1}, dim3{256, 1, 1}, [&] { silu_mul(gate, up, n); });
}

void sigmoid_mul_host(const float* gate, float* x, long long n) {
    host_launch(dim3{elementwise_blocks(n), 1, 1}, dim3{256, 1, 1}, [&] { sigmoid_mul(gate, x, n); });
}

void mul_host(float* y, const float* x, long long n) {
    host_launch(dim3{elementwise_blocks(n), 1, 1}, dim3{256, 1, 1}, [&] { mul(y, x, n); });
}

void relu_squared_host(float* x, long long n) {
    host_launch(dim3{elementwise_blocks(n), 1, 1}, dim3{256, 1, 1}, [&] { relu_squared(x, n); });
}

void swiglu_clamped_host(float* gate, const float* up, float alpha, float limit, long long n) {
    host_launch(dim3{elementwise_blocks(n), 1, 1}, dim3{256, 1, 1}, [&] { swiglu_clamped(gate, up, alpha, limit, n); });
}

void softmax_rows_host(float* x, int cols, int tokens) {
    host_launch(dim3{(unsigned)tokens, 1, 1}, dim3{256, 1, 1}, [&] { softmax_rows(x, cols); });
}

void gather_rows_host(const float* src, const int* rows, float* dst, int cols, int n) {
    host_launch(dim3{(unsigned)n, 1, 1}, dim3{256, 1, 1}, [&] { gather_rows(src, rows, dst, cols); });
}

void copy_columns_host(const float* src, int srcCols, int srcCol, int srcStride, float* dst, int dstCols, int dstCol,
                       int dstStride, int width, int groups, int rows) {
    host_launch(dim3{ceil_div(groups * width, 256), (unsigned)rows, 1}, dim3{256, 1, 1},
                [&] { copy_columns(src, srcCols, srcCol, srcStride, dst, dstCols, dstCol, dstStride, width, groups); });
}

void sigmoid_gated_add_host(const float* gate, int gateCols, const float* src, float* dst, int cols, int tokens) {
    host_launch(dim3{ceil_div(cols, 256), (unsigned)tokens, 1}, dim3{256, 1, 1},
                [&] { sigmoid_gated_add(gate, gateCols, src, dst, cols); });
}

void scale_rows_host(float* x, const float* factors, int n, int cols) {
    host_launch(dim3{ceil_div(cols, 256), (unsigned)n, 1}, dim3{256, 1, 1}, [&] { scale_rows(x, factors, cols); });
}

void scatter_add_rows_host(const float* src, const int* rows, const float* weights, float* dst, int n, int cols) {
    host_launch(dim3{ceil_div(cols, 256), n == 0 ? 0u : 1u, 1}, dim3{256, 1, 1},
                [&] { scatter_add_rows(src, rows, weights, dst, n, cols); });
}

}
