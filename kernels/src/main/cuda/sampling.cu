// Sampling helpers: what the host needs from a row of logits, without reading the row.
//
// Both kernels report, per row r of logits (rows, cols), the row's best tokens as the host's sampler
// orders them (the larger logit first, the lower column among equals; -0 and +0 equal, as > sees
// them), each one's logit as it is in the row, and log_z[r] = ln sum exp(l - max), max the best
// logit, the exponentials and their sum in double: a token's natural-log probability is then
// l - max - log_z[r]. A row holding NaN or +infinity, or only -infinity, gets ids[r * count] = -1
// and log_z[r] = NaN: the host then reads the row and reports it as its sampler does.
//
// greedy_rows: the best token alone (count 1): one pass for the argmax, one for the sum.
//              Launch: grid (rows), block GREEDY_THREADS.
// top_rows:    the best `count` tokens, 1 <= count <= MAX_TOP <= cols, best first. A radix select
//              finds the count-th best logit in four passes over the row (one byte of its ordered
//              bits each), then one pass takes every better logit, with the ties at that logit when
//              all of them are wanted (the usual case: one); where ties straddle the cut, one more
//              walk takes the lowest columns among them, so the pick never depends on the threads'
//              timing.
//              Launch: grid (rows), block TOP_THREADS.
#include "common.cuh"

#define GREEDY_THREADS 256
#define TOP_THREADS 256
#define MAX_TOP 128

// The better of two (value, column) candidates: the larger value, the lower column on a tie.
__device__ __forceinline__ void better_of(float& v, int& c, float ov, int oc) {
    if (ov > v || (ov == v && oc < c)) {
        v = ov;
        c = oc;
    }
}

// Whether any thread of the block passes a non-zero v; every thread gets the answer. `scratch`
// holds 32 ints of shared memory.
__device__ __forceinline__ int block_any(int v, int* scratch) {
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    for (int o = 16; o > 0; o >>= 1) {
        v |= __shfl_xor_sync(0xffffffffu, v, o);
    }
    __syncthreads();
    if (lane == 0) {
        scratch[warp] = v;
    }
    __syncthreads();
    int any = 0;
    for (int w = 0; w < (int)(blockDim.x >> 5); w++) {
        any |= scratch[w];
    }
    return any;
}

// ln of sum over the row of exp(l - max), in double, on every thread.
__device__ __forceinline__ double row_log_z(const float* r, int cols, float max, double* scratch) {
    double s = 0.0;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        s += exp((double)r[i] - max);
    }
    return log(block_sum_double(s, scratch));
}

extern "C" __global__ void greedy_rows(const float* __restrict__ logits, int cols, int* __restrict__ ids,
                                       float* __restrict__ values, double* __restrict__ log_z) {
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
    if (bad || !(v > -INFINITY)) {
        if (threadIdx.x == 0) {
            ids[blockIdx.x] = -1;
            log_z[blockIdx.x] = nan("");
        }
        return;
    }
    double z = row_log_z(r, cols, v, sums);
    if (threadIdx.x == 0) {
        ids[blockIdx.x] = c;
        values[blockIdx.x] = r[c];
        log_z[blockIdx.x] = z;
    }
}

