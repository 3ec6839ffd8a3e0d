// MoE routing and capacity-aware dispatch: the rules of the engine's DispatchPlan (and of
// RouterSelection and ExpertBuckets before and after it), written once for both sides of the
// native boundary.
//
// Everything here is plain C++ marked MOE_HD, which is `__host__ __device__` under nvcc and plain
// `inline` elsewhere: moe_route.cu compiles it into the fatbin, and the engine's tests compile it with
// g++ into a host library (kernels/src/test/cuda/moe_dispatch_host.cpp) and compare it with the Java
// planner on thousands of groups. The work of a kernel is cut into *phases*; a phase is a function of
// (thread, threads) that touches only its own strided share of the outputs and reads only what earlier
// phases wrote. A kernel runs the phases with a barrier between them; the host library runs each phase
// for every thread number in turn (in descending order, so a phase that read a neighbour's output of the
// same phase would show up as a mismatch). So the code that the tests prove is the code the GPU runs,
// barriers aside.
//
// Numerics, as the Java does them (build flags: nvcc -fmad=false; g++ -ffp-contract=off):
//  - softmax: float max, float (logit - max), exp and the sum in double, (float)(exp / sum). Double exp
//    is the one thing not bit-identical across libraries (Java's Math.exp, glibc's, CUDA's are each
//    within 1 ulp of double); a probability can then differ by at most 1 float ulp, and only when the
//    exact quotient lies within a double ulp of a float rounding boundary.
//  - weights: each token's surviving probabilities summed in double in slot order, each divided by the
//    sum in double and rounded to float: bit for bit the Java result given the same probabilities.
//  - capacity: max(1, ceil(gamma * (double)(T * k) / E)), in double, saturating at INT_MAX.
//
// Order rules (DispatchPlan's javadoc has the full text and a worked example):
//  - top-k: the k highest probabilities, equal ones to the lower expert index; slot j = rank j.
//  - competition for an expert: higher probability first, then earlier position, then lower tie key
//    (then the earlier group index, a case DispatchPlan rejects: two tokens with one position and key).
//  - overflow is rerouted in (position, slot, tie key) order, each to the token's best expert that is
//    neither in its top-k nor already rerouted to, and has load < C; equal probabilities to the lower
//    expert index; none: dropped.
#pragma once

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __CUDACC__
#define MOE_HD __host__ __device__ inline
#else
#define MOE_HD inline
#endif

// OverflowMode, in the order of its constants.
#define MOE_OVERFLOW_NONE 0
#define MOE_OVERFLOW_DROP 1
#define MOE_OVERFLOW_REROUTE 2

// Per group: capacity C, dropped, rerouted, busiest load after dispatch, busiest load of the plain
// top-k (DispatchPlan's lastCapacity, lastDropped, lastRerouted, lastMaxLoad, lastDroplessMaxLoad).
#define MOE_GROUP_STATS 5

// The phases of one group's dispatch and of the expert lists.
#define MOE_DISPATCH_PHASES 7
#define MOE_LIST_PHASES 3

// ---- one token: router softmax and top-k ----------------------------------------------------------

// probs[0..E) = softmax(logits[0..E)) as RouterSelection.softmax computes it. The max keeps the first
// of equal values (Java's Math.max would prefer +0 to -0, which changes no difference's exp) and
// propagates NaN as Math.max does.
MOE_HD void moe_softmax(const float* logits, int E, float* probs) {
    float m = -INFINITY;
    for (int e = 0; e < E; e++) {
        float l = logits[e];
        if (l > m || l != l) {
            m = l;
        }
        if (m != m) {
            break;
        }
    }
    double sum = 0.0;
    for (int e = 0; e < E; e++) {
        sum += exp((double)(logits[e] - m));
    }
    for (int e = 0; e < E; e++) {
        probs[e] = (float)(exp((double)(logits[e] - m)) / sum);
    }
}

