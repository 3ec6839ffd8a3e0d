// Elementwise ops over the first T rows of row-major float matrices of `cols` columns, the row
// shuffles of MoE dispatch and combine, and strided column copies.
//
// add_bias:         x (T, cols) += bias (cols) on every row.           grid-stride over T * cols
// add:              y (T, cols) += x (T, cols).                        grid-stride over T * cols
// silu_mul:         gate (T, cols) = silu(gate) * up (T, cols).        grid-stride over T * cols
// sigmoid_mul:      x (T, cols) *= sigmoid(gate) (T, cols) (AFMoE's gated attention output).
//                                                                      grid-stride over T * cols
// mul:              y (T, cols) *= x (T, cols) (LFM2's convolution gates). grid-stride over T * cols
// relu_squared:     x (T, cols) = r * r, r = max(x, 0) (Nemotron-H's squared ReLU); NaN stays NaN
//                   as on the CPU.                                     grid-stride over T * cols
// swiglu_clamped:   gate (T, cols) = g * sigmoid(alpha g) * (u + 1), g = min(gate, limit),
//                   u = clamp(up, -limit, limit) (gpt-oss).            grid-stride over T * cols
// softmax_rows:     each row of x (T, cols) in place; exp and the sum in double as on the CPU.
//                   Launch: grid (T), block 256.
// gather_rows:      dst[i] = src[rows[i]] for i < n: (n, cols).        Launch: grid (n), block 256
// sigmoid_gated_add: dst[t] += w_t * src[t], w_t = sigmoid(gate[t][0]) in double rounded to float
//                   (a shared expert behind its gate), fused as scatter_add_rows fuses.
//                   Launch: grid (ceil(cols / 256), T), block 256.
// scatter_add_rows: dst[rows[i]] += weights[i] * src[i] for i < n, rows may repeat: each thread
//                   owns a column and walks i in order, so the sums are deterministic and fused
//                   as the CPU fuses them. Launch: grid (ceil(cols / 256)), block 256.
// scale_rows:       x[i] *= factors[i] for rows i < n: Llama 4's expert inputs weighed by their
//                   routing weights, its queries by their attention temperature.
//                   Launch: grid (ceil(cols / 256), n), block 256.
// copy_columns:     dst[r][dstCol + g * dstStride + i] = src[r][srcCol + g * srcStride + i] for
//                   r < rows, g < groups, i < width: latent attention's per-head slices. Rows of
//                   srcCols and dstCols floats; src != dst and dst's blocks apart (the caller
//                   checks both, so groups * width <= dstCols fits an int and no two threads
//                   write one value). Thread j of row r copies g = j / width, i = j % width:
//                   neighbouring threads take neighbouring columns except across a block edge.
//                   Launch: grid (ceil(groups * width / 256), rows), block 256.
#include "common.cuh"

extern "C" __global__ void add_bias(float* x, const float* __restrict__ bias, long long n, int cols) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        x[i] += bias[i % cols];
    }
}

extern "C" __global__ void add(float* y, const float* __restrict__ x, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        y[i] += x[i];
    }
}

extern "C" __global__ void silu_mul(float* gate, const float* __restrict__ up, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        float g = gate[i];
        gate[i] = g / (expf(-g) + 1.f) * up[i];
    }
}

extern "C" __global__ void sigmoid_mul(const float* __restrict__ gate, float* x, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        x[i] = x[i] / (expf(-gate[i]) + 1.f);
    }
}

extern "C" __global__ void mul(float* y, const float* __restrict__ x, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        y[i] *= x[i];
    }
}

extern "C" __global__ void relu_squared(float* x, long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        // a compare, not fmaxf, which would turn NaN into 0 where the CPU's Math.max keeps it; -0
        // passes as -0 and squares to +0 all the same
        float r = x[i] < 0.f ? 0.f : x[i];
        x[i] = __fmul_rn(r, r);
    }
}

extern "C" __global__ void swiglu_clamped(float* gate, const float* __restrict__ up, float alpha, float limit,
                                          long long n) {
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        float g = fminf(gate[i], limit);
        float u = fmaxf(-limit, fminf(up[i], limit));
        gate[i] = g / (expf(-alpha * g) + 1.f) * (u + 1.f);
    }
}

extern "C" __global__ void softmax_rows(float* x, int cols) {
    __shared__ float scratch[32];
    __shared__ double dscratch[32];
    float* r = x + (size_t)blockIdx.x * cols;
    float m = -INFINITY;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        m = fmaxf(m, r[i]);
    }
    m = block_max(m, scratch);
    double s = 0.0;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        s += exp((double)r[i] - m);
    }
    s = block_sum_double(s, dscratch);
    float inv = (float)(1.0 / s);
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        r[i] = (float)exp((double)r[i] - m) * inv;
    }
}

extern "C" __global__ void gather_rows(const float* __restrict__ src, const int* __restrict__ rows,
                                       float* __restrict__ dst, int cols) {
    const float* s = src + (size_t)rows[blockIdx.x] * cols;
    float* d = dst + (size_t)blockIdx.x * cols;
    for (int i = threadIdx.x; i < cols; i += blockDim.x) {
        d[i] = s[i];
    }
}

extern "C" __global__ void sigmoid_gated_add(const float* __restrict__ gate, int gateCols,
                                             const float* __restrict__ src, float* dst, int cols) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    int t = blockIdx.y;
    if (c >= cols) {
        return;
    }
    float w = (float)(1.0 / (1.0 + exp(-(double)gate[(size_t)t * gateCols])));
    float* d = dst + (size_t)t * cols + c;
    *d = fmaf(src[(size_t)t * cols + c], w, *d);
}

extern "C" __global__ void scatter_add_rows(const float* __restrict__ src, const int* __restrict__ rows,
                                            const float* __restrict__ weights, float* dst, int n, int cols) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cols) {
        return;
    }
    for (int i = 0; i < n; i++) {
        float* d = dst + (size_t)rows[i] * cols + c;
        *d = fmaf(src[(size_t)i * cols + c], weights[i], *d);
    }
}

extern "C" __global__ void scale_rows(float* x, const float* __restrict__ factors, int cols) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= cols) {
        return;
    }
    x[(size_t)blockIdx.y * cols + c] *= factors[blockIdx.y];
}

extern "C" __global__ void copy_columns(const float* __restrict__ src, int srcCols, int srcCol, int srcStride,
                                        float* __restrict__ dst, int dstCols, int dstCol, int dstStride, int width,
                                        int groups) {
    int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= groups * width) {
        return;
    }
    int g = j / width;
    int i = j - g * width;
    size_t r = blockIdx.y;
    dst[r * dstCols + dstCol + (size_t)g * dstStride + i] = src[r * srcCols + srcCol + (size_t)g * srcStride + i];
}
