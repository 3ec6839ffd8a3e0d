// The CUDA kernels' value decoders (decode<TYPE> in common.cuh, which every matmul, embedding and
// expert kernel reads weights through) built as a host library, so that a test can hold them to
// the Java codecs bit for bit where no GPU is present.
//
//   g++ -std=c++17 -O2 -ffp-contract=off -shared -fPIC -I kernels/src/test/cuda/host
//       -I kernels/src/main/cuda -o libdecode_host.so kernels/src/test/cuda/decode_host.cpp
//
// (kernels: dev.switchyard.kernels.cuda.CudaDecodersOnHostTest builds and binds it.)
#include <algorithm>
#include "common.cuh"
#include "grid_decode.cuh"

template <int TYPE>
static void decode_row(const uint8_t* row, int n, float* out) {
    for (int k = 0; k < n; k++) {
        out[k] = decode<TYPE>(row, k);
    }
}

extern "C" {

// Values 0 .. n-1 of the row at `row`, of ggml type id `type`; returns 0, or -1 for a type the
// kernels do not decode.
int decode_host(int type, const uint8_t* row, int n, float* out) {
    switch (type) {
        case GGML_F32: decode_row<GGML_F32>(row, n, out); return 0;
        case GGML_F16: decode_row<GGML_F16>(row, n, out); return 0;
        case GGML_BF16: decode_row<GGML_BF16>(row, n, out); return 0;
        case GGML_Q8_0: decode_row<GGML_Q8_0>(row, n, out); return 0;
        case GGML_Q4_0: decode_row<GGML_Q4_0>(row, n, out); return 0;
        case GGML_Q4_1: decode_row<GGML_Q4_1>(row, n, out); return 0;
        case GGML_Q5_0: decode_row<GGML_Q5_0>(row, n, out); return 0;
        case GGML_Q5_1: decode_row<GGML_Q5_1>(row, n, out); return 0;
        case GGML_Q2_K: decode_row<GGML_Q2_K>(row, n, out); return 0;
        case GGML_Q3_K: decode_row<GGML_Q3_K>(row, n, out); return 0;
        case GGML_Q4_K: decode_row<GGML_Q4_K>(row, n, out); return 0;
        case GGML_Q5_K: decode_row<GGML_Q5_K>(row, n, out); return 0;
        case GGML_Q6_K: decode_row<GGML_Q6_K>(row, n, out); return 0;
        case GGML_IQ4_NL: decode_row<GGML_IQ4_NL>(row, n, out); return 0;
        case GGML_IQ4_XS: decode_row<GGML_IQ4_XS>(row, n, out); return 0;
        case GGML_MXFP4: decode_row<GGML_MXFP4>(row, n, out); return 0;
        case GGML_IQ2_XXS: decode_row<GGML_IQ2_XXS>(row, n, out); return 0;
        case GGML_IQ2_XS: decode_row<GGML_IQ2_XS>(row, n, out); return 0;
        case GGML_IQ2_S: decode_row<GGML_IQ2_S>(row, n, out); return 0;
        case GGML_IQ3_XXS: decode_row<GGML_IQ3_XXS>(row, n, out); return 0;
        case GGML_IQ3_S: decode_row<GGML_IQ3_S>(row, n, out); return 0;
        case GGML_IQ1_S: decode_row<GGML_IQ1_S>(row, n, out); return 0;
        case GGML_IQ1_M: decode_row<GGML_IQ1_M>(row, n, out); return 0;
        default: return -1;
    }
}

}
