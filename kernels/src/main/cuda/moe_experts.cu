// A MoE layer's routed experts on the device, after moe_route: Plan -> gate/up -> down -> Combine,
// with no host round trip, for steps of a few tokens (decode). T tokens, top-k of E experts, model
// dimension D, expert FFN width F; A = T k assignments, assignment a = t k + j is token t's slot j
// (moe_route's topk (T, k) experts and weights). The stacked expert weights are matrix e of each
// weight: row r of matrix e at W + e * matrixBytes + r * rowBytes.
//
// moe_plan:    topk (A) -> plan (ints): the step's distinct experts in ascending order, each with its
//              assignments in ascending a (so ascending token), so that each expert's rows are read
//              once per tile of its tokens. Layout, S = min(E, A) slots at most:
//                plan[0]                      n, the number of experts chosen
//                plan[1 .. 1 + S)             slot s < n: its expert
//                plan[1 + S .. 2 + 2 S)       slot s: its first pair; entry n: the number of pairs
//                plan[2 + 2 S .. 2 + 2 S + A) pairs: assignments a, slot after slot
//              Ids outside [0, E) (none from moe_route for finite logits) are left out.
//              Example: T = 2, k = 2, topk = {5, 1, 1, 3}: n = 3, slots {1, 3, 5}, starts {0, 2, 3, 4},
//              pairs {1, 2, 3, 0} (expert 1: a = 1 (token 0), a = 2 (token 1); expert 3: a = 3; ...).
//              Launch: grid (1), block 32: one warp, lane l owns experts [l ceil(E/32), ...); E <= 1024.
//
// moe_gate_up_<type>: h (T, D) -> act (A, F), act rows in pair order: for pair p (assignment
//              a = t k + j, expert e), g = gate_e[r] . h_t (+ gateBias[e F + r]), u = up_e[r] . h_t
//              (+ upBias[e F + r]), act[p][r] = silu(g) * u as elementwise.cu's silu_mul
//              (g / (expf(-g) + 1) * u), or, `clamped` (gpt-oss), as its swiglu_clamped:
//              g' = min(g, limit), u' = clamp(u, -limit, limit), g' / (expf(-alpha g') + 1) * (u' + 1).
//              The biases (E x F, a row per expert) are null where the model has none. Where the
//              routing weights multiply the experts' inputs (Llama 4; `inputWeights`, moe_route's
//              weights (A), not null), g and u are each multiplied by the assignment's weight before
//              the biases: the projections of w h, rounded once more than the host's. One warp per
//              row r of the expert, reading its gate and up rows in one pass against up to TILE of
//              the expert's tokens (gemv.cuh, NR = 2).
// moe_down_<type>: act (A, F) -> y (A, D), y rows by assignment: y[a][r] = down_e[r] . act[p]
//              (+ downBias[e D + r], before moe_combine weighs it, as the host path adds it), one warp
//              per row, likewise. Pair order makes a tile's act rows adjacent (rows p0 .. p0 + TILE),
//              which saves the registers of TILE row addresses.
//              The biased/clamped form is a twin of each entry, moe_gate_up_form_<type> and
//              moe_down_form_<type> (biases and input weights null where absent, the activation
//              chosen by `clamped`),
//              so that the plain entries stay as they were: the same choices made at run time in one
//              kernel cost the plain path registers (nvcc -arch=sm_90 --resource-usage: Q8_0's wide
//              8-token gate/up from 80 to 96, MXFP4's gate/up from 56 to 64).
//              The _form_ twin also takes experts without a gate (Nemotron-H; gate null): act[p][r] =
//              q * q, q = max(u, 0) by a compare, as elementwise.cu's relu_squared, and the up row is
//              read alone.
//              Launch of both (and their twins): block (32, ROWS_PER_BLOCK); grid
//              (ceil(rows / ROWS_PER_BLOCK), S tiles) with tiles = ceil(T / TILE): block y serves slot
//              y / tiles, its pairs (y % tiles) TILE .. + TILE; blocks past the step's n slots or pairs
//              return at once.
//              TILE = TOKEN_TILE, except the moe_*_wide_t1_ entries (TILE = 1) for single-token steps.
//              The _wide_ entries (F32, F16, BF16, Q8_0, Q4_0) need 16-byte rows and aligned weights
//              and activations, as matmul_wide_; the host picks. Example, Mixtral-8x7B decode (T = 1,
//              k = 2, D = 4096, F = 14336): gate/up grid (3584, 2), down grid (1024, 2).
//
// moe_combine: x[t] += w[a] * y[a] for token t's assignments a in ascending expert order, one fused
//              multiply-add each (fmaf(y, w, x)), which is what the host path's scatter_add_rows does
//              expert after expert: the residual gets the same roundings in the same order. Weights
//              null: each w is 1 (they weighed the inputs instead).
//              Launch: grid (ceil(D / 256), T), block 256; k <= 32.
#include "gemv.cuh"

