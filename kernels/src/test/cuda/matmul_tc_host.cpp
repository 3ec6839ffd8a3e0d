// matmul_tc.cu's tensor-core matmul run on the host: its blocks' threads as fibers
// (host_threads.h), wmma as host/mma.h plays it. So a test can hold the kernel's tiling, its
// shared-memory traffic, its bounds and its 3xTF32 arithmetic to the CPU backend where no GPU is.
//
//   g++ -std=c++20 -O2 -ffp-contract=off -shared -fPIC -pthread -I kernels/src/test/cuda/host
//       -I kernels/src/main/cuda -o libmatmul_tc_host.so kernels/src/test/cuda/matmul_tc_host.cpp
//
// (kernels: dev.switchyard.kernels.cuda.TensorCoreMatmulOnHostTest builds and binds it.)
#include "host_threads.h"
#include "cuda_fp16.h"
#include "matmul_tc.cu"

extern "C" {

// out (tokens, rows) = x (tokens, cols) W^T for a weight of ggml type id `type`, as the launch in
// CudaKernels.matmul sizes it; returns 0, or -1 for a type without an entry point.
int matmul_tc_host(int type, const uint8_t* w, long long rowBytes, int rows, int cols, const float* x, float* out,
                   int tokens) {
    dim3 grid{(unsigned)((rows + TC_BM - 1) / TC_BM), (unsigned)((tokens + TC_BN - 1) / TC_BN), 1};
    dim3 block{TC_THREADS, 1, 1};
    switch (type) {
        case GGML_F32: host_launch(grid, block, [&] { matmul_tc_f32(w, rowBytes, rows, cols, x, out, tokens); }); return 0;
        case GGML_BF16: host_launch(grid, block, [&] { matmul_tc_bf16(w, rowBytes, rows, cols, x, out, tokens); }); return 0;
        case GGML_Q8_0: host_launch(grid, block, [&] { matmul_tc_q8_0(w, rowBytes, rows, cols, x, out, tokens); }); return 0;
        case GGML_Q4_K: host_launch(grid, block, [&] { matmul_tc_q4_k(w, rowBytes, rows, cols, x, out, tokens); }); return 0;
        case GGML_IQ4_XS: host_launch(grid, block, [&] { matmul_tc_iq4_xs(w, rowBytes, rows, cols, x, out, tokens); }); return 0;
        case GGML_IQ3_S: host_launch(grid, block, [&] { matmul_tc_iq3_s(w, rowBytes, rows, cols, x, out, tokens); }); return 0;
        case GGML_MXFP4: host_launch(grid, block, [&] { matmul_tc_mxfp4(w, rowBytes, rows, cols, x, out, tokens); }); return 0;
        default: return -1;
    }
}

}
