// Sampling helpers: what the host needs from a row of logits, without reading the row.
//
// greedy_rows:      per row r of logits (rows, cols): tokens[r] = the lowest column holding the
//                   row's largest value (comparisons by >, so -0 and +0 tie as on the CPU), and
//                   logprobs[r] = its natural-log probability under the row's softmax, -ln sum
//                   exp(l - max), the exponentials and their sum in double. A row holding NaN or
//                   +infinity, or only -infinity, gets tokens[r] = -1 and logprobs[r] = NaN: the host
//                   then reads the row and reports it as its sampler does.
//                   Launch: grid (rows), block GREEDY_THREADS.
#include "common.cuh"

#define GREEDY_THREADS 256

// The better of two (value, column) candidates: the larger value, the lower column on a tie.
__device__ __forceinline__ void better_of(float& v, int& c, float ov, int oc) {
    if (ov > v || (ov == v && oc < c)) {
        v = ov;
        c = oc;
    }
}

extern "C" __global__ void greedy_rows(const float* __restrict__ logits, int cols, int* __restrict__ tokens,
                                       double* __restrict__ logprobs) {
    __shared__ float best_values[GREEDY_THREADS / 32];
    __shared__ int best_columns[GREEDY_THREADS / 32];
    __shared__ int bad_rows[GREEDY_THREADS / 32];
    __shared__ double sums[32];
    const float* r = logits + (size_t)blockIdx.x * cols;
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;

    // each thread scans its columns upwards with >, so it keeps the lowest of its ties
    float v = -INFINITY;
    int c = cols;
    int bad = 0;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        float l = r[i];
        bad |= !(l < INFINITY);
        if (l > v || (c == cols && l == v)) {
            v = l;
            c = i;
        }
    }
    for (int o = 16; o > 0; o >>= 1) {
        better_of(v, c, __shfl_xor_sync(0xffffffffu, v, o), __shfl_xor_sync(0xffffffffu, c, o));
        bad |= __shfl_xor_sync(0xffffffffu, bad, o);
    }
    if (lane == 0) {
        best_values[warp] = v;
        best_columns[warp] = c;
        bad_rows[warp] = bad;
    }
    __syncthreads();
    int warps = blockDim.x >> 5;
    v = lane < warps ? best_values[lane] : -INFINITY;
    c = lane < warps ? best_columns[lane] : cols;
    bad = lane < warps ? bad_rows[lane] : 0;
    for (int o = 16; o > 0; o >>= 1) {
        better_of(v, c, __shfl_xor_sync(0xffffffffu, v, o), __shfl_xor_sync(0xffffffffu, c, o));
        bad |= __shfl_xor_sync(0xffffffffu, bad, o);
    }
    // every thread now holds the row's (v, c, bad)
    bool usable = !bad && v > -INFINITY;
    double s = 0.0;
    if (usable) {
        for (int i = threadIdx.x; i < cols; i += blockDim.x) {
            s += exp((double)r[i] - v);
        }
    }
    s = block_sum_double(s, sums);
    if (threadIdx.x == 0) {
        tokens[blockIdx.x] = usable ? c : -1;
        logprobs[blockIdx.x] = usable ? 0.0 - log(s) : nan(""); // 0 - : +0 for a certain token, as the CPU
    }
}