#define ROWS_PER_BLOCK 4
#define MOE_MAX_EXPERTS 1024
#define MOE_MAX_K 32

extern "C" __global__ void moe_plan(const int* __restrict__ topk, int assignments, int E, int slots, int* plan) {
    __shared__ int counts[MOE_MAX_EXPERTS];
    int lane = threadIdx.x;
    for (int e = lane; e < E; e += 32) {
        counts[e] = 0;
    }
    __syncwarp();
    for (int a = lane; a < assignments; a += 32) {
        int e = topk[a];
        if (e >= 0 && e < E) {
            atomicAdd(&counts[e], 1);
        }
    }
    __syncwarp();
    int per = (E + 31) / 32;
    int e0 = min(E, lane * per);
    int e1 = min(E, e0 + per);
    int chosen = 0;
    int pairs = 0;
    for (int e = e0; e < e1; e++) {
        chosen += counts[e] > 0;
        pairs += counts[e];
    }
    // inclusive prefix sums over the lanes, in lane (so expert) order
    int chosenBefore = chosen;
    int pairsBefore = pairs;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
        int c = __shfl_up_sync(0xffffffffu, chosenBefore, o);
        int p = __shfl_up_sync(0xffffffffu, pairsBefore, o);
        if (lane >= o) {
            chosenBefore += c;
            pairsBefore += p;
        }
    }
    int* slotExpert = plan + 1;
    int* slotStart = plan + 1 + slots;
    int* pairList = plan + 2 + 2 * slots;
    if (lane == 31) {
        plan[0] = chosenBefore;
        slotStart[chosenBefore] = pairsBefore;
    }
    int s = chosenBefore - chosen;
    int at = pairsBefore - pairs;
    for (int e = e0; e < e1; e++) {
        if (counts[e] == 0) {
            continue;
        }
        slotExpert[s] = e;
        slotStart[s] = at;
        s++;
        for (int a = 0; a < assignments; a++) {
            if (topk[a] == e) {
                pairList[at++] = a;
            }
        }
    }
}

// This block's expert e, the tile's first pair p0 and its assignments pair[j] for j < tiles (false:
// nothing to do).
template <int TILE>
__device__ __forceinline__ bool moe_tile(const int* __restrict__ plan, int slots, int tileCount, int& e, int& p0,
                                         int (&pair)[TILE], int& tiles) {
    int s = blockIdx.y / tileCount;
    if (s >= plan[0]) {
        return false;
    }
    const int* slotStart = plan + 1 + slots;
    const int* pairList = plan + 2 + 2 * slots;
    p0 = slotStart[s] + (blockIdx.y % tileCount) * TILE;
    int p1 = slotStart[s + 1];
    if (p0 >= p1) {
        return false;
    }
    e = plan[1 + s];
    tiles = min(TILE, p1 - p0);
#pragma unroll
    for (int j = 0; j < TILE; j++) {
        pair[j] = j < tiles ? pairList[p0 + j] : pairList[p0];
    }
    return true;
}

