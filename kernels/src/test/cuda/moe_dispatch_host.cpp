// The routing and dispatch of moe_dispatch.cuh built as a host library, so that the engine's tests can
// compare it with DispatchPlan through FFM where no GPU is present. Each entry point runs what the
// matching kernel of moe_route.cu runs, with the blocks and threads played in turn: every phase for
// thread threads-1 down to 0, then the next phase (the kernels' barriers).
//
//   g++ -std=c++17 -O2 -ffp-contract=off -shared -fPIC -I kernels/src/main/cuda
//       -o libmoe_dispatch_host.so kernels/src/test/cuda/moe_dispatch_host.cpp
//
// (engine: dev.switchyard.engine.forward.MoeDispatchHostLibrary builds and binds it.)
#include "moe_dispatch.cuh"

extern "C" {

// moe_route: per token, probs (E), top-k experts and weights (k).
void moe_host_route(const float* logits, int tokens, int E, int k, int normalize, float* probs, int* topk,
                    float* topk_weights) {
    for (int t = 0; t < tokens; t++) {
        moe_route_token(logits + (size_t)t * E, E, k, normalize, probs + (size_t)t * E, topk + (size_t)t * k,
                        topk_weights + (size_t)t * k);
    }
}

// moe_route under a model's routing rule: per token, scores (E), its k experts and weights (k).
void moe_host_route_rule(const float* logits, const float* bias, int tokens, int E, int k, int sigmoid, int groups,
                         int groups_used, int normalize, float scale, float* scores, int* topk,
                         float* topk_weights) {
    for (int t = 0; t < tokens; t++) {
        moe_route_token_rule(logits + (size_t)t * E, bias, E, k, sigmoid, groups, groups_used, normalize, scale,
                             scores + (size_t)t * E, topk + (size_t)t * k, topk_weights + (size_t)t * k);
    }
}

// moe_route's second half alone, from given probabilities: top-k experts and weights.
void moe_host_topk(const float* probs, int tokens, int E, int k, int normalize, int* topk, float* topk_weights) {
    for (int t = 0; t < tokens; t++) {
        moe_select_topk(probs + (size_t)t * E, E, k, topk + (size_t)t * k);
        moe_token_weights(probs + (size_t)t * E, topk + (size_t)t * k, k, normalize, topk_weights + (size_t)t * k);
    }
}

// moe_dispatch over `groups` groups (blocks) of `threads` threads.
void moe_host_dispatch(const float* probs, const int* topk, const int* rows, const int* group_starts, int groups,
                       const int* positions, const int* tie_keys, int E, int k, int mode, double gamma,
                       int normalize, int threads, int* workspace, int* out_experts, float* out_weights,
                       int* stats) {
    for (int b = 0; b < groups; b++) {
        MoeGroup g = moe_group_at(probs, topk, rows, group_starts, positions, tie_keys, E, k, mode, gamma,
                                  normalize, workspace, out_experts, out_weights, stats, b);
        for (int phase = 0; phase < MOE_DISPATCH_PHASES; phase++) {
            for (int tid = threads - 1; tid >= 0; tid--) {
                moe_dispatch_phase(g, phase, tid, threads);
            }
        }
    }
}

// moe_expert_lists with `threads` threads.
void moe_host_expert_lists(const int* experts, const float* weights, int tokens, int k, int E, int align,
                           int threads, int* counts, int* offsets, int* list_rows, float* list_weights) {
    MoeLists l;
    l.experts = experts;
    l.weights = weights;
    l.tokens = tokens;
    l.k = k;
    l.E = E;
    l.align = align;
    l.counts = counts;
    l.offsets = offsets;
    l.list_rows = list_rows;
    l.list_weights = list_weights;
    for (int phase = 0; phase < MOE_LIST_PHASES; phase++) {
        for (int tid = threads - 1; tid >= 0; tid--) {
            moe_lists_phase(l, phase, tid, threads);
        }
    }
}

}  // extern "C"
