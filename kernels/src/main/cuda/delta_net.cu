// The recurrent-state ops: the gated delta rule (Qwen3.5's and Qwen3-Next's linear attention,
// Backend.gatedDeltaNet) and Mamba2's selective scan (Granite 4.0-H's recurrent blocks,
// Backend.selectiveScan).
//
// States of one layer (CudaRecurrentStates): per sequence slot, per value head, a dk x dv matrix of
// floats, row-major (row i, a key index, holding its dv values side by side): head h of slot s at
// states + (s * heads + h) * dk * dv. Thread j of a block owns value column j, so a row read or
// written across a warp is one coalesced run. The selective scan keeps its state index as the row
// (dk: stateDim) and its channel as the column (dv: channels).
//
// gated_delta_net: qkv (T, 2 keyHeads dk + heads dv): the queries of the key heads, then their keys
//           (dk each), then the values of every value head (dv each); beta (T, heads); alpha
//           (T, heads), or (T, heads dk) where channelGates (Kimi's delta attention: a gate per key
//           channel, keyHeads == heads); dtBias as wide as an alpha row; decay (heads); out (T, heads dv). Block (h, r) takes value head h of the step's
//           r-th sequence, the one of token firstToken[r] (its first token of the step), and walks
//           that sequence's tokens in batch order on its own state: no two blocks share a state
//           element, and a sequence's tokens follow one another as the rule needs. Per token t:
//             S = 0 where positionOf[t] == 0;
//             q, k of key head kh (h % keyHeads where tiled, else h / (heads / keyHeads)), each
//             x / max(||x||, eps), the squares (exact in double) summed in double by a block
//             reduction, q then times (float)(1 / sqrt(dk)), into shared memory;
//             keep[i] = exp(decay[h] * softplus(alpha[t][h] + dtBias[h])) for every i, or with
//             channelGates exp(decay[h] * softplus(alpha[t][h dk + i] + dtBias[h dk + i])) (the
//             product a float; softplus(x) = x above 20), b = sigmoid(beta[t][h]), softplus'
//             log1p(exp), exp and sigmoid taken in double and rounded to float, as the CPU backend
//             takes them;
//             thread j, over i in order: acc = fmaf(S[i][j] * keep[i], k[i], acc) from 0 (the state
//             read, not stored); d = (v[j] - acc) * b; then over i again: S[i][j] = fmaf(k[i], d,
//             S[i][j] * keep[i]), o = fmaf(S[i][j], q[i], o) from 0; out[t][h dv + j] = o.
//           Every rounding is the CPU backend's (CpuDeltaNet), so the outputs are its own but for the
//           last bits of exp, log1p and sqrt and the order of the double sum of squares, which may
//           round a float differently now and then.
//           Launch: grid (heads, runs), block dv rounded up to a multiple of 32 (threads past dv
//           help normalise and wait at the barriers). Needs dk <= DELTA_MAX_DK and dv <=
//           DELTA_MAX_DV (checked by the caller).
//
// selective_scan: xbc (T, heads dc + 2 groups ds): every head's channels x (dc each), then the
//           groups' inputs B, then their outputs C (ds each); dt (T, heads); dtBias, decay, skip
//           (heads); out (T, heads dc). Head h reads group h / (heads / groups). Block (h, r) walks
//           the tokens of the step's r-th sequence on head h's state, as gated_delta_net does. Per
//           token t, thread j (channel j):
//             d = softplus(dt[t][h] + dtBias[h]), keep = exp(d * decay[h]) (the product a float),
//             softplus' log1p(exp) and exp taken in double and rounded to float;
//             xd = x[j] * d; over i in order: S[i][j] = fmaf(B[i], xd, S[i][j] * keep) (S = 0
//             first where positionOf[t] == 0), acc = fmaf(S[i][j], C[i], acc) from 0;
//             out[t][h dc + j] = acc + x[j] * skip[h].
//           Every rounding is the CPU backend's (CpuSelectiveScan), so the outputs are its own but
//           for the last bits of exp and log1p. A thread touches its own column only and reads B
//           and C straight from xbc (the same address across the block: one broadcast load), so
//           the block needs no barrier: each thread works out d and keep itself, threads past dc
//           leave at once, and a thread may run ahead of its neighbours by any number of tokens.
//           Launch: grid (heads, runs), block dc rounded up to a multiple of 32. Needs dc <=
//           DELTA_MAX_DV (checked by the caller); ds is not bounded here.
#include "common.cuh"

#define DELTA_MAX_DK 256
#define DELTA_MAX_DV 256

__device__ __forceinline__ float delta_softplus(float x) {
    return x > 20.f ? x : (float)log1p(exp((double)x));
}