// acc += NR weight rows . up to TILE activation rows, by the 16-byte-load dot (WIDE) or the generic one.
template <int TYPE, bool WIDE, int NR, int TILE>
__device__ __forceinline__ void moe_dot(const uint8_t* const (&rows)[NR], int cols, const float* __restrict__ x,
                                        const int (&xrow)[TILE], int tiles, float (&acc)[NR][TILE], uint4* stage) {
    if constexpr (WIDE) {
        dot_wide<TYPE, NR, TILE>(rows, cols, x, cols, xrow, tiles, acc, stage);
    } else {
        dot_generic<TYPE, NR, TILE>(rows, cols, x, cols, xrow, tiles, acc);
    }
}

template <int TYPE, bool WIDE, int TILE, bool FORM>
__device__ void moe_gate_up(const float* __restrict__ h, int dim, const int* __restrict__ plan, int slots, int k,
                            int tileCount, const uint8_t* __restrict__ gate, const uint8_t* __restrict__ up,
                            long long matrixBytes, long long rowBytes, int ffn, const float* __restrict__ gateBias,
                            const float* __restrict__ upBias, int clamped, float alpha, float limit,
                            const float* __restrict__ inputWeights, float* __restrict__ act) {
    __shared__ uint4 stage[ROWS_PER_BLOCK][2 * WideStage<TYPE>::CHUNKS];
    int e;
    int p0;
    int pair[TILE];
    int tiles;
    int r = blockIdx.x * ROWS_PER_BLOCK + threadIdx.y;
    if (r >= ffn || !moe_tile(plan, slots, tileCount, e, p0, pair, tiles)) {
        return;
    }
    int xrow[TILE];
#pragma unroll
    for (int j = 0; j < TILE; j++) {
        xrow[j] = pair[j] / k;
    }
    size_t offset = (size_t)e * matrixBytes + (size_t)r * rowBytes;
    float acc[2][TILE] = {};
    bool gated = true;
    if constexpr (FORM) {
        gated = gate != nullptr;
    }
    if (gated) {
        const uint8_t* rows[2] = {gate + offset, up + offset};
        moe_dot<TYPE, WIDE, 2, TILE>(rows, dim, h, xrow, tiles, acc, stage[threadIdx.y]);
    } else if constexpr (FORM) {
        // Nemotron-H: no gate, the up row alone
        const uint8_t* rows[1] = {up + offset};
        float upAcc[1][TILE] = {};
        moe_dot<TYPE, WIDE, 1, TILE>(rows, dim, h, xrow, tiles, upAcc, stage[threadIdx.y]);
#pragma unroll
        for (int j = 0; j < TILE; j++) {
            acc[1][j] = upAcc[0][j];
        }
    }
#pragma unroll
    for (int j = 0; j < TILE; j++) {
        if (j < tiles) {
            float g = gated ? warp_sum(acc[0][j]) : 0.f;
            float u = warp_sum(acc[1][j]);
            if (threadIdx.x == j) {
                float a;
                if constexpr (FORM) {
                    if (inputWeights != nullptr) {
                        // Llama 4: the routing weight multiplies the expert's input, so both projections
                        float w = inputWeights[pair[j]];
                        g *= w;
                        u *= w;
                    }
                    if (gateBias != nullptr) {
                        g += gateBias[(size_t)e * ffn + r];
                        u += upBias[(size_t)e * ffn + r];
                    }
                    if (!gated) {
                        // squared ReLU by a compare, as elementwise.cu's relu_squared: NaN stays NaN
                        float q = u < 0.f ? 0.f : u;
                        a = q * q;
                    } else if (clamped) {
                        g = fminf(g, limit);
                        u = fmaxf(-limit, fminf(u, limit));
                        a = g / (expf(-alpha * g) + 1.f) * (u + 1.f);
                    } else {
                        a = g / (expf(-g) + 1.f) * u;
                    }
                } else {
                    a = g / (expf(-g) + 1.f) * u;
                }
                act[(size_t)(p0 + j) * ffn + r] = a;
            }
        }
    }
}