// experts[0..k) = the k highest of probs[0..E), largest first, equal ones to the lower index: k
// passes of "strictly greater than the best so far, not yet chosen" (RouterSelection.topK,
// DispatchPlan.selectTopK). -1 where nothing is left above -inf (no such input is valid).
MOE_HD void moe_select_topk(const float* probs, int E, int k, int* experts) {
    for (int j = 0; j < k; j++) {
        int best = -1;
        float best_value = -INFINITY;
        for (int e = 0; e < E; e++) {
            float p = probs[e];
            if (p > best_value) {
                bool chosen = false;
                for (int q = 0; q < j; q++) {
                    chosen = chosen || experts[q] == e;
                }
                if (!chosen) {
                    best = e;
                    best_value = p;
                }
            }
        }
        experts[j] = best;
    }
}

// weights[j] = probs[experts[j]] for the k slots, 0 where experts[j] is -1 (dropped); with `normalize`
// each surviving one divided by their sum, accumulated in double in slot order.
MOE_HD void moe_token_weights(const float* probs, const int* experts, int k, int normalize, float* weights) {
    double sum = 0.0;
    for (int j = 0; j < k; j++) {
        int e = experts[j];
        float w = e >= 0 ? probs[e] : 0.f;
        weights[j] = w;
        if (e >= 0) {
            sum += w;
        }
    }
    if (normalize) {
        for (int j = 0; j < k; j++) {
            if (experts[j] >= 0) {
                weights[j] = (float)((double)weights[j] / sum);
            }
        }
    }
}

// One token's routing: probabilities (E), its plain top-k experts and their weights (k).
MOE_HD void moe_route_token(const float* logits, int E, int k, int normalize, float* probs, int* experts,
                            float* weights) {
    moe_softmax(logits, E, probs);
    moe_select_topk(probs, E, k, experts);
    moe_token_weights(probs, experts, k, normalize, weights);
}

// ---- one token: sigmoid scores, selection bias and expert groups (ExpertSelector) ------------------
//
// DeepSeek-V3's routing and its kin (Kimi-K2, GLM-4.5, MiniMax-M2, Ling 2.0, ERNIE 4.5, ...): scores are
// each expert's sigmoid (or the softmax); the experts are ranked by score plus the layer's selection
// bias, only within the best `groups_used` of `groups` equal groups (a group scored by its two best
// selection values); they are weighted by their unbiased scores, renormalized over the chosen ones
// where the model does (the sum floored at the smallest normal half, as llama.cpp floors it), and
// scaled. Bit for bit ExpertSelector's choices and weights given the same scores.

// The most expert groups a device routing rule takes: the kept groups are one 64-bit mask.
#define MOE_MAX_GROUPS 64
// ExpertSelector.MIN_WEIGHT_SUM: the floor under the sum that renormalizes a ranked token's weights.
#define MOE_MIN_WEIGHT_SUM 6.103515625e-5

// scores[0..E) = 1 / (1 + exp(-logit)), in double, rounded to float (ExpertSelector.scores).
MOE_HD void moe_sigmoid(const float* logits, int E, float* scores) {
    for (int e = 0; e < E; e++) {
        scores[e] = (float)(1.0 / (1.0 + exp((double)(-logits[e]))));
    }
}

// The value that ranks expert e: its score plus its selection bias (a float sum), or the score alone.
MOE_HD float moe_selection(const float* scores, const float* bias, int e) {
    return bias != NULL ? scores[e] + bias[e] : scores[e];
}

// The groups whose experts may be chosen, as bits of a mask (bit g: group g). Each group is scored by
// the sum of its two best selection values; the best `used` groups are kept, equal scores to the lower
// group index. Every group where `used` is `groups` (no limit).
MOE_HD uint64_t moe_kept_groups(const float* scores, const float* bias, int E, int groups, int used) {
    if (used >= groups) {
        return groups >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << groups) - 1);
    }
    int per_group = E / groups;
    float group_scores[MOE_MAX_GROUPS];
    for (int g = 0; g < groups; g++) {
        float first = -INFINITY;
        float second = -INFINITY;
        for (int e = g * per_group; e < (g + 1) * per_group; e++) {
            float v = moe_selection(scores, bias, e);
            if (v > first) {
                second = first;
                first = v;
            } else if (v > second) {
                second = v;
            }
        }
        group_scores[g] = first + second;
    }
    uint64_t kept = 0;
    for (int n = 0; n < used; n++) {
        int best = -1;
        for (int g = 0; g < groups; g++) {
            if (!((kept >> g) & 1) && (best < 0 || group_scores[g] > group_scores[best])) {
                best = g;
            }
        }
        kept |= (uint64_t)1 << best;
    }
    return kept;
}

