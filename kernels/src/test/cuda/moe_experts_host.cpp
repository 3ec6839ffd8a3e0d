// A MoE layer routed on the device (moe_route, then moe_experts.cu's plan, gate/up, down and
// combine) run on the host, threads as fibers (host_threads.h), launched as CudaRoutedExperts
// launches it, so that a test can hold it to the host path where no GPU is.
//
//   g++ -std=c++20 -O2 -ffp-contract=off -shared -fPIC -pthread -I kernels/src/test/cuda/host
//       -I kernels/src/main/cuda -o libmoe_experts_host.so kernels/src/test/cuda/moe_experts_host.cpp
//
// (kernels: dev.switchyard.kernels.cuda.RoutedExpertsOnHostTest builds and binds it.)
#include <vector>
#include "host_threads.h"
#include "cuda_fp16.h"
#include "moe_route.cu"
#include "moe_experts.cu"

typedef void (*GateUp)(const float*, int, const int*, int, int, int, const uint8_t*, const uint8_t*, long long,
                       long long, int, float*);
typedef void (*Down)(const float*, int, const int*, int, int, const uint8_t*, long long, long long, int, float*);
typedef void (*GateUpForm)(const float*, int, const int*, int, int, int, const uint8_t*, const uint8_t*, long long,
                           long long, int, const float*, const float*, int, float, float, const float*, float*);
typedef void (*DownForm)(const float*, int, const int*, int, int, const uint8_t*, long long, long long, int,
                         const float*, float*);

// The entry points of one format: generic, or wide with a tile of 1 or 8 tokens (0 where missing);
// the plain ones and their _form_ twins (biases, clamped SwiGLU).
struct Entries {
    GateUp gateUp;
    Down down;
    GateUpForm gateUpForm;
    DownForm downForm;
};

static void entries(int type, int wideTile, Entries* n) {
    *n = Entries{};
#define SET(name) *n = Entries{moe_gate_up_##name, moe_down_##name, moe_gate_up_form_##name, moe_down_form_##name}
#define PICK(T, name)                                                                          \
    case T:                                                                                    \
        if (wideTile == 0) { SET(name); }                                                      \
        return;
#define PICK_WIDE(T, name)                                                                     \
    case T:                                                                                    \
        if (wideTile == 0) { SET(name); }                                                      \
        else if (wideTile == 1) { SET(wide_t1_##name); }                                       \
        else { SET(wide_t8_##name); }                                                          \
        return;
    switch (type) {
        PICK_WIDE(GGML_F32, f32)
        PICK_WIDE(GGML_BF16, bf16)
        PICK_WIDE(GGML_Q8_0, q8_0)
        PICK_WIDE(GGML_Q4_0, q4_0)
        PICK(GGML_Q4_K, q4_k)
        PICK(GGML_Q6_K, q6_k)
        PICK(GGML_IQ4_XS, iq4_xs)
        PICK(GGML_IQ2_XXS, iq2_xxs)
        PICK(GGML_IQ1_M, iq1_m)
        PICK(GGML_MXFP4, mxfp4)
        default: return;
    }
#undef SET
#undef PICK
#undef PICK_WIDE
}

extern "C" {

// x (T, dim) += the layer's routed experts for h (T, dim) and router logits (T, E); gate and up are
// E matrices (ffn, dim) and down E matrices (dim, ffn), `*MatrixBytes` apart, rows `*RowBytes`.
// `wide` picks the 16-byte-load entry points (a tile of 1 token for single-token steps, else 8),
// as CudaKernels does when the rows and addresses allow. The expert FFN's form: stacked biases
// gate and up (E, ffn), down (E, dim), null where none, and `clamped` for gpt-oss's SwiGLU; the
// _form_ entries where it has either, as CudaKernels picks. The routing rule as moe_route takes it:
// a selection bias (E values, null for none), sigmoid scores, groups, the groups used, the weights'
// scale, and whether the weights multiply the experts' inputs (Llama 4) rather than their outputs.
// A null gate: experts without one (Nemotron-H), the _form_ entry's squared ReLU of up.
// Returns 0, or -1 for a missing entry.
int moe_layer_host(int type, int wide, const float* logits, const float* h, float* x, int tokens, int E, int k,
                   int normalize, const float* bias, int sigmoid, int groups, int groups_used, float scale,
                   int weighs_inputs, const uint8_t* gate, const uint8_t* up, long long gateMatrixBytes,
                   long long gateRowBytes, const uint8_t* down, long long downMatrixBytes, long long downRowBytes,
                   int dim, int ffn, const float* gateBias, const float* upBias, const float* downBias, int clamped,
                   float alpha, float limit, int* chosen) {
    int tile = wide && tokens == 1 ? 1 : TOKEN_TILE;
    Entries n;
    entries(type, wide ? tile : 0, &n);
    if (n.gateUp == nullptr) {
        return -1;
    }
    bool gateUpForm = gateBias != nullptr || clamped || weighs_inputs || gate == nullptr;
    bool downForm = downBias != nullptr;
    int assignments = tokens * k;
    int slots = std::min(E, assignments);
    int tiles = (tokens + tile - 1) / tile;
    std::vector<float> probs((size_t)tokens * E), weights(assignments), act((size_t)assignments * ffn),
        y((size_t)assignments * dim);
    std::vector<int> plan(2 + 2 * slots + assignments);
    host_launch(dim3{(unsigned)((tokens + 127) / 128), 1, 1}, dim3{128, 1, 1},
                [&] {
                    moe_route(logits, bias, tokens, E, k, sigmoid, groups, groups_used, normalize, scale, probs.data(),
                              chosen, weights.data());
                });
    host_launch(dim3{1, 1, 1}, dim3{32, 1, 1}, [&] { moe_plan(chosen, assignments, E, slots, plan.data()); });
    host_launch(dim3{(unsigned)((ffn + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK), (unsigned)(slots * tiles), 1},
                dim3{32, ROWS_PER_BLOCK, 1}, [&] {
                    if (gateUpForm) {
                        n.gateUpForm(h, dim, plan.data(), slots, k, tiles, gate, up, gateMatrixBytes, gateRowBytes,
                                     ffn, gateBias, upBias, clamped, alpha, limit,
                                     weighs_inputs ? weights.data() : nullptr, act.data());
                    } else {
                        n.gateUp(h, dim, plan.data(), slots, k, tiles, gate, up, gateMatrixBytes, gateRowBytes, ffn,
                                 act.data());
                    }
                });
    host_launch(dim3{(unsigned)((dim + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK), (unsigned)(slots * tiles), 1},
                dim3{32, ROWS_PER_BLOCK, 1}, [&] {
                    if (downForm) {
                        n.downForm(act.data(), ffn, plan.data(), slots, tiles, down, downMatrixBytes, downRowBytes,
                                   dim, downBias, y.data());
                    } else {
                        n.down(act.data(), ffn, plan.data(), slots, tiles, down, downMatrixBytes, downRowBytes, dim,
                               y.data());
                    }
                });
    host_launch(dim3{(unsigned)((dim + 255) / 256), (unsigned)tokens, 1}, dim3{256, 1, 1},
                [&] { moe_combine(x, dim, chosen, weighs_inputs ? nullptr : weights.data(), k, E, y.data()); });
    return 0;
}

}
