// MoE routing and capacity-aware dispatch for one step: Router -> Dispatch -> (expert lists for the
// grouped FFN). The rules and the work of each phase are in moe_dispatch.cuh, shared with the host
// build the tests compare with the engine's DispatchPlan; this file only launches them.
//
// moe_route:        logits (T, E) -> probs (T, E) scores, topk (T, k) experts, topk_weights (T, k), per
//                   token as the engine's ExpertSelector does: softmax (or, with `sigmoid`, each
//                   expert's sigmoid), then plain top-k renormalized when `normalize`; or, with a
//                   selection bias (E values; NULL for none) or groups_used < groups, the experts ranked
//                   by score plus bias within the best groups; weights times `scale`. One thread per
//                   token, sequential over E so the double sums add in the CPU's order.
//                   Launch: grid (ceil(T / 128)), block 128.
// moe_dispatch:     one capacity group per block: rows[group_starts[g] .. group_starts[g + 1]) of the
//                   step, planned with capacity C = max(1, ceil(gamma * n * k / E)) in `mode`
//                   (MOE_OVERFLOW_*) -> out_experts (T, k), out_weights (T, k) for the group's rows,
//                   stats (G, MOE_GROUP_STATS). workspace: 3 k T + (3 E + 1) G ints.
//                   Launch: grid (G), block 256.
// moe_expert_lists: out_experts/out_weights of all T rows -> counts (E), offsets (E + 1), list_rows and
//                   list_weights (offsets[E]): each expert's (row, weight) pairs in row order, padded
//                   with (-1, 0) to a multiple of `align`. Launch: grid (1), block 256.
#include "moe_dispatch.cuh"

extern "C" __global__ void moe_route(const float* __restrict__ logits, const float* __restrict__ bias, int tokens,
                                     int E, int k, int sigmoid, int groups, int groups_used, int normalize,
                                     float scale, float* __restrict__ probs, int* __restrict__ topk,
                                     float* __restrict__ topk_weights) {
    for (int t = blockIdx.x * blockDim.x + threadIdx.x; t < tokens; t += gridDim.x * blockDim.x) {
        moe_route_token_rule(logits + (size_t)t * E, bias, E, k, sigmoid, groups, groups_used, normalize, scale,
                             probs + (size_t)t * E, topk + (size_t)t * k, topk_weights + (size_t)t * k);
    }
}

extern "C" __global__ void moe_dispatch(const float* __restrict__ probs, const int* __restrict__ topk,
                                        const int* __restrict__ rows, const int* __restrict__ group_starts,
                                        const int* __restrict__ positions, const int* __restrict__ tie_keys,
                                        int E, int k, int mode, double gamma, int normalize, int* workspace,
                                        int* out_experts, float* out_weights, int* stats) {
    MoeGroup g = moe_group_at(probs, topk, rows, group_starts, positions, tie_keys, E, k, mode, gamma, normalize,
                              workspace, out_experts, out_weights, stats, blockIdx.x);
    for (int phase = 0; phase < MOE_DISPATCH_PHASES; phase++) {
        moe_dispatch_phase(g, phase, threadIdx.x, blockDim.x);
        __syncthreads();
    }
}

extern "C" __global__ void moe_expert_lists(const int* __restrict__ experts, const float* __restrict__ weights,
                                            int tokens, int k, int E, int align, int* counts, int* offsets,
                                            int* list_rows, float* list_weights) {
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
        moe_lists_phase(l, phase, threadIdx.x, blockDim.x);
        __syncthreads();
    }
}
