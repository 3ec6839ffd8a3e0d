// attention.cu's short_conv (LFM2's convolution over cached rows) run on the host, its threads as
// fibers (host_threads.h), launched as CudaKernels.shortConv launches it, so that a test can
// hold it to the CPU backend where no GPU is.
//
//   g++ -std=c++20 -O2 -ffp-contract=off -shared -fPIC -pthread -I kernels/src/test/cuda/host
//       -I kernels/src/main/cuda -o libshort_conv_host.so kernels/src/test/cuda/short_conv_host.cpp
//
// (kernels: dev.switchyard.kernels.cuda.ShortConvOnHostTest builds and binds it.)
#include <cmath>
#include <type_traits>
#include "host_threads.h"
#include "cuda_fp16.h"
#include "attention.cu"

extern "C" void short_conv_host(const float* rows, int width, int blockSize, const int* positions,
                                const int* tableStart, const int* tables, const float* taps, int length, float* out,
                                int outCols, int tokens) {
    host_launch(dim3{(unsigned)((width + 255) / 256), (unsigned)tokens, 1}, dim3{256, 1, 1}, [&] {
        short_conv(rows, width, blockSize, positions, tableStart, tables, taps, length, out, outCols);
    });
}
