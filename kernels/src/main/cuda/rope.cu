// Rotary position embedding, in place.
//
// x (T, cols): `heads` heads of `headDim` at the start of each row; the first `dims` values of
// each head rotate, in pairs (i, i + dims/2) when neox, else (2i, 2i + 1), i < dims/2:
//   angle = positions[t] / linearScale * freqs[i],  freqs[i] from the host (RopeSpec.frequencies:
//   base^(-2i / dims), corrected per pair by YaRN where the model uses it)
//   (a, b) <- (a cos - b sin, a sin + b cos), cos and sin times `magnitude` (YaRN's; else 1)
// The angle, its cosine and sine are computed in double and rounded to float, as on the CPU.
// Launch: grid (T), block 128; threads walk the (head, pair) combinations.
#include "common.cuh"

extern "C" __global__ void rope(float* x, const int* __restrict__ positions, const double* __restrict__ freqs,
                                int cols, int heads, int headDim, int half, int neox, double linearScale,
                                double magnitude) {
    int t = blockIdx.x;
    double p = positions[t] / linearScale;
    int stride = neox ? 1 : 2;
    int partner = neox ? half : 1;
    for (int w = threadIdx.x; w < heads * half; w += blockDim.x) {
        int h = w / half;
        int i = w % half;
        double angle = p * freqs[i];
        float c = (float)(cos(angle) * magnitude);
        float s = (float)(sin(angle) * magnitude);
        float* a = x + (size_t)t * cols + (size_t)h * headDim + i * stride;
        float* b = a + partner;
        float x0 = *a;
        float x1 = *b;
        *a = x0 * c - x1 * s;
        *b = x0 * s + x1 * c;
    }
}