// experts[0..k) and weights[0..k) of a token ranked by selection value within the kept groups: k passes
// of "not yet chosen, and an allowed expert before one outside the kept groups, then the strictly larger
// selection value", so equal ones go to the lower index. Weights are the chosen experts' scores, summed
// in double in slot order and, with `normalize`, each divided by max(sum, MOE_MIN_WEIGHT_SUM) in double.
MOE_HD void moe_select_ranked(const float* scores, const float* bias, int E, int k, int groups, int used,
                              int normalize, int* experts, float* weights) {
    uint64_t kept = moe_kept_groups(scores, bias, E, groups, used);
    int per_group = E / groups;
    double sum = 0.0;
    for (int j = 0; j < k; j++) {
        int best = -1;
        bool best_allowed = false;
        float best_value = 0.f;
        for (int e = 0; e < E; e++) {
            bool chosen = false;
            for (int q = 0; q < j; q++) {
                chosen = chosen || experts[q] == e;
            }
            if (chosen) {
                continue;
            }
            bool allowed = (kept >> (e / per_group)) & 1;
            float value = moe_selection(scores, bias, e);
            if (best < 0 || (allowed != best_allowed ? allowed : value > best_value)) {
                best = e;
                best_allowed = allowed;
                best_value = value;
            }
        }
        experts[j] = best;
        weights[j] = scores[best];
        sum += scores[best];
    }
    if (normalize) {
        // Math.max: NaN stays NaN
        double divisor = sum != sum || sum > MOE_MIN_WEIGHT_SUM ? sum : MOE_MIN_WEIGHT_SUM;
        for (int j = 0; j < k; j++) {
            weights[j] = (float)((double)weights[j] / divisor);
        }
    }
}

// One token's routing under a model's rule: scores (E) by softmax or, with `sigmoid`, each expert's
// sigmoid; the chosen experts and weights (k), by plain top-k where there is no bias (bias NULL) and no
// group limit (used == groups), else ranked; each weight then times `scale` (a float product, which
// leaves it as it is for 1).
MOE_HD void moe_route_token_rule(const float* logits, const float* bias, int E, int k, int sigmoid, int groups,
                                 int used, int normalize, float scale, float* scores, int* experts,
                                 float* weights) {
    if (sigmoid) {
        moe_sigmoid(logits, E, scores);
    } else {
        moe_softmax(logits, E, scores);
    }
    if (bias == NULL && used >= groups) {
        moe_select_topk(scores, E, k, experts);
        moe_token_weights(scores, experts, k, normalize, weights);
    } else {
        moe_select_ranked(scores, bias, E, k, groups, used, normalize, experts, weights);
    }
    for (int j = 0; j < k; j++) {
        weights[j] *= scale;
    }
}

// ---- one capacity group ---------------------------------------------------------------------------

// DispatchPlan.capacity.
MOE_HD int moe_capacity(double gamma, int tokens, int k, int E) {
    double c = ceil(gamma * (double)((long long)tokens * k) / (double)E);
    if (c >= 2147483647.0) {
        return 2147483647;
    }
    return c < 1.0 ? 1 : (int)c;
}

// One capacity group of a step, as one block (or the host) plans it. Group token i (0..n) is step row
// rows[i]; its assignment of slot j is a = i * k + j. Rows are step rows: probs row r at r * E, top-k
// and outputs of row r at r * k. The workspace is the group's own.
struct MoeGroup {
    const float* probs;      // (T, E) router probabilities
    const int* topk;         // (T, k) plain top-k experts (moe_route's)
    const int* rows;         // n distinct step rows, any order
    const int* positions;    // per step row: position in its own sequence
    const int* tie_keys;     // per step row: the request-scoped key (sequence id) after position
    int n, E, k, mode, capacity, normalize;
    int* assigned;           // (n k) workspace: the expert of each assignment, -1 while overflowing
    int* bucket;             // (n k) workspace: assignments by expert, ascending a within an expert
    int* overflow;           // (n k) workspace: overflowing assignments in reroute order
    int* counts;             // (E) workspace: top-k assignments per expert
    int* loads;              // (E) workspace: assignments per expert as dispatch proceeds
    int* bucket_start;       // (E + 1) workspace: where each expert's bucket starts
    int* out_experts;        // (T, k) per step row: expert of slot j, -1 dropped
    float* out_weights;      // (T, k) per step row: weight of slot j, 0 dropped
    int* stats;              // (MOE_GROUP_STATS)
};

