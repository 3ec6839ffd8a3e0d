// sampling.cu's greedy_rows run on the host (threads as threads, host_threads.h), so that a test
// can hold it to the CPU backend's greedyRows where no GPU is.
//
//   g++ -std=c++20 -O2 -ffp-contract=off -shared -fPIC -pthread -I kernels/src/test/cuda/host
//       -I kernels/src/main/cuda -o libgreedy_host.so kernels/src/test/cuda/greedy_host.cpp
//
// (kernels: dev.switchyard.kernels.cuda.GreedyRowsOnHostTest builds and binds it.)
#include "host_threads.h"
#include "cuda_fp16.h"
#include "sampling.cu"

extern "C" {

// tokens[r] and logprobs[r] of rows r < rows of logits (rows, cols), as CudaKernels.greedyRows launches it.
void greedy_host(const float* logits, int rows, int cols, int* tokens, double* logprobs) {
    host_launch(dim3{(unsigned)rows, 1, 1}, dim3{GREEDY_THREADS, 1, 1},
                [&] { greedy_rows(logits, cols, tokens, logprobs); });
}

}
