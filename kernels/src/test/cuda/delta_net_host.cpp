// delta_net.cu's gated_delta_net (the gated delta rule over recurrent states) and selective_scan
// (Mamba2's) run on the host, their threads as fibers (host_threads.h), launched as
// CudaKernels.gatedDeltaNet and CudaKernels.selectiveScan launch them, so that a test can hold
// them to the CPU backend where no GPU is.
//
//   g++ -std=c++20 -O2 -ffp-contract=off -shared -fPIC -pthread -I kernels/src/test/cuda/host
//       -I kernels/src/main/cuda -o libdelta_net_host.so kernels/src/test/cuda/delta_net_host.cpp
//
// (kernels: dev.switchyard.kernels.cuda.DeltaNetOnHostTest and SelectiveScanOnHostTest build and
// bind it.)
#include <cmath>
#include "host_threads.h"
#include "cuda_fp16.h"

// nvcc's unfusable product and sum: with -ffp-contract=off every plain product and sum here is
// already rounded on its own
inline float __fmul_rn(float a, float b) {
    return a * b;
}
inline float __fadd_rn(float a, float b) {
    return a + b;
}

#include "delta_net.cu"

extern "C" void gated_delta_net_host(float* states, int heads, int dk, int dv, const int* firstToken, int runs,
                                     const int* sequenceOf, const int* positionOf, int tokens, const float* qkv,
                                     int keyHeads, int tiled, const float* beta, const float* alpha,
                                     int channelGates, const float* dtBias, const float* decay, float eps,
                                     float* out) {
    host_launch(dim3{(unsigned)heads, (unsigned)runs, 1}, dim3{(unsigned)((dv + 31) / 32 * 32), 1, 1}, [&] {
        gated_delta_net(states, heads, dk, dv, firstToken, sequenceOf, positionOf, tokens, qkv, keyHeads, tiled, beta,
                        alpha, channelGates, dtBias, decay, eps, out);
    });
}

extern "C" void selective_scan_host(float* states, int heads, int ds, int dc, const int* firstToken, int runs,
                                    const int* sequenceOf, const int* positionOf, int tokens, const float* xbc,
                                    int groups, const float* dt, const float* dtBias, const float* decay,
                                    const float* skip, float* out) {
    host_launch(dim3{(unsigned)heads, (unsigned)runs, 1}, dim3{(unsigned)((dc + 31) / 32 * 32), 1, 1}, [&] {
        selective_scan(states, heads, ds, dc, firstToken, sequenceOf, positionOf, tokens, xbc, groups, dt, dtBias,
                       decay, skip, out);
    });
}
