// sampling.cu's greedy_rows and top_rows run on the host (threads as fibers, host_threads.h), so
// that a test can hold them to the CPU backend's topRows where no GPU is.
//
//   g++ -std=c++20 -O2 -ffp-contract=off -shared -fPIC -pthread -I kernels/src/test/cuda/host
//       -I kernels/src/main/cuda -o libsampling_host.so kernels/src/test/cuda/sampling_host.cpp
//
// (kernels: dev.switchyard.kernels.cuda.TopRowsOnHostTest builds and binds it.)
#include "host_threads.h"
#include "cuda_fp16.h"
#include "sampling.cu"

extern "C" {

// ids[r * count + j], values[r * count + j] and log_z[r] of rows r < rows of logits (rows, cols), as
// CudaBackend.topRows launches them: greedy_rows for one token, top_rows for more.
void top_rows_host(const float* logits, int rows, int cols, int count, int* ids, float* values, double* log_z) {
    if (count == 1) {
        host_launch(dim3{(unsigned)rows, 1, 1}, dim3{GREEDY_THREADS, 1, 1},
                    [&] { greedy_rows(logits, cols, ids, values, log_z); });
    } else {
        host_launch(dim3{(unsigned)rows, 1, 1}, dim3{TOP_THREADS, 1, 1},
                    [&] { top_rows(logits, cols, count, ids, values, log_z); });
    }
}

}