template <int TYPE, bool WIDE, int TILE, bool FORM>
__device__ void moe_down(const float* __restrict__ act, int ffn, const int* __restrict__ plan, int slots,
                         int tileCount, const uint8_t* __restrict__ down, long long matrixBytes, long long rowBytes,
                         int dim, const float* __restrict__ downBias, float* __restrict__ y) {
    __shared__ uint4 stage[ROWS_PER_BLOCK][WideStage<TYPE>::CHUNKS];
    int e;
    int p0;
    int pair[TILE];
    int tiles;
    int r = blockIdx.x * ROWS_PER_BLOCK + threadIdx.y;
    if (r >= dim || !moe_tile(plan, slots, tileCount, e, p0, pair, tiles)) {
        return;
    }
    int xrow[TILE];
#pragma unroll
    for (int j = 0; j < TILE; j++) {
        xrow[j] = p0 + j;
    }
    const uint8_t* rows[1] = {down + (size_t)e * matrixBytes + (size_t)r * rowBytes};
    float acc[1][TILE] = {};
    moe_dot<TYPE, WIDE, 1, TILE>(rows, ffn, act, xrow, tiles, acc, stage[threadIdx.y]);
#pragma unroll
    for (int j = 0; j < TILE; j++) {
        if (j < tiles) {
            float s = warp_sum(acc[0][j]);
            if (threadIdx.x == j) {
                if constexpr (FORM) {
                    if (downBias != nullptr) {
                        s += downBias[(size_t)e * dim + r];
                    }
                }
                y[(size_t)pair[j] * dim + r] = s;
            }
        }
    }
}

extern "C" __global__ void moe_combine(float* x, int dim, const int* __restrict__ topk,
                                       const float* __restrict__ weights, int k, int E,
                                       const float* __restrict__ y) {
    __shared__ int ids[MOE_MAX_K];
    __shared__ int order[MOE_MAX_K];
    __shared__ float orderWeights[MOE_MAX_K];
    __shared__ int n;
    int t = blockIdx.y;
    if (threadIdx.x < k) {
        ids[threadIdx.x] = topk[(size_t)t * k + threadIdx.x];
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        // the token's slots by ascending expert (ids are distinct); ids outside [0, E) are left out
        int count = 0;
        int previous = -1;
        for (int i = 0; i < k; i++) {
            int best = -1;
            int bestExpert = E;
            for (int j = 0; j < k; j++) {
                int e = ids[j];
                if (e > previous && e < bestExpert) {
                    best = j;
                    bestExpert = e;
                }
            }
            if (best < 0) {
                break;
            }
            order[count] = t * k + best;
            orderWeights[count] = weights != nullptr ? weights[(size_t)t * k + best] : 1.f;
            count++;
            previous = bestExpert;
        }
        n = count;
    }
    __syncthreads();
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= dim) {
        return;
    }
    float* xc = x + (size_t)t * dim + c;
    float acc = *xc;
    for (int i = 0; i < n; i++) {
        acc = fmaf(y[(size_t)order[i] * dim + c], orderWeights[i], acc);
    }
    *xc = acc;
}

#define MOE_ENTRY(name, TYPE, WIDE, TILE)                                                                     \
    extern "C" __global__ void moe_gate_up_##name(const float* h, int dim, const int* plan, int slots, int k,  \
                                                  int tileCount, const uint8_t* gate, const uint8_t* up,       \
                                                  long long matrixBytes, long long rowBytes, int ffn,          \
                                                  float* act) {                                                \
        moe_gate_up<TYPE, WIDE, TILE, false>(h, dim, plan, slots, k, tileCount, gate, up, matrixBytes,         \
                                             rowBytes, ffn, nullptr, nullptr, 0, 0.f, 0.f, nullptr, act);      \
    }                                                                                                          \
    extern "C" __global__ void moe_down_##name(const float* act, int ffn, const int* plan, int slots,          \
                                               int tileCount, const uint8_t* down, long long matrixBytes,      \
                                               long long rowBytes, int dim, float* y) {                        \
        moe_down<TYPE, WIDE, TILE, false>(act, ffn, plan, slots, tileCount, down, matrixBytes, rowBytes, dim,  \
                                          nullptr, y);                                                         \
    }                                                                                                          \
    extern "C" __global__ void moe_gate_up_form_##name(                                                        \
        const float* h, int dim, const int* plan, int slots, int k, int tileCount, const uint8_t* gate,        \
        const uint8_t* up, long long matrixBytes, long long rowBytes, int ffn, const float* gateBias,          \
        const float* upBias, int clamped, float alpha, float limit, const float* inputWeights, float* act) {   \
        moe_gate_up<TYPE, WIDE, TILE, true>(h, dim, plan, slots, k, tileCount, gate, up, matrixBytes,          \
                                            rowBytes, ffn, gateBias, upBias, clamped, alpha, limit,            \
                                            inputWeights, act);                                                \
    }                                                                                                          \
    extern "C" __global__ void moe_down_form_##name(const float* act, int ffn, const int* plan, int slots,     \
                                                    int tileCount, const uint8_t* down, long long matrixBytes, \
                                                    long long rowBytes, int dim, const float* downBias,        \
                                                    float* y) {                                                \
        moe_down<TYPE, WIDE, TILE, true>(act, ffn, plan, slots, tileCount, down, matrixBytes, rowBytes, dim,   \
                                         downBias, y);                                                         \
    }