// Group g of a step whose groups list their rows in rows[group_starts[g] .. group_starts[g + 1])
// (CapacityGroups' layout). Workspace ints: 3 k T + (3 E + 1) G for T rows in G groups.
MOE_HD MoeGroup moe_group_at(const float* probs, const int* topk, const int* rows, const int* group_starts,
                             const int* positions, const int* tie_keys, int E, int k, int mode, double gamma,
                             int normalize, int* workspace, int* out_experts, float* out_weights, int* stats,
                             int g) {
    MoeGroup grp;
    int start = group_starts[g];
    int n = group_starts[g + 1] - start;
    int* ws = workspace + (size_t)3 * k * start + (size_t)(3 * E + 1) * g;
    grp.probs = probs;
    grp.topk = topk;
    grp.rows = rows + start;
    grp.positions = positions;
    grp.tie_keys = tie_keys;
    grp.n = n;
    grp.E = E;
    grp.k = k;
    grp.mode = mode;
    grp.capacity = moe_capacity(gamma, n, k, E);
    grp.normalize = normalize;
    grp.assigned = ws;
    grp.bucket = ws + (size_t)n * k;
    grp.overflow = ws + (size_t)2 * n * k;
    grp.counts = ws + (size_t)3 * n * k;
    grp.loads = grp.counts + E;
    grp.bucket_start = grp.loads + E;
    grp.out_experts = out_experts;
    grp.out_weights = out_weights;
    grp.stats = stats + (size_t)MOE_GROUP_STATS * g;
    return grp;
}

MOE_HD int moe_topk_of(const MoeGroup& g, int a) {
    return g.topk[(size_t)g.rows[a / g.k] * g.k + a % g.k];
}

MOE_HD float moe_prob(const MoeGroup& g, int i, int e) {
    return g.probs[(size_t)g.rows[i] * g.E + e];
}

// Group tokens x and y in (position, tie key) order: negative when x comes first, 0 when equal.
MOE_HD int moe_token_order(const MoeGroup& g, int x, int y) {
    int rx = g.rows[x];
    int ry = g.rows[y];
    if (g.positions[rx] != g.positions[ry]) {
        return g.positions[rx] < g.positions[ry] ? -1 : 1;
    }
    if (g.tie_keys[rx] != g.tie_keys[ry]) {
        return g.tie_keys[rx] < g.tie_keys[ry] ? -1 : 1;
    }
    return 0;
}

// Whether assignment x of expert e beats assignment y of the same expert for a place in its capacity.
MOE_HD bool moe_competes_before(const MoeGroup& g, int e, int x, int y) {
    float px = moe_prob(g, x / g.k, e);
    float py = moe_prob(g, y / g.k, e);
    if (px > py) {
        return true;
    }
    if (px < py) {
        return false;
    }
    int c = moe_token_order(g, x / g.k, y / g.k);
    return c != 0 ? c < 0 : x < y;
}

// Whether overflowing assignment x is rerouted before y: position, slot, tie key.
MOE_HD bool moe_overflows_before(const MoeGroup& g, int x, int y) {
    int px = g.positions[g.rows[x / g.k]];
    int py = g.positions[g.rows[y / g.k]];
    if (px != py) {
        return px < py;
    }
    if (x % g.k != y % g.k) {
        return x % g.k < y % g.k;
    }
    int c = moe_token_order(g, x / g.k, y / g.k);
    return c != 0 ? c < 0 : x < y;
}