extern "C" __global__ void __launch_bounds__(DELTA_MAX_DV)
gated_delta_net(float* states, int heads, int dk, int dv, const int* __restrict__ firstToken,
                const int* __restrict__ sequenceOf, const int* __restrict__ positionOf, int tokens,
                const float* __restrict__ qkv, int keyHeads, int tiled, const float* __restrict__ beta,
                const float* __restrict__ alpha, int channelGates, const float* __restrict__ dtBias,
                const float* __restrict__ decay, float eps, float* __restrict__ out) {
    __shared__ float q[DELTA_MAX_DK];
    __shared__ float k[DELTA_MAX_DK];
    __shared__ float keep[DELTA_MAX_DK];   // the current token's decay of each state row
    __shared__ float gate;                 // and its b
    __shared__ double scratch[32];
    int h = blockIdx.x;
    int first = firstToken[blockIdx.y];
    int seq = sequenceOf[first];
    int j = threadIdx.x;
    int kh = tiled ? h % keyHeads : h / (heads / keyHeads);
    size_t width = 2 * (size_t)keyHeads * dk + (size_t)heads * dv;
    float* s = states + ((size_t)seq * heads + h) * dk * dv + j;
    float qScale = (float)(1.0 / sqrt((double)dk));
    for (int t = first; t < tokens; t++) {
        if (sequenceOf[t] != seq) {
            continue;   // the same for the whole block: the barriers below stay matched
        }
        const float* row = qkv + (size_t)t * width;
        const float* qr = row + (size_t)kh * dk;
        const float* kr = row + (size_t)(keyHeads + kh) * dk;
        double qq = 0.0;
        double kk = 0.0;
        for (int i = j; i < dk; i += blockDim.x) {
            qq += (double)qr[i] * qr[i];
            kk += (double)kr[i] * kr[i];
        }
        // the reduction's first barrier also holds every thread here until all have done with the
        // previous token's q, k and gate, which are overwritten below
        qq = block_sum_double(qq, scratch);
        kk = block_sum_double(kk, scratch);
        float qs = 1.f / fmaxf((float)sqrt(qq), eps);
        float ks = 1.f / fmaxf((float)sqrt(kk), eps);
        size_t at = (size_t)t * heads + h;
        for (int i = j; i < dk; i += blockDim.x) {
            q[i] = qr[i] * qs * qScale;
            k[i] = kr[i] * ks;
            float g = channelGates ? decay[h] * delta_softplus(alpha[at * dk + i] + dtBias[(size_t)h * dk + i])
                                   : decay[h] * delta_softplus(alpha[at] + dtBias[h]);
            keep[i] = (float)exp((double)g);
        }
        if (j == 0) {
            gate = (float)(1.0 / (1.0 + exp(-(double)beta[at])));
        }
        __syncthreads();
        if (j < dv) {
            float b = gate;
            // a fresh sequence's state is 0 before the decay, as the CPU zeroes it first
            bool fresh = positionOf[t] == 0;
            // the decayed state is read twice and stored once: the write pass decays it again,
            // rounding the same product as the read pass did
            float acc = 0.f;
            for (int i = 0; i < dk; i++) {
                float r = (fresh ? 0.f : s[(size_t)i * dv]) * keep[i];
                acc = fmaf(r, k[i], acc);
            }
            float d = (row[2 * (size_t)keyHeads * dk + (size_t)h * dv + j] - acc) * b;
            float o = 0.f;
            for (int i = 0; i < dk; i++) {
                float r = fmaf(k[i], d, (fresh ? 0.f : s[(size_t)i * dv]) * keep[i]);
                s[(size_t)i * dv] = r;
                o = fmaf(r, q[i], o);
            }
            out[(size_t)t * heads * dv + (size_t)h * dv + j] = o;
        }
    }
}

extern "C" __global__ void __launch_bounds__(DELTA_MAX_DV)
selective_scan(float* states, int heads, int ds, int dc, const int* __restrict__ firstToken,
               const int* __restrict__ sequenceOf, const int* __restrict__ positionOf, int tokens,
               const float* __restrict__ xbc, int groups, const float* __restrict__ dt,
               const float* __restrict__ dtBias, const float* __restrict__ decay,
               const float* __restrict__ skip, float* __restrict__ out) {
    int h = blockIdx.x;
    int j = threadIdx.x;
    if (j >= dc) {
        return;   // no barrier below to keep these for
    }
    int first = firstToken[blockIdx.y];
    int seq = sequenceOf[first];
    int group = h / (heads / groups);
    size_t width = (size_t)heads * dc + 2 * (size_t)groups * ds;
    float* s = states + ((size_t)seq * heads + h) * ds * dc + j;
    float bias = dtBias[h];
    float a = decay[h];
    float sk = skip[h];
    for (int t = first; t < tokens; t++) {
        if (sequenceOf[t] != seq) {
            continue;
        }
        const float* row = xbc + (size_t)t * width;
        const float* b = row + (size_t)heads * dc + (size_t)group * ds;
        const float* c = b + (size_t)groups * ds;
        float d = delta_softplus(dt[(size_t)t * heads + h] + bias);
        float keep = (float)exp((double)__fmul_rn(d, a));
        float x = row[(size_t)h * dc + j];
        float xd = __fmul_rn(x, d);
        // a fresh sequence's state is 0 before the decay, as the CPU zeroes it first
        bool fresh = positionOf[t] == 0;
        float acc = 0.f;
        for (int i = 0; i < ds; i++) {
            float r = fmaf(b[i], xd, __fmul_rn(fresh ? 0.f : s[(size_t)i * dc], keep));
            s[(size_t)i * dc] = r;
            acc = fmaf(r, c[i], acc);
        }
        // the skip's product rounded on its own, then added: never fused into the sum
        out[(size_t)t * heads * dc + (size_t)h * dc + j] = __fadd_rn(acc, __fmul_rn(x, sk));
    }
}
