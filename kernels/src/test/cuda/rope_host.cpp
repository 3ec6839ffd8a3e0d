// rope.cu run on the host, its threads as fibers (host_threads.h), launched as CudaKernels.rope
// launches it, so that a test can hold its pairing of values, its walk over (head, pair) and its
// angles to the CPU backend where no GPU is.
//
//   g++ -std=c++20 -O2 -ffp-contract=off -shared -fPIC -pthread -I kernels/src/test/cuda/host
//       -I kernels/src/main/cuda -o librope_host.so kernels/src/test/cuda/rope_host.cpp
//
// (kernels: dev.switchyard.kernels.cuda.RopeOnHostTest builds and binds it.)
#include "host_threads.h"
#include "cuda_fp16.h"
#include "rope.cu"

extern "C" {

// Rotates the first `heads` heads of x (tokens, cols) in place by positions[t]: pairs i < half with
// frequencies freqs[i] (RopeSpec.frequencies), neox or adjacent pairs, positions divided by
// linearScale, cosines and sines times magnitude.
void rope_host(float* x, const int* positions, const double* freqs, int cols, int heads, int headDim, int half,
               int neox, double linearScale, double magnitude, int tokens) {
    host_launch(dim3{(unsigned)tokens, 1, 1}, dim3{128, 1, 1}, [&] {
        rope(x, positions, freqs, cols, heads, headDim, half, neox, linearScale, magnitude);
    });
}

}