// Whether token i may not be rerouted to e: e is in its top-k or one of its assignments already.
MOE_HD bool moe_excluded(const MoeGroup& g, int i, int e) {
    for (int j = 0; j < g.k; j++) {
        int a = i * g.k + j;
        if (moe_topk_of(g, a) == e || g.assigned[a] == e) {
            return true;
        }
    }
    return false;
}

// The best expert with room that token i may be rerouted to; -1 if none.
MOE_HD int moe_reroute_target(const MoeGroup& g, int i) {
    int best = -1;
    float best_value = -INFINITY;
    for (int e = 0; e < g.E; e++) {
        float p = moe_prob(g, i, e);
        if (p > best_value && !moe_excluded(g, i, e) && g.loads[e] < g.capacity) {
            best = e;
            best_value = p;
        }
    }
    return best;
}

// Phase `phase` of group g's dispatch, the share of thread `tid` of `threads`.
//   0  per assignment: assigned = top-k; per expert: its top-k count
//   1  one thread: bucket starts (prefix sum of the counts)
//   2  per expert: its bucket (assignments in ascending order) and its starting load, min(count, C)
//   3  per assignment (drop, reroute): its rank among its expert's competitors; beyond C it overflows
//   4  per overflowing assignment (reroute): its place in (position, slot, tie key) order
//   5  one thread: reroute in that order (each move depends on the loads the earlier ones left); stats
//   6  per token: its row's experts and weights
// Costs: phase 3 is O(count_e) per assignment, phase 4 O(n k) per overflowing one, phase 5 O(E k) per
// overflowing one on one thread; groups are a prompt window (64 positions by default) or one token.
MOE_HD void moe_dispatch_phase(const MoeGroup& g, int phase, int tid, int threads) {
    int assignments = g.n * g.k;
    switch (phase) {
        case 0:
            for (int a = tid; a < assignments; a += threads) {
                g.assigned[a] = moe_topk_of(g, a);
            }
            for (int e = tid; e < g.E; e += threads) {
                int c = 0;
                for (int a = 0; a < assignments; a++) {
                    c += moe_topk_of(g, a) == e;
                }
                g.counts[e] = c;
            }
            break;
        case 1:
            if (tid == 0) {
                g.bucket_start[0] = 0;
                for (int e = 0; e < g.E; e++) {
                    g.bucket_start[e + 1] = g.bucket_start[e] + g.counts[e];
                }
            }
            break;
        case 2:
            for (int e = tid; e < g.E; e += threads) {
                int s = g.bucket_start[e];
                for (int a = 0; a < assignments; a++) {
                    if (moe_topk_of(g, a) == e) {
                        g.bucket[s++] = a;
                    }
                }
                int c = g.counts[e];
                g.loads[e] = g.mode != MOE_OVERFLOW_NONE && c > g.capacity ? g.capacity : c;
            }
            break;
        case 3:
            if (g.mode == MOE_OVERFLOW_NONE) {
                break;
            }
            for (int a = tid; a < assignments; a += threads) {
                int e = moe_topk_of(g, a);
                if (e < 0 || g.counts[e] <= g.capacity) { // e < 0: a NaN router row, already dropped
                    continue;
                }
                int rank = 0;
                for (int s = g.bucket_start[e]; s < g.bucket_start[e + 1]; s++) {
                    rank += moe_competes_before(g, e, g.bucket[s], a);
                }
                if (rank >= g.capacity) {
                    g.assigned[a] = -1;
                }
            }
            break;
        case 4:
            if (g.mode != MOE_OVERFLOW_REROUTE) {
                break;
            }
            for (int a = tid; a < assignments; a += threads) {
                if (g.assigned[a] >= 0) {
                    continue;
                }
                int place = 0;
                for (int b = 0; b < assignments; b++) {
                    place += g.assigned[b] < 0 && moe_overflows_before(g, b, a);
                }
                g.overflow[place] = a;
            }
            break;
        case 5:
            if (tid == 0) {
                int overflowing = 0;
                for (int a = 0; a < assignments; a++) {
                    overflowing += g.assigned[a] < 0;
                }
                int rerouted = 0;
                if (g.mode == MOE_OVERFLOW_REROUTE) {
                    for (int o = 0; o < overflowing; o++) {
                        int a = g.overflow[o];
                        int e = moe_reroute_target(g, a / g.k);
                        if (e >= 0) {
                            g.assigned[a] = e;
                            g.loads[e]++;
                            rerouted++;
                        }
                    }
                }
                int max_load = 0;
                int dropless_max = 0;
                for (int e = 0; e < g.E; e++) {
                    max_load = g.loads[e] > max_load ? g.loads[e] : max_load;
                    dropless_max = g.counts[e] > dropless_max ? g.counts[e] : dropless_max;
                }
                g.stats[0] = g.capacity;
                g.stats[1] = overflowing - rerouted;
                g.stats[2] = rerouted;
                g.stats[3] = max_load;
                g.stats[4] = dropless_max;
            }
            break;
        case 6:
            for (int i = tid; i < g.n; i += threads) {
                int r = g.rows[i];
                int* experts = g.out_experts + (size_t)r * g.k;
                for (int j = 0; j < g.k; j++) {
                    experts[j] = g.assigned[i * g.k + j];
                }
                moe_token_weights(g.probs + (size_t)r * g.E, experts, g.k, g.normalize,
                                  g.out_weights + (size_t)r * g.k);
            }
            break;
        default:
            break;
    }
}