MOE_ENTRY(f32, GGML_F32, false, TOKEN_TILE)
MOE_ENTRY(f16, GGML_F16, false, TOKEN_TILE)
MOE_ENTRY(bf16, GGML_BF16, false, TOKEN_TILE)
MOE_ENTRY(q8_0, GGML_Q8_0, false, TOKEN_TILE)
MOE_ENTRY(q4_0, GGML_Q4_0, false, TOKEN_TILE)
MOE_ENTRY(q4_1, GGML_Q4_1, false, TOKEN_TILE)
MOE_ENTRY(q5_0, GGML_Q5_0, false, TOKEN_TILE)
MOE_ENTRY(q5_1, GGML_Q5_1, false, TOKEN_TILE)
MOE_ENTRY(q2_k, GGML_Q2_K, false, TOKEN_TILE)
MOE_ENTRY(q3_k, GGML_Q3_K, false, TOKEN_TILE)
MOE_ENTRY(q4_k, GGML_Q4_K, false, TOKEN_TILE)
MOE_ENTRY(q5_k, GGML_Q5_K, false, TOKEN_TILE)
MOE_ENTRY(q6_k, GGML_Q6_K, false, TOKEN_TILE)
MOE_ENTRY(iq4_nl, GGML_IQ4_NL, false, TOKEN_TILE)
MOE_ENTRY(iq4_xs, GGML_IQ4_XS, false, TOKEN_TILE)
MOE_ENTRY(mxfp4, GGML_MXFP4, false, TOKEN_TILE)
MOE_ENTRY(iq2_xxs, GGML_IQ2_XXS, false, TOKEN_TILE)
MOE_ENTRY(iq2_xs, GGML_IQ2_XS, false, TOKEN_TILE)
MOE_ENTRY(iq2_s, GGML_IQ2_S, false, TOKEN_TILE)
MOE_ENTRY(iq3_xxs, GGML_IQ3_XXS, false, TOKEN_TILE)
MOE_ENTRY(iq3_s, GGML_IQ3_S, false, TOKEN_TILE)
MOE_ENTRY(iq1_s, GGML_IQ1_S, false, TOKEN_TILE)
MOE_ENTRY(iq1_m, GGML_IQ1_M, false, TOKEN_TILE)

MOE_ENTRY(wide_t1_f32, GGML_F32, true, 1)
MOE_ENTRY(wide_t1_f16, GGML_F16, true, 1)
MOE_ENTRY(wide_t1_bf16, GGML_BF16, true, 1)
MOE_ENTRY(wide_t1_q8_0, GGML_Q8_0, true, 1)
MOE_ENTRY(wide_t1_q4_0, GGML_Q4_0, true, 1)
MOE_ENTRY(wide_t8_f32, GGML_F32, true, TOKEN_TILE)
MOE_ENTRY(wide_t8_f16, GGML_F16, true, TOKEN_TILE)
MOE_ENTRY(wide_t8_bf16, GGML_BF16, true, TOKEN_TILE)
MOE_ENTRY(wide_t8_q8_0, GGML_Q8_0, true, TOKEN_TILE)
MOE_ENTRY(wide_t8_q4_0, GGML_Q4_0, true, TOKEN_TILE)