// Larger logit, larger key; -0 and +0 one key (as > sees them). Never called with NaN.
__device__ __forceinline__ unsigned order_key(float l) {
    unsigned u = __float_as_uint(l + 0.0f);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// Exclusive prefix sum of v over the block, in thread order; *total gets the block's sum. `scratch`
// holds 32 ints of shared memory.
__device__ __forceinline__ int block_exclusive_scan(int v, int* scratch, int* total) {
    int lane = threadIdx.x & 31;
    int warp = threadIdx.x >> 5;
    int inclusive = v;
    for (int o = 1; o < 32; o <<= 1) {
        int n = __shfl_up_sync(0xffffffffu, inclusive, o);
        if (lane >= o) {
            inclusive += n;
        }
    }
    __syncthreads();
    if (lane == 31) {
        scratch[warp] = inclusive;
    }
    __syncthreads();
    int before = 0;
    int sum = 0;
    for (int w = 0; w < (int)(blockDim.x >> 5); w++) {
        int x = scratch[w];
        before += w < warp ? x : 0;
        sum += x;
    }
    *total = sum;
    return before + inclusive - v;
}

extern "C" __global__ void top_rows(const float* __restrict__ logits, int cols, int count, int* __restrict__ ids,
                                    float* __restrict__ values, double* __restrict__ log_z) {
    __shared__ int histogram[256];
    __shared__ unsigned chosen_keys[MAX_TOP];
    __shared__ int chosen_columns[MAX_TOP];
    __shared__ int ints[32];
    __shared__ double sums[32];
    __shared__ unsigned threshold_shared;
    __shared__ int wanted_shared;
    __shared__ int ties_shared;
    __shared__ int taken;
    __shared__ int best_column;
    const float* r = logits + (size_t)blockIdx.x * cols;
    int* row_ids = ids + (size_t)blockIdx.x * count;
    float* row_values = values + (size_t)blockIdx.x * count;

    int bad = 0;
    int finite = 0;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        float l = r[i];
        bad |= !(l < INFINITY);
        finite |= l > -INFINITY;
    }
    bad = block_any(bad, ints);
    finite = block_any(finite, ints);
    if (bad || !finite) {
        if (threadIdx.x == 0) {
            row_ids[0] = -1;
            log_z[blockIdx.x] = nan("");
        }
        return;
    }

    // Radix select, most significant byte first: after the pass at `shift`, `threshold` holds the
    // count-th best key's bits above shift, and `wanted` is its rank among the keys sharing them.
    unsigned threshold = 0;
    unsigned mask = 0;
    int wanted = count;
    for (int shift = 24; shift >= 0; shift -= 8) {
        for (int b = threadIdx.x; b < 256; b += blockDim.x) {
            histogram[b] = 0;
        }
        __syncthreads();
        for (int i = threadIdx.x; i < cols; i += blockDim.x) {
            unsigned k = order_key(r[i]);
            if ((k & mask) == threshold) {
                atomicAdd(&histogram[(k >> shift) & 255], 1);
            }
        }
        __syncthreads();
        if (threadIdx.x == 0) {
            int above = 0;
            int b = 255;
            for (; b > 0 && above + histogram[b] < wanted; b--) {
                above += histogram[b];
            }
            wanted_shared = wanted - above;
            threshold_shared = threshold | ((unsigned)b << shift);
            ties_shared = histogram[b];
        }
        __syncthreads();
        threshold = threshold_shared;
        wanted = wanted_shared;
        mask |= 255u << shift;
    }
    // After the last pass the bin is one key: ties_shared keys equal the threshold. Every key above
    // it is in (count - wanted of them), and so are the ties when all `wanted` of them are: in any
    // order for now, the ranks below sort them...
    bool all_ties = ties_shared == wanted;
    if (threadIdx.x == 0) {
        taken = 0;
    }
    __syncthreads();
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        unsigned k = order_key(r[i]);
        if (k > threshold || (all_ties && k == threshold)) {
            int at = atomicAdd(&taken, 1);
            chosen_keys[at] = k;
            chosen_columns[at] = i;
        }
    }
    __syncthreads();
    // ...else, of the keys equal to it, the `wanted` lowest columns, taken in column order.
    int next = count - wanted;
    for (int start = 0; start < cols && wanted > 0 && !all_ties; start += blockDim.x) {
        int i = start + threadIdx.x;
        int tie = i < cols && order_key(r[i]) == threshold;
        int ties;
        int before = block_exclusive_scan(tie, ints, &ties);
        if (tie && before < wanted) {
            chosen_keys[next + before] = threshold;
            chosen_columns[next + before] = i;
        }
        int took = min(ties, wanted);
        next += took;
        wanted -= took;
    }
    __syncthreads();
    // Best first: each candidate's rank is the number that go before it.
    for (int c = threadIdx.x; c < count; c += blockDim.x) {
        unsigned k = chosen_keys[c];
        int column = chosen_columns[c];
        int rank = 0;
        for (int j = 0; j < count; j++) {
            unsigned kj = chosen_keys[j];
            rank += kj > k || (kj == k && chosen_columns[j] < column);
        }
        row_ids[rank] = column;
        row_values[rank] = r[column];
        if (rank == 0) {
            best_column = column;
        }
    }
    __syncthreads();
    double z = row_log_z(r, cols, r[best_column], sums);
    if (threadIdx.x == 0) {
        log_z[blockIdx.x] = z;
    }
}