// ---- a step's expert lists --------------------------------------------------------------------------

// Per expert, the step's (row, weight) pairs in ascending row order (ExpertBuckets' order), each
// expert's list padded with (-1, 0) to a multiple of `align` so that a grouped kernel can take tiles of
// `align` rows without straddling two experts.
//
//   counts[e]       surviving assignments of expert e
//   offsets[E + 1]  offsets[e + 1] = offsets[e] + roundup(counts[e], align): expert e's list is
//                   list_rows/list_weights[offsets[e] .. offsets[e] + counts[e]), then padding up to
//                   offsets[e + 1]; at most T k + E (align - 1) entries in all
//
// Worked example: DispatchPlan's four tokens (rows 0..3), four experts, top-2, gamma 1, reroute,
// normalized, align 4. Rows' experts: 0 [e0 e1], 1 [e3 e1], 2 [e0 e2], 3 [e3 e2].
//
//   counts      [2, 2, 2, 2]          offsets [0, 4, 8, 12, 16]
//   list_rows   [0 2 - - | 0 1 - - | 2 3 - - | 1 3 - -]                 (- = -1)
//   weights     [.625 .643 0 0 | .375 .636 0 0 | .357 .333 0 0 | .364 .667 0 0]
struct MoeLists {
    const int* experts;      // (T, k) per step row, -1 dropped
    const float* weights;    // (T, k)
    int tokens, k, E, align;
    int* counts;             // (E)
    int* offsets;            // (E + 1)
    int* list_rows;          // (offsets[E])
    float* list_weights;     // (offsets[E])
};

// Phase `phase` of the expert lists:
//   0  per expert: its count;   1  one thread: padded offsets;   2  per expert: its list and padding
MOE_HD void moe_lists_phase(const MoeLists& l, int phase, int tid, int threads) {
    int assignments = l.tokens * l.k;
    switch (phase) {
        case 0:
            for (int e = tid; e < l.E; e += threads) {
                int c = 0;
                for (int a = 0; a < assignments; a++) {
                    c += l.experts[a] == e;
                }
                l.counts[e] = c;
            }
            break;
        case 1:
            if (tid == 0) {
                l.offsets[0] = 0;
                for (int e = 0; e < l.E; e++) {
                    int padded = (l.counts[e] + l.align - 1) / l.align * l.align;
                    l.offsets[e + 1] = l.offsets[e] + padded;
                }
            }
            break;
        case 2:
            for (int e = tid; e < l.E; e += threads) {
                int s = l.offsets[e];
                for (int a = 0; a < assignments; a++) {
                    if (l.experts[a] == e) {
                        l.list_rows[s] = a / l.k;
                        l.list_weights[s] = l.weights[a];
                        s++;
                    }
                }
                for (; s < l.offsets[e + 1]; s++) {
                    l.list_rows[s] = -1;
                    l.list_weights[s] = 0.f;
                }
            }
            break;
        default:
            break;
    }
}
