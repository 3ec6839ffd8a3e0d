package dev.switchyard.kernels.cpu;

import static dev.switchyard.kernels.cpu.Vec.F;
import static dev.switchyard.kernels.cpu.Vec.L;

import dev.switchyard.kernels.AttentionBatch;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.ExpertSlots;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.KvCacheType;
import dev.switchyard.kernels.KvQ8;
import dev.switchyard.kernels.KvStorage;
import dev.switchyard.kernels.OpChecks;
import dev.switchyard.kernels.RecurrentStates;
import dev.switchyard.kernels.RopeSpec;
import dev.switchyard.kernels.StateShape;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;

/**
 * The CPU backend: heap activations, weights used in place (memory-mapped), Vector API kernels, and
 * a fixed team of {@code threads} threads (the caller plus {@code threads - 1} workers).
 *
 * <h2>Matmul</h2>
 * Output rows are split into a few long runs per thread (8): long sequential streams let the
 * hardware prefetchers keep up, where short interleaved chunks cost a third of the bandwidth.
 * <ul>
 *   <li>Few tokens (below {@link #panelMinTokens}): dot products straight from the stored
 *       encoding, weights widened to floats in registers (activations are not quantized), four
 *       rows at a time: four independent FMA chains for one token (one chain alone waits on FMA
 *       latency), and with four or more tokens each block decoded once for four tokens. Q8_0 on
 *       one core, weights in cache: 16 GMAC/s for one token (13.7 one row at a time), 33 for four
 *       tokens (23 one row at a time).</li>
 *   <li>More tokens: each run is walked in blocks of 16 rows, decoded to floats once, straight
 *       into per-thread panels of four rows interleaved chunk by chunk; every token is then
 *       served from there by a 4-row x 4-token register-blocked kernel (the tokens packed the
 *       same way, once per call), so weights are read from memory once per step whatever the
 *       batch.</li>
 * </ul>
 * Both paths use the canonical summation order of {@link Vec}: a token's output is bitwise the
 * same alone or in any batch, and for any thread count.
 *
 * <h2>Rules for callers</h2>
 * <ul>
 *   <li>One op at a time: ops must not be called concurrently (from several threads) on one
 *       backend; each op returns when its result is complete.</li>
 *   <li>Matrices are {@link CpuMatrix}; rows are contiguous, so matmul needs
 *       {@code x.cols() == w.cols()} and {@code out.cols() == w.rows()}, and {@code out} must not
 *       be {@code x}. Elementwise ops need matching column counts; rmsNorm may write in place.</li>
 *   <li>Weights are read, never written or copied; their segment must stay valid while in use.</li>
 * </ul>
 */
public final class CpuBackend implements Backend {

    /** Below this many elements an elementwise op runs on the calling thread alone. */
    private static final int PARALLEL_ELEMENTS = 1 << 15;
    /** Rows decoded at a time by the multi-token matmul (bounds the per-thread scratch). */
    private static final int BLOCK_ROWS = 16;
    /** Matmul chunks per thread: long contiguous row ranges stream best, a few allow balancing. */
    private static final int CHUNKS_PER_THREAD = 8;

    private final WorkerPool pool;
    private final Scratch[] scratch;
    private final MatmulJob matmulJob = new MatmulJob();
    private final HeadsJob headsJob = new HeadsJob();
    private final AttentionJob attentionJob = new AttentionJob();
    private final RmsNormJob rmsNormJob = new RmsNormJob();
    private final RmsNormHeadsJob rmsNormHeadsJob = new RmsNormHeadsJob();
    private final RopeJob ropeJob = new RopeJob();
    private final SiluMulJob siluMulJob = new SiluMulJob();
    private final SigmoidMulJob sigmoidMulJob = new SigmoidMulJob();
    private final SwigluClampedJob swigluClampedJob = new SwigluClampedJob();
    private final AddJob addJob = new AddJob();
    private final MulJob mulJob = new MulJob();
    private final ReluSquaredJob reluSquaredJob = new ReluSquaredJob();
    private final ShortConvJob shortConvJob = new ShortConvJob();
    private final CpuDeltaNet deltaNet;
    private final CpuSelectiveScan selectiveScan;
    private double[] ropeFreqs = new double[0];
    private RopeSpec ropeFreqSpec;
    private volatile boolean closed;

    public CpuBackend(int threads) {
        // before any of this backend's loops is compiled: keep the kernels out of line in them
        KernelInlining.ensure();
        this.pool = new WorkerPool(threads, "switchyard-cpu");
        this.scratch = new Scratch[threads];
        this.deltaNet = new CpuDeltaNet(pool);
        this.selectiveScan = new CpuSelectiveScan(pool);
        for (int i = 0; i < threads; i++) {
            scratch[i] = new Scratch();
        }
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int threads() {
        return pool.threads();
    }

    @Override
    public String toString() {
        return "cpu(" + threads() + " threads, " + Vec.describe() + ")";
    }

    @Override
    public Weight weight(GgmlType type, MemorySegment data, long[] dims) {
        return new CpuWeight(type, Objects.requireNonNull(data, "data"), dims);
    }

    /** Off-heap arena slots; nothing to pin, since the "device" reads host memory. */
    @Override
    public ExpertSlots expertSlots(int count, long slotBytes, List<MemorySegment> hostRegions) {
        return new CpuExpertSlots(count, slotBytes);
    }

    @Override
    public FloatMatrix allocate(int rows, int cols) {
        return new CpuMatrix(rows, cols);
    }

    @Override
    public KvStorage allocateKv(int layers, int blocks, int blockSize, int kvHeads, int keyDim, int valueDim,
                                KvCacheType type) {
        return new CpuKvStorage(layers, blocks, blockSize, kvHeads, keyDim, valueDim, type);
    }

    // ---- matmul ------------------------------------------------------------------------------

    @Override
    public void matmul(Weight w, int matrix, FloatMatrix x, FloatMatrix out, int tokens) {
        CpuWeight cw = weight(w);
        CpuMatrix cx = matrix(x);
        CpuMatrix co = matrix(out);
        OpChecks.matmul(cw, matrix, cx, co, tokens);
        if (tokens == 0) {
            return;
        }
        MatmulJob job = matmulJob;
        job.w = cw;
        job.base = cw.rowOffset(matrix, 0);
        job.x = cx.data();
        job.out = co.data();
        job.tokens = tokens;
        job.rows = cw.rows();
        job.cols = cw.cols();
        // A few long runs of rows per thread (the hardware prefetchers follow long streams best;
        // short interleaved chunks cost a third of the bandwidth), each a multiple of 4 rows.
        int perChunk = ceilDiv(ceilDiv(job.rows, CHUNKS_PER_THREAD * threads()), 4) * 4;
        job.rowsPerChunk = perChunk;
        job.panelMinTokens = panelMinTokens(cw.type());
        if (tokens >= job.panelMinTokens) {
            int nc = job.cols / Vec.L;
            int groups = tokens / 4;
            float[] packed = scratch[0].packedX(groups * 4 * nc * Vec.L);
            for (int g = 0; g < groups; g++) {
                FloatDot.pack4(job.x, 4 * g * job.cols, job.cols, 4, nc, packed, g * 4 * nc * Vec.L);
            }
            job.xPacked = packed;
        }
        try {
            pool.run(job, ceilDiv(job.rows, perChunk));
        } finally {
            job.w = null;
            job.x = null;
            job.xPacked = null;
            job.out = null;
        }
    }

    /**
     * Token count from which matmul decodes weight rows into float panels shared by all tokens;
     * below it, dots straight from the stored encoding (four rows by four tokens per pass where the
     * format has {@code dot4x4}) are cheaper. Q8_0 measured by calling matmul in a loop on one
     * cache-resident 512x1024 weight, 1 thread, best of 450 calls, us per token: panels 15.6-16.7,
     * 14.2-14.8, 13.9-14.3, 13.0 at T = 8, 12, 16, 24 against 15.9 for dot4x4 at any multiple of
     * four. F32 (2 threads, 2816x1024): panels 291 and 293 us per call at T = 2 and 4 against dots
     * 230 and 449. Plain floats need no decoding, so panels pay off sooner.
     */
    static int panelMinTokens(GgmlType type) {
        return switch (type) {
            case F32 -> 4;
            case Q8_0 -> 12; // dot4x4 decodes each block once for four tokens
            default -> 12;
        };
    }

    private final class MatmulJob implements WorkerPool.Job {
        CpuWeight w;
        long base;
        float[] x;
        /** Whole groups of four tokens of x, packed ({@link FloatDot#pack4}) by the caller. */
        float[] xPacked;
        float[] out;
        int tokens;
        int rows;
        int cols;
        int rowsPerChunk;
        int panelMinTokens;

        @Override
        public void run(int worker, int chunk) {
            int r0 = chunk * rowsPerChunk;
            int r1 = Math.min(rows, r0 + rowsPerChunk);
            if (tokens < panelMinTokens) {
                fewTokens(worker, r0, r1);
                return;
            }
            for (int b = r0; b < r1; b += BLOCK_ROWS) {
                block(worker, b, Math.min(r1, b + BLOCK_ROWS));
            }
        }

        /**
         * Rows r0..r1 for few tokens (decode, and MoE experts, which see a handful of tokens each):
         * dots straight from the stored encoding, each row read from memory once and reused from
         * L1 for the other tokens, four rows at a time (independent FMA chains, each block decoded
         * once for up to four tokens, each activation chunk loaded once for four rows). Every dot
         * sums in the same order as the panel path, so which path runs never changes a bit.
         *
         * <p>Where the format asks for it ({@link DotKernel#spreadsRowsOfAPass}), the four rows of a
         * pass are a quarter of the run apart, not adjacent: each of the four streams then walks on
         * through consecutive rows for the whole run, where four adjacent rows of a short matrix (a
         * 1024-column Q8_0 row is 17 cache lines) end before the hardware prefetcher has picked
         * them up. Q8_0, 2816x1024, 2 threads, weights far beyond the caches (MatmulBenchmark):
         * 147, 228 and 428 us per call at T = 2, 4 and 8 against 288, 365 and 548 for adjacent
         * rows; the bench preset decodes 160 against 112 tok/s at batch 4 and 227 against 179 at
         * batch 16. Formats whose decoding costs more are compute-bound here, and BF16 and Q6_K
         * measured slower spread (T = 4: 471-626 against 634-794 us, 1505-1540 against
         * 1822-2180), so they keep adjacent rows.
         */
        private void fewTokens(int worker, int r0, int r1) {
            DotKernel kernel = w.kernel();
            MemorySegment seg = w.data();
            long rowBytes = w.rowBytes();
            Scratch s = scratch[worker];
            float[] tile = s.tile;
            float[] quad = s.quad;
            int m = rows;
            // A single token reads each row once either way; there, four rows at a time measured
            // slower end to end (70 against 112 decode tok/s on the bench preset, 2 threads, with
            // adjacent rows; no better spread a quarter apart), one stream per thread keeps the
            // prefetcher busiest.
            int passes = tokens >= 2 ? (r1 - r0) / 4 : 0;
            boolean spread = kernel.spreadsRowsOfAPass();
            int gap = spread ? passes : 1; // a pass's rows: r, r + gap, r + 2 gap, r + 3 gap
            int step = spread ? 1 : 4; // from one pass's first row to the next one's
            long stride = gap * rowBytes;
            boolean three = kernel.decodesThreeTokensAtOnce();
            for (int j = 0; j < passes; j++) {
                int r = r0 + j * step;
                long off = base + r * rowBytes;
                int t = 0;
                while (t < tokens) {
                    // each pass decodes the four rows' blocks once for its tokens. Q8_0, 2816x1024,
                    // one thread, cache-resident (MatmulBenchmark): 261, 310 and 390 us per call
                    // for passes of 2, 3 and 4 tokens, so five and six tokens go as 3+2 and 3+3,
                    // seven as 4+3. A six-token pass measured slower still (857 us: its 24
                    // accumulators spill).
                    int left = tokens - t;
                    if (!three && left == 3 && t >= 4) {
                        t--; // one more 4x4 with a token recomputed (bitwise the same) beats 4x2 + 4x1
                        left = 4;
                    }
                    int pass = !three ? Math.min(left, 4) : left == 5 || left == 6 ? 3 : Math.min(left, 4);
                    switch (pass) {
                        case 4 -> kernel.dot4x4(seg, off, stride, x, t * cols, cols, cols, quad, 0, 4, tile);
                        case 3 -> kernel.dot4x3(seg, off, stride, x, t * cols, cols, cols, quad, 0, 4, tile);
                        case 2 -> kernel.dot4x2(seg, off, stride, x, t * cols, cols, cols, quad, 0, 4, tile);
                        default -> kernel.dot4Rows(seg, off, stride, x, t * cols, cols, quad, 0, tile);
                    }
                    // quad holds the pass's tokens by four rows: scattered to rows r + i * gap
                    for (int p = 0; p < pass; p++) {
                        int o = (t + p) * m + r;
                        out[o] = quad[4 * p];
                        out[o + gap] = quad[4 * p + 1];
                        out[o + 2 * gap] = quad[4 * p + 2];
                        out[o + 3 * gap] = quad[4 * p + 3];
                    }
                    t += pass;
                }
            }
            int r = r0 + 4 * passes;
            for (; r < r1; r++) {
                long off = base + r * rowBytes;
                int t = 0;
                for (; t + 4 <= tokens; t += 4) {
                    kernel.dot4(seg, off, x, t * cols, cols, cols, out, t * m + r, m);
                }
                for (; t < tokens; t++) {
                    out[t * m + r] = kernel.dot(seg, off, x, t * cols, cols);
                }
            }
        }

        /**
         * Rows r0..r1 (at most BLOCK_ROWS) for every token: decoded once, straight into panels of
         * four interleaved rows (the few values after the last whole chunk, which only plain float
         * rows have, kept aside), then served to four tokens at a time from the packed activations
         * (the remaining tokens one by one).
         */
        private void block(int worker, int r0, int r1) {
            int n = cols;
            int nc = n / Vec.L;
            int kt = nc * Vec.L;
            int tail = n - kt;
            int nr = r1 - r0;
            int panelSize = 4 * nc * Vec.L;
            Scratch s = scratch[worker];
            float[] panel = s.panel(ceilDiv(nr, 4) * panelSize);
            float[] tails = s.rows(nr * Vec.L);
            float[] tile = s.tile;
            DotKernel kernel = w.kernel();
            MemorySegment seg = w.data();
            long rowBytes = w.rowBytes();
            for (int i = 0; i < nr; i++) {
                long off = base + (r0 + i) * rowBytes;
                kernel.decodeChunks(seg, off, panel, (i >> 2) * panelSize + (i & 3) * Vec.L, 4 * Vec.L, n);
                for (int k = kt; k < n; k++) {
                    tails[i * Vec.L + k - kt] = kernel.value(seg, off, k);
                }
            }
            for (int i = nr; i < ceilDiv(nr, 4) * 4; i++) {
                for (int c = 0; c < nc; c++) {
                    int at = (i >> 2) * panelSize + (4 * c + (i & 3)) * Vec.L;
                    java.util.Arrays.fill(panel, at, at + Vec.L, 0f);
                }
            }
            int m = rows;
            int groups = tokens / 4;
            for (int g = 0; g < nr; g += 4) {
                int valid = Math.min(4, nr - g);
                int wo = (g >> 2) * panelSize;
                for (int tg = 0; tg < groups; tg++) {
                    FloatDot.dot4x4(panel, wo, xPacked, tg * panelSize, nc, tile);
                    for (int j = 0; j < 4; j++) {
                        int t = 4 * tg + j;
                        for (int i = 0; i < valid; i++) {
                            out[t * m + r0 + g + i] = FloatDot.finish(tile, (i + 4 * j) * Vec.L,
                                    tails, (g + i) * Vec.L, x, t * n + kt, tail);
                        }
                    }
                }
                for (int t = 4 * groups; t < tokens; t++) {
                    FloatDot.dot4x1(panel, wo, x, t * n, nc, tile);
                    for (int i = 0; i < valid; i++) {
                        out[t * m + r0 + g + i] = FloatDot.finish(tile, i * Vec.L, tails, (g + i) * Vec.L, x, t * n + kt, tail);
                    }
                }
            }
        }
    }

    // ---- embed -------------------------------------------------------------------------------

    @Override
    public void embed(Weight table, int[] ids, FloatMatrix out, int tokens) {
        CpuWeight w = weight(table);
        CpuMatrix co = matrix(out);
        if (co.cols() != w.cols()) {
            throw new IllegalArgumentException("embed of " + w + " needs out with " + w.cols() + " columns, got " + co);
        }
        OpChecks.tokens(tokens, co, co);
        float[] dst = co.data();
        for (int t = 0; t < tokens; t++) {
            int id = Objects.checkIndex(ids[t], w.rows());
            w.kernel().dequantize(w.data(), w.rowOffset(0, id), dst, t * w.cols(), w.cols());
        }
    }

    // ---- norms -------------------------------------------------------------------------------

    @Override
    public void rmsNorm(FloatMatrix x, float[] gamma, float eps, FloatMatrix out, int tokens) {
        CpuMatrix cx = matrix(x);
        CpuMatrix co = matrix(out);
        if (co.cols() != cx.cols() || gamma.length < cx.cols()) {
            throw new IllegalArgumentException("rmsNorm shapes: " + cx + ", " + co + ", gamma " + gamma.length);
        }
        OpChecks.tokens(tokens, cx, co);
        RmsNormJob job = rmsNormJob;
        job.x = cx.data();
        job.out = co.data();
        job.gamma = gamma;
        job.eps = eps;
        job.cols = cx.cols();
        forRows(job, tokens, cx.cols());
        job.x = null;
        job.out = null;
        job.gamma = null;
    }

    private final class RmsNormJob extends RowJob {
        float[] x;
        float[] out;
        float[] gamma;
        float eps;
        int cols;

        @Override
        void row(int worker, int t) {
            normalize(x, out, t * cols, cols, gamma, 0, eps, scratch[worker].tile);
        }
    }

    @Override
    public void rmsNormHeads(FloatMatrix x, float[] gamma, float eps, int headDim, int tokens) {
        CpuMatrix cx = matrix(x);
        if (headDim <= 0 || cx.cols() % headDim != 0 || gamma.length < headDim) {
            throw new IllegalArgumentException("rmsNormHeads: " + cx + ", head dim " + headDim + ", gamma " + gamma.length);
        }
        OpChecks.tokens(tokens, cx, cx);
        RmsNormHeadsJob job = rmsNormHeadsJob;
        job.x = cx.data();
        job.gamma = gamma;
        job.eps = eps;
        job.cols = cx.cols();
        job.headDim = headDim;
        forRows(job, tokens, cx.cols());
        job.x = null;
        job.gamma = null;
    }

    private final class RmsNormHeadsJob extends RowJob {
        float[] x;
        float[] gamma;
        float eps;
        int cols;
        int headDim;

        @Override
        void row(int worker, int t) {
            // one gamma for every head, or (as long as the row) its own for each column
            boolean perColumn = gamma.length == cols;
            for (int h = t * cols, g = 0; h < (t + 1) * cols; h += headDim, g += headDim) {
                normalize(x, x, h, headDim, gamma, perColumn ? g : 0, eps, scratch[worker].tile);
            }
        }
    }

    /**
     * out[o + i] = x[o + i] / rms(x[o .. o + n)) * gamma[g + i]. The sum of squares is stored in
     * {@code tile} and summed from there (the same additions as {@link Vec#hsum(FloatVector)}): a
     * vector handed to a call the JIT declines to inline, as it did inside a 4-token norm, is boxed.
     */
    private static void normalize(float[] x, float[] out, int o, int n, float[] gamma, int g, float eps, float[] tile) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        int bound = F.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector v = FloatVector.fromArray(F, x, o + i);
            acc = v.fma(v, acc);
        }
        acc.intoArray(tile, 0);
        float ss = Vec.hsum(tile, 0);
        for (; i < n; i++) {
            ss = Math.fma(x[o + i], x[o + i], ss);
        }
        float inv = (float) (1.0 / Math.sqrt((double) ss / n + eps));
        i = 0;
        for (; i < bound; i += L) {
            FloatVector.fromArray(F, x, o + i).mul(inv).mul(FloatVector.fromArray(F, gamma, g + i)).intoArray(out, o + i);
        }
        for (; i < n; i++) {
            out[o + i] = x[o + i] * inv * gamma[g + i];
        }
    }

    // ---- bias, rope --------------------------------------------------------------------------

    @Override
    public void addBias(FloatMatrix x, float[] bias, int offset, int tokens) {
        CpuMatrix cx = matrix(x);
        int cols = cx.cols();
        OpChecks.bias(bias, offset, cx);
        OpChecks.tokens(tokens, cx, cx);
        float[] d = cx.data();
        int bound = F.loopBound(cols);
        for (int t = 0; t < tokens; t++) {
            int o = t * cols;
            int i = 0;
            for (; i < bound; i += L) {
                FloatVector.fromArray(F, d, o + i).add(FloatVector.fromArray(F, bias, offset + i)).intoArray(d, o + i);
            }
            for (; i < cols; i++) {
                d[o + i] += bias[offset + i];
            }
        }
    }

    @Override
    public void rope(FloatMatrix x, int[] positions, int heads, int headDim, RopeSpec rope, int tokens) {
        CpuMatrix cx = matrix(x);
        if (heads <= 0 || headDim <= 0 || (long) heads * headDim > cx.cols() || rope.dims() > headDim) {
            throw new IllegalArgumentException("rope: " + heads + " heads of " + headDim + " (rotating "
                    + rope.dims() + ") in " + cx);
        }
        OpChecks.tokens(tokens, cx, cx);
        int half = rope.dims() / 2;
        if (half == 0 || tokens == 0) {
            return;
        }
        if (!rope.equals(ropeFreqSpec)) {
            ropeFreqs = rope.frequencies();
            ropeFreqSpec = rope;
        }
        RopeJob job = ropeJob;
        job.x = cx.data();
        job.cols = cx.cols();
        job.positions = positions;
        job.heads = heads;
        job.headDim = headDim;
        job.half = half;
        job.neox = rope.neox();
        job.scale = rope.linearScale();
        job.magnitude = rope.magnitude();
        job.freqs = ropeFreqs;
        forRows(job, tokens, (long) heads * rope.dims() * 8);
        job.x = null;
        job.positions = null;
    }

    private final class RopeJob extends RowJob {
        float[] x;
        int cols;
        int[] positions;
        int heads;
        int headDim;
        int half;
        boolean neox;
        double scale;
        double magnitude;
        double[] freqs;

        @Override
        void row(int worker, int t) {
            Scratch s = scratch[worker];
            float[] cos = s.cos(half);
            float[] sin = s.sin(half);
            double p = positions[t] / scale;
            for (int i = 0; i < half; i++) {
                double a = p * freqs[i];
                cos[i] = (float) (Math.cos(a) * magnitude);
                sin[i] = (float) (Math.sin(a) * magnitude);
            }
            int stride = neox ? 1 : 2;
            int partner = neox ? half : 1;
            for (int h = 0; h < heads; h++) {
                int o = t * cols + h * headDim;
                for (int i = 0; i < half; i++) {
                    int a = o + i * stride;
                    int b = a + partner;
                    float x0 = x[a];
                    float x1 = x[b];
                    x[a] = x0 * cos[i] - x1 * sin[i];
                    x[b] = x0 * sin[i] + x1 * cos[i];
                }
            }
        }
    }

    // ---- attention ---------------------------------------------------------------------------

    @Override
    public void storeKv(KvStorage kv, int layer, FloatMatrix k, FloatMatrix v, int[] slots, int tokens) {
        CpuKvStorage c = kv(kv);
        CpuMatrix ck = matrix(k);
        CpuMatrix cv = c.valueDim() > 0 ? matrix(v) : null;
        OpChecks.storeKv(c, ck, cv, tokens);
        int slotCount = c.blocks() * c.blockSize();
        boolean half = c.type() == KvCacheType.F16;
        int hk = c.keyDim() / c.kvHeads();
        int hv = c.valueDim() / c.kvHeads();
        // keys by dimension: consecutive elements of a key are a block's slots apart
        int keyStride = c.keysByDimension() ? c.blockSize() : 1;
        for (int t = 0; t < tokens; t++) {
            int slot = Objects.checkIndex(slots[t], slotCount);
            // each KV head's part of the row goes to its own run of the slot's block
            for (int g = 0; g < c.kvHeads(); g++) {
                int ks = t * c.keyDim() + g * hk;
                int vs = t * c.valueDim() + g * hv;
                int kd = c.keyIndex(slot, g, 0);
                if (c.type() == KvCacheType.Q8_0) {
                    storeQ8(c, layer, ck.data(), ks, cv != null ? cv.data() : null, vs, slot, g, keyStride);
                } else if (half) {
                    toHalves(ck.data(), ks, c.halfKeys(layer), kd, keyStride, hk);
                    if (cv != null) {
                        toHalves(cv.data(), vs, c.halfValues(layer), c.valueOffset(slot, g), 1, hv);
                    }
                } else {
                    float[] keys = c.keys(layer);
                    for (int i = 0; i < hk; i++) {
                        keys[kd + i * keyStride] = ck.data()[ks + i];
                    }
                    if (cv != null) {
                        System.arraycopy(cv.data(), vs, c.values(layer), c.valueOffset(slot, g), hv);
                    }
                }
            }
        }
    }

    /**
     * KV head g's key (from {@code k[ks ..]}) and values (from {@code v[vs ..]}, where the cache has
     * values) of a token into slot {@code slot} of a Q8_0 cache, group by group ({@link KvQ8}).
     */
    private static void storeQ8(CpuKvStorage c, int layer, float[] k, int ks, float[] v, int vs, int slot, int g,
                                int keyStride) {
        // a key's group scales sit a block's slots apart where its elements do
        quantizeHead(k, ks, c.keyDim() / c.kvHeads(), c.quantKeys(layer), c.keyIndex(slot, g, 0), keyStride,
                c.keyScales(layer), c.keyScaleIndex(slot, g, 0), keyStride);
        if (v != null) {
            quantizeHead(v, vs, c.valueDim() / c.kvHeads(), c.quantValues(layer), c.valueOffset(slot, g), 1,
                    c.valueScales(layer), c.valueScaleIndex(slot, g, 0), 1);
        }
    }

    /**
     * A head's {@code width} floats from {@code src[so ..]}, group by group: element e's quant to
     * {@code q[d + e * stride]}, group j's scale to {@code scales[s + j * scaleStride]}.
     */
    private static void quantizeHead(float[] src, int so, int width, byte[] q, int d, int stride, short[] scales, int s,
                                     int scaleStride) {
        for (int j = 0, e = 0; e < width; j++, e += KvQ8.GROUP) {
            scales[s + j * scaleStride] = KvQ8.quantize(src, so + e, Math.min(KvQ8.GROUP, width - e), q, d + e * stride,
                    stride);
        }
    }

    /**
     * Rounds {@code n} floats to the nearest half (ties to even, as the CUDA kernel's __float2half_rn),
     * into every {@code stride}-th element from {@code d}.
     */
    private static void toHalves(float[] src, int so, short[] dst, int d, int stride, int n) {
        for (int i = 0; i < n; i++) {
            dst[d + i * stride] = Float.floatToFloat16(src[so + i]);
        }
    }

    @Override
    public void attention(FloatMatrix q, KvStorage kv, int layer, AttentionBatch batch, FloatMatrix out) {
        CpuKvStorage c = kv(kv);
        CpuMatrix cq = matrix(q);
        CpuMatrix co = matrix(out);
        OpChecks.attention(cq, c, batch, co);
        int heads = batch.heads();
        int kvHeads = batch.kvHeads();
        int tokens = batch.tokens();
        int bs = c.blockSize();
        int maxPositions = 0;
        for (int t = 0; t < tokens; t++) {
            int pos = batch.positionOf()[t];
            int[] table = batch.blockTables()[batch.sequenceOf()[t]];
            if (pos < 0 || pos / bs >= table.length) {
                throw new IllegalArgumentException("token " + t + " at position " + pos + " beyond its block table");
            }
            for (int b = 0; b <= pos / bs; b++) {
                Objects.checkIndex(table[b], c.blocks());
            }
            maxPositions = Math.max(maxPositions, pos + 1);
        }
        AttentionJob job = attentionJob;
        job.q = cq.data();
        job.qCols = cq.cols();
        job.out = co.data();
        job.outCols = co.cols();
        // values read from the key rows (one KV head) start at the batch's offset in each
        if (c.type() == KvCacheType.F16) {
            job.halfKeys = c.halfKeys(layer);
            job.halfValues = batch.valuesInKeys() ? c.halfKeys(layer) : c.halfValues(layer);
        } else if (c.type() == KvCacheType.Q8_0) {
            job.quantKeys = c.quantKeys(layer);
            job.keyScales = c.keyScales(layer);
            job.quantValues = batch.valuesInKeys() ? c.quantKeys(layer) : c.quantValues(layer);
            job.valueScales = batch.valuesInKeys() ? c.keyScales(layer) : c.valueScales(layer);
            job.keyGroups = c.keyGroups();
            job.valueScaleRow = batch.valuesInKeys() ? c.keyGroups() : c.valueGroups();
        } else {
            job.keys = c.keys(layer);
            job.values = batch.valuesInKeys() ? c.keys(layer) : c.values(layer);
        }
        job.valueRow = batch.valuesInKeys() ? batch.headDimK() : batch.headDimV();
        job.valueBase = batch.valuesInKeys() ? batch.valueOffset() : 0;
        job.blockSize = bs;
        job.batch = batch;
        job.group = heads / kvHeads;
        job.kvHeads = kvHeads;
        job.hk = batch.headDimK();
        job.hv = batch.headDimV();
        job.scale = batch.scale();
        job.maxPositions = maxPositions;
        job.keysByDimension = c.keysByDimension();
        try {
            pool.run(job, job.tile(batch) * kvHeads);
        } finally {
            job.q = null;
            job.out = null;
            job.keys = null;
            job.values = null;
            job.halfKeys = null;
            job.halfValues = null;
            job.quantKeys = null;
            job.quantValues = null;
            job.keyScales = null;
            job.valueScales = null;
            job.batch = null;
        }
    }

    /** Tokens one attention job serves at once where they are consecutive positions of one sequence. */
    private static final int QUERY_TILE = 4;

    private final class AttentionJob implements WorkerPool.Job {
        float[] q;
        int qCols;
        float[] out;
        int outCols;
        float[] keys;        // an F32 cache's layer, else null
        float[] values;
        short[] halfKeys;    // an F16 cache's layer, else null
        short[] halfValues;
        byte[] quantKeys;    // a Q8_0 cache's layer and its scales, else null
        byte[] quantValues;
        short[] keyScales;
        short[] valueScales;
        int keyGroups;       // scale groups of a KV head's key
        int valueScaleRow;   // scales from one slot's value row to the next
        int valueRow;   // the stride of a KV head's values from one slot to the next (hk where read from the keys)
        int valueBase;  // where values start in that row
        int blockSize;
        AttentionBatch batch;
        int group;
        int kvHeads;
        int hk;
        int hv;
        float scale;
        int maxPositions;
        int[] tileStart = new int[0];    // the step's tiles: first token and token count of each
        int[] tileLength = new int[0];
        boolean keysByDimension;         // keys stored dimension by dimension within a block

        /** The scores of the tile's tokens for KV head g from keys stored as rows, a position at a time. */
        private void rowScores(int t0, int m, int g, int[] table, int from, int to, int[] firsts, int[] lasts, int[] n,
                               int[] offsets, float[] scores, float[] widened) {
            for (int p = from; p <= to; p++) {
                // this KV head's rows of a block are one run (CpuKvStorage's layout): row r of the run
                // starts at ((block * kvHeads + g) * blockSize + r) * width
                int row = (table[p / blockSize] * kvHeads + g) * blockSize + p % blockSize;
                float[] k = keys;
                int ko = row * hk;
                if (quantKeys != null) {
                    Q8KvWiden.row(quantKeys, ko, keyScales, row * keyGroups, 0, widened, 0, hk);
                    k = widened;
                    ko = 0;
                } else if (k == null) {
                    F16Dot.widen(halfKeys, ko, widened, 0, hk);
                    k = widened;
                    ko = 0;
                }
                for (int i = 0; i < m; i++) {
                    if (p >= firsts[i] && p <= lasts[i]) {
                        FloatDot.dotHeads(k, ko, q, (t0 + i) * qCols + g * group * hk, hk, hk, group, scale, scores,
                                offsets[i] + p - firsts[i], n[i]);
                    }
                }
            }
        }

        /**
         * The scores of the tile's tokens for KV head g, a block at a time: every query of the tile
         * that attends to some position of the block (its tokens times the group's heads) scored
         * against all the block's keys at once ({@link BlockScores}), then the positions each token
         * attends to copied to its scores (the rest, other tokens' positions or slots not yet written,
         * is dropped unread).
         */
        private void blockScores(int worker, int t0, int m, int g, int[] table, int from, int to,
                                 float[] scores, float[] widened) {
            Scratch sc = scratch[worker];
            int[] firsts = sc.firsts;
            int[] lasts = sc.lasts;
            int[] n = sc.counts;
            int[] offsets = sc.offsets;
            int bs = blockSize;
            int[] queries = sc.queries(QUERY_TILE * group);
            float[] blockOut = sc.blockScores(QUERY_TILE * group * bs);
            for (int b = from / bs; b <= to / bs; b++) {
                int p0 = b * bs;
                int base = (table[b] * kvHeads + g) * hk * bs;
                float[] k = keys;
                int ko = base;
                if (quantKeys != null) {
                    Q8KvWiden.block(quantKeys, base, keyScales, (table[b] * kvHeads + g) * keyGroups * bs, bs, hk,
                            widened, sc.widenedScales(keyGroups * bs));
                    k = widened;
                    ko = 0;
                } else if (k == null) {
                    F16Dot.widen(halfKeys, base, widened, 0, hk * bs);
                    k = widened;
                    ko = 0;
                }
                int count = 0;
                for (int i = 0; i < m; i++) {
                    if (firsts[i] < p0 + bs && lasts[i] >= p0) {
                        for (int h = 0; h < group; h++) {
                            queries[count++] = (t0 + i) * qCols + (g * group + h) * hk;
                        }
                    }
                }
                BlockScores.scores(k, ko, bs, hk, q, queries, count, scale, blockOut, 0);
                int j = 0;
                for (int i = 0; i < m; i++) {
                    if (firsts[i] < p0 + bs && lasts[i] >= p0) {
                        int lo = Math.max(p0, firsts[i]);
                        int hi = Math.min(p0 + bs - 1, lasts[i]);
                        for (int h = 0; h < group; h++, j++) {
                            System.arraycopy(blockOut, j * bs + lo - p0, scores, offsets[i] + h * n[i] + lo - firsts[i],
                                    hi + 1 - lo);
                        }
                    }
                }
            }
        }

        /**
         * Cuts the batch into tiles of up to {@link #QUERY_TILE} tokens at consecutive positions of one
         * sequence (a prompt's chunk), which read the same rows; returns how many.
         */
        int tile(AttentionBatch b) {
            int tokens = b.tokens();
            if (tileStart.length < tokens) {
                tileStart = new int[tokens];
                tileLength = new int[tokens];
            }
            int[] seq = b.sequenceOf();
            int[] pos = b.positionOf();
            int tiles = 0;
            for (int t = 0; t < tokens; ) {
                int m = 1;
                while (m < QUERY_TILE && t + m < tokens && seq[t + m] == seq[t] && pos[t + m] == pos[t] + m) {
                    m++;
                }
                tileStart[tiles] = t;
                tileLength[tiles] = m;
                tiles++;
                t += m;
            }
            return tiles;
        }

        @Override
        public void run(int worker, int chunk) {
            int tile = chunk / kvHeads;
            int g = chunk % kvHeads;
            int t0 = tileStart[tile];
            int m = tileLength[tile];
            int[] table = batch.blockTables()[batch.sequenceOf()[t0]];
            // token t0 + i attends to positions firsts[i] .. lasts[i] (all before it without a sliding
            // window; earlier ones are not read), its scores at offsets[i], head h's n[i] of them at
            // offsets[i] + h * n[i]; the tile's tokens are consecutive positions, so together they read
            // positions firsts[0] .. lasts[m - 1], each row once
            Scratch sc = scratch[worker];
            int[] firsts = sc.firsts;
            int[] lasts = sc.lasts;
            int[] n = sc.counts;
            int[] offsets = sc.offsets;
            int total = 0;
            for (int i = 0; i < m; i++) {
                firsts[i] = batch.firstPosition(t0 + i);
                lasts[i] = batch.positionOf()[t0 + i];
                n[i] = lasts[i] + 1 - firsts[i];
                offsets[i] = total;
                total += group * n[i];
            }
            int from = firsts[0];
            int to = lasts[m - 1];
            float[] sinks = batch.sinks();
            float[] scores = sc.scores(total);
            // an F16 cache's keys and values are widened once, for all the tokens and query heads that read them
            float[] widened = keys != null ? null : sc.kvRows(Math.max(hk * blockSize, blockSize * hv));
            if (keysByDimension) {
                blockScores(worker, t0, m, g, table, from, to, scores, widened);
            } else {
                rowScores(t0, m, g, table, from, to, firsts, lasts, n, offsets, scores, widened);
            }
            for (int i = 0; i < m; i++) {
                int oBase = (t0 + i) * outCols + g * group * hv;
                for (int h = 0; h < group; h++) {
                    int w = offsets[i] + h * n[i];
                    float sink = sinks != null ? sinks[g * group + h] : Float.NEGATIVE_INFINITY;
                    float inv = 1f / softmaxWeights(scores, w, n[i], sink);
                    java.util.Arrays.fill(out, oBase + h * hv, oBase + (h + 1) * hv, 0f);
                    // Fold the normalization into the weights so the sum is already the average.
                    for (int j = 0; j < n[i]; j++) {
                        scores[w + j] *= inv;
                    }
                }
            }
            // A block's positions at a time, each output chunk held in a register across them: for
            // every token the same FMAs in the same order (positions ascending) as one position at a
            // time, without loading and storing the output for every position.
            for (int p = from; p <= to; ) {
                int offset = p % blockSize;
                int run = Math.min(blockSize - offset, to + 1 - p);   // consecutive rows of this block
                int row = (table[p / blockSize] * kvHeads + g) * blockSize + offset;
                float[] v = values;
                int vo = row * valueRow + valueBase;
                int stride = valueRow;
                if (quantValues != null) {
                    for (int r = 0; r < run; r++) {
                        Q8KvWiden.row(quantValues, vo + r * valueRow, valueScales, (row + r) * valueScaleRow,
                                valueBase, widened, r * hv, hv);
                    }
                    v = widened;
                    vo = 0;
                    stride = hv;
                } else if (v == null) {
                    for (int r = 0; r < run; r++) {
                        F16Dot.widen(halfValues, vo + r * valueRow, widened, r * hv, hv);
                    }
                    v = widened;
                    vo = 0;
                    stride = hv;
                }
                for (int i = 0; i < m; i++) {
                    int r0 = Math.max(p, firsts[i]) - p;
                    int r1 = Math.min(p + run - 1, lasts[i]) + 1 - p;
                    if (r0 < r1) {
                        int oBase = (t0 + i) * outCols + g * group * hv;
                        for (int h = 0; h < group; h++) {
                            accumulate(v, vo, stride, scores, offsets[i] + h * n[i] + p - firsts[i], r0, r1, out,
                                    oBase + h * hv, hv);
                        }
                    }
                }
                p += run;
            }
        }
    }

    /**
     * {@code out[o + i] += sum over r in [r0, r1) of weights[w + r] * v[vo + r * stride + i]} for i
     * below hv, r ascending: each output chunk in a register across the rows.
     */
    private static void accumulate(float[] v, int vo, int stride, float[] weights, int w, int r0, int r1, float[] out,
                                   int o, int hv) {
        int bound = F.loopBound(hv);
        int i = 0;
        for (; i < bound; i += L) {
            FloatVector acc = FloatVector.fromArray(F, out, o + i);
            for (int r = r0; r < r1; r++) {
                acc = FloatVector.fromArray(F, v, vo + r * stride + i).fma(FloatVector.broadcast(F, weights[w + r]), acc);
            }
            acc.intoArray(out, o + i);
        }
        for (; i < hv; i++) {
            float acc = out[o + i];
            for (int r = r0; r < r1; r++) {
                acc = Math.fma(v[vo + r * stride + i], weights[w + r], acc);
            }
            out[o + i] = acc;
        }
    }

    /**
     * Replaces a[o .. o + n) by exp(a - max) and returns their sum plus exp(sink - max), max taken
     * over the scores and the sink: an attention sink (gpt-oss) joins the denominator without a
     * value. A sink of -infinity is none, and adds nothing.
     */
    private static float softmaxWeights(float[] a, int o, int n, float sink) {
        float max = sink;
        for (int i = 0; i < n; i++) {
            max = Math.max(max, a[o + i]);
        }
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        int bound = F.loopBound(n);
        for (; i < bound; i += L) {
            FloatVector e = Vec.exp(FloatVector.fromArray(F, a, o + i).sub(max));
            e.intoArray(a, o + i);
            acc = acc.add(e);
        }
        float sum = Vec.hsum(acc);
        for (; i < n; i++) {
            float e = Vec.exp(a[o + i] - max);
            a[o + i] = e;
            sum += e;
        }
        return sink == Float.NEGATIVE_INFINITY ? sum : sum + Vec.exp(sink - max);
    }

    // ---- elementwise -------------------------------------------------------------------------

    /**
     * A row job over two matrices of one shape, value by value: {@code first}'s and {@code second}'s
     * rows, one written in place. Holds the arrays only while it runs.
     */
    private abstract class PairJob extends RowJob {
        float[] first;
        float[] second;
        int cols;

        final void run(CpuMatrix a, CpuMatrix b, int tokens) {
            first = a.data();
            second = b.data();
            cols = a.cols();
            forRows(this, tokens, cols);
            first = null;
            second = null;
        }
    }

    @Override
    public void siluMul(FloatMatrix gate, FloatMatrix up, int tokens) {
        CpuMatrix cg = matrix(gate);
        CpuMatrix cu = matrix(up);
        OpChecks.gated("siluMul", cg, cu, tokens);
        siluMulJob.run(cg, cu, tokens);
    }

    /** gate = silu(gate) * up. */
    private final class SiluMulJob extends PairJob {
        @Override
        void row(int worker, int t) {
            float[] gate = first;
            float[] up = second;
            int o = t * cols;
            int i = 0;
            int bound = F.loopBound(cols);
            for (; i < bound; i += L) {
                FloatVector g = FloatVector.fromArray(F, gate, o + i);
                FloatVector e = Vec.exp(g.neg());
                g.div(e.add(1f)).mul(FloatVector.fromArray(F, up, o + i)).intoArray(gate, o + i);
            }
            for (; i < cols; i++) {
                float g = gate[o + i];
                gate[o + i] = g / (Vec.exp(-g) + 1f) * up[o + i];
            }
        }
    }

    @Override
    public void sigmoidMul(FloatMatrix gate, FloatMatrix x, int tokens) {
        CpuMatrix cg = matrix(gate);
        CpuMatrix cx = matrix(x);
        OpChecks.gated("sigmoidMul", cg, cx, tokens);
        sigmoidMulJob.run(cg, cx, tokens);
    }

    /** x = x * sigmoid(gate). */
    private final class SigmoidMulJob extends PairJob {
        @Override
        void row(int worker, int t) {
            float[] gate = first;
            float[] x = second;
            int o = t * cols;
            int i = 0;
            int bound = F.loopBound(cols);
            for (; i < bound; i += L) {
                FloatVector e = Vec.exp(FloatVector.fromArray(F, gate, o + i).neg());
                FloatVector.fromArray(F, x, o + i).div(e.add(1f)).intoArray(x, o + i);
            }
            for (; i < cols; i++) {
                x[o + i] = x[o + i] / (Vec.exp(-gate[o + i]) + 1f);
            }
        }
    }

    @Override
    public void swigluClamped(FloatMatrix gate, FloatMatrix up, float alpha, float limit, int tokens) {
        CpuMatrix cg = matrix(gate);
        CpuMatrix cu = matrix(up);
        OpChecks.gated("swigluClamped", cg, cu, tokens);
        SwigluClampedJob job = swigluClampedJob;
        job.alpha = alpha;
        job.limit = limit;
        job.run(cg, cu, tokens);
    }

    /** gpt-oss's gate = g sigmoid(alpha g) (u + 1), g and u clamped at the limit. */
    private final class SwigluClampedJob extends PairJob {
        float alpha;
        float limit;

        @Override
        void row(int worker, int t) {
            float[] gate = first;
            float[] up = second;
            int o = t * cols;
            int i = 0;
            int bound = F.loopBound(cols);
            for (; i < bound; i += L) {
                FloatVector g = FloatVector.fromArray(F, gate, o + i).min(limit);
                FloatVector u = FloatVector.fromArray(F, up, o + i).max(-limit).min(limit);
                FloatVector e = Vec.exp(g.mul(-alpha));
                g.div(e.add(1f)).mul(u.add(1f)).intoArray(gate, o + i);
            }
            for (; i < cols; i++) {
                float g = Math.min(gate[o + i], limit);
                float u = Math.max(-limit, Math.min(up[o + i], limit));
                gate[o + i] = g / (Vec.exp(-alpha * g) + 1f) * (u + 1f);
            }
        }
    }

    @Override
    public void softmax(FloatMatrix x, int tokens) {
        CpuMatrix cx = matrix(x);
        OpChecks.tokens(tokens, cx, cx);
        int cols = cx.cols();
        float[] d = cx.data();
        for (int t = 0; t < tokens; t++) {
            int o = t * cols;
            float max = Float.NEGATIVE_INFINITY;
            for (int i = 0; i < cols; i++) {
                max = Math.max(max, d[o + i]);
            }
            double sum = 0;
            for (int i = 0; i < cols; i++) {
                double e = Math.exp((double) d[o + i] - max);
                d[o + i] = (float) e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            for (int i = 0; i < cols; i++) {
                d[o + i] *= inv;
            }
        }
    }

    @Override
    public void add(FloatMatrix y, FloatMatrix x, int tokens) {
        CpuMatrix cy = matrix(y);
        CpuMatrix cx = matrix(x);
        if (cy.cols() != cx.cols()) {
            throw new IllegalArgumentException("add shapes: " + cy + ", " + cx);
        }
        OpChecks.tokens(tokens, cy, cx);
        addJob.run(cy, cx, tokens);
    }

    /** y = y + x. */
    private final class AddJob extends PairJob {
        @Override
        void row(int worker, int t) {
            float[] y = first;
            float[] x = second;
            int o = t * cols;
            int i = 0;
            int bound = F.loopBound(cols);
            for (; i < bound; i += L) {
                FloatVector.fromArray(F, y, o + i).add(FloatVector.fromArray(F, x, o + i)).intoArray(y, o + i);
            }
            for (; i < cols; i++) {
                y[o + i] += x[o + i];
            }
        }
    }

    @Override
    public void mul(FloatMatrix y, FloatMatrix x, int tokens) {
        CpuMatrix cy = matrix(y);
        CpuMatrix cx = matrix(x);
        OpChecks.gated("mul", cy, cx, tokens);
        mulJob.run(cy, cx, tokens);
    }

    /** y = y * x. */
    private final class MulJob extends PairJob {
        @Override
        void row(int worker, int t) {
            float[] y = first;
            float[] x = second;
            int o = t * cols;
            int i = 0;
            int bound = F.loopBound(cols);
            for (; i < bound; i += L) {
                FloatVector.fromArray(F, y, o + i).mul(FloatVector.fromArray(F, x, o + i)).intoArray(y, o + i);
            }
            for (; i < cols; i++) {
                y[o + i] *= x[o + i];
            }
        }
    }

    @Override
    public void reluSquared(FloatMatrix x, int tokens) {
        CpuMatrix cx = matrix(x);
        OpChecks.tokens(tokens, cx, cx);
        ReluSquaredJob job = reluSquaredJob;
        job.x = cx.data();
        job.cols = cx.cols();
        forRows(job, tokens, cx.cols());
        job.x = null;
    }

    /**
     * x = r * r, r = max(x, 0): Nemotron-H's squared ReLU. The vector max is Math.max lane by lane,
     * so NaN stays NaN and -0 becomes +0, as the scalar tail's Math.max; elementwise.cu's
     * relu_squared clamps with a compare that keeps NaN too (CUDA's fmaxf would drop it).
     */
    private final class ReluSquaredJob extends RowJob {
        float[] x;
        int cols;

        @Override
        void row(int worker, int t) {
            int o = t * cols;
            int i = 0;
            int bound = F.loopBound(cols);
            for (; i < bound; i += L) {
                FloatVector r = FloatVector.fromArray(F, x, o + i).max(0f);
                r.mul(r).intoArray(x, o + i);
            }
            for (; i < cols; i++) {
                float r = Math.max(x[o + i], 0f);
                x[o + i] = r * r;
            }
        }
    }

    @Override
    public RecurrentStates allocateStates(int layers, int sequences, int heads, int keyDim, int valueDim) {
        return new CpuRecurrentStates(new StateShape(layers, sequences, heads, keyDim, valueDim));
    }

    @Override
    public void copyState(RecurrentStates states, int from, int to) {
        if (!(states instanceof CpuRecurrentStates c)) {
            throw new IllegalArgumentException("not CPU recurrent states: " + states);
        }
        c.copy(from, to);
    }

    @Override
    public void gatedDeltaNet(RecurrentStates states, int layer, int[] sequenceOf, int[] positionOf, FloatMatrix qkv,
                              FloatMatrix beta, FloatMatrix alpha, float[] dtBias, float[] decay, int keyHeads,
                              boolean tiledHeads, float eps, FloatMatrix out, int tokens) {
        deltaNet.run(states, layer, sequenceOf, positionOf, matrix(qkv), matrix(beta), matrix(alpha), dtBias, decay,
                keyHeads, tiledHeads, eps, matrix(out), tokens);
    }

    @Override
    public void selectiveScan(RecurrentStates states, int layer, int[] sequenceOf, int[] positionOf, FloatMatrix xbc,
                              FloatMatrix dt, float[] dtBias, float[] decay, float[] skip, int groups, FloatMatrix out,
                              int tokens) {
        selectiveScan.run(states, layer, sequenceOf, positionOf, matrix(xbc), matrix(dt), dtBias, decay, skip, groups,
                matrix(out), tokens);
    }

    @Override
    public void shortConv(KvStorage rows, int layer, AttentionBatch batch, float[] taps, int length, FloatMatrix out) {
        CpuKvStorage c = kv(rows);
        CpuMatrix co = matrix(out);
        OpChecks.shortConv(c, batch, taps, length, co);
        ShortConvJob job = shortConvJob;
        job.rows = c.keys(layer);
        job.out = co.data();
        job.taps = taps;
        job.length = length;
        job.width = co.cols();
        job.blockSize = c.blockSize();
        job.batch = batch;
        try {
            forRows(job, batch.tokens(), (long) length * co.cols());
        } finally {
            job.rows = null;
            job.out = null;
            job.taps = null;
            job.batch = null;
        }
    }

    /**
     * Each token's row of the convolution: its taps' fused multiply-adds over the rows of its last
     * {@code length} positions, oldest first (the cache keeps these rows whole: one head, no values).
     */
    private final class ShortConvJob extends RowJob {
        float[] rows;
        float[] out;
        float[] taps;
        int length;
        int width;
        int blockSize;
        AttentionBatch batch;

        @Override
        void row(int worker, int t) {
            int p = batch.positionOf()[t];
            int[] table = batch.blockTables()[batch.sequenceOf()[t]];
            int o = t * width;
            Arrays.fill(out, o, o + width, 0f);
            for (int j = 0; j < length; j++) {
                int q = p - length + 1 + j;
                if (q < 0) {
                    continue;
                }
                int r = (table[q / blockSize] * blockSize + q % blockSize) * width;
                int w = j * width;
                int i = 0;
                int bound = F.loopBound(width);
                for (; i < bound; i += L) {
                    FloatVector.fromArray(F, taps, w + i).fma(FloatVector.fromArray(F, rows, r + i),
                            FloatVector.fromArray(F, out, o + i)).intoArray(out, o + i);
                }
                for (; i < width; i++) {
                    out[o + i] = Math.fma(taps[w + i], rows[r + i], out[o + i]);
                }
            }
        }
    }

    @Override
    public void gatherRows(FloatMatrix src, int[] rows, FloatMatrix dst, int n) {
        CpuMatrix cs = matrix(src);
        CpuMatrix cd = matrix(dst);
        if (cs.cols() != cd.cols() || n < 0 || n > cd.rows()) {
            throw new IllegalArgumentException("gatherRows of " + n + ": " + cs + " -> " + cd);
        }
        int cols = cs.cols();
        for (int i = 0; i < n; i++) {
            int r = Objects.checkIndex(rows[i], cs.rows());
            System.arraycopy(cs.data(), r * cols, cd.data(), i * cols, cols);
        }
    }

    /**
     * Heads are independent products of small matrices (a head's key decompression is 128 x 512
     * in DeepSeek-V2), so the workers split the heads, and each dot reads its head's block of x in
     * place: one dispatch for all heads instead of a matmul and two copies per head.
     */
    @Override
    public void matmulHeads(Weight w, FloatMatrix x, int xCol, int xStride, FloatMatrix out, int outCol, int outStride,
                            int heads, int tokens) {
        CpuWeight cw = weight(w);
        CpuMatrix cx = matrix(x);
        CpuMatrix co = matrix(out);
        OpChecks.matmulHeads(cw, cx, xCol, xStride, co, outCol, outStride, heads, tokens);
        if (tokens == 0) {
            return;
        }
        HeadsJob job = headsJob;
        job.w = cw;
        job.x = cx.data();
        job.xCols = cx.cols();
        job.xCol = xCol;
        job.xStride = xStride;
        job.out = co.data();
        job.outCols = co.cols();
        job.outCol = outCol;
        job.outStride = outStride;
        job.tokens = tokens;
        try {
            pool.run(job, heads);
        } finally {
            job.w = null;
            job.x = null;
            job.out = null;
        }
    }

    private static final class HeadsJob implements WorkerPool.Job {
        CpuWeight w;
        float[] x;
        int xCols;
        int xCol;
        int xStride;
        float[] out;
        int outCols;
        int outCol;
        int outStride;
        int tokens;

        @Override
        public void run(int worker, int head) {
            DotKernel kernel = w.kernel();
            MemorySegment seg = w.data();
            int cols = w.cols();
            for (int r = 0; r < w.rows(); r++) {
                long off = w.rowOffset(head, r);
                for (int t = 0; t < tokens; t++) {
                    out[t * outCols + outCol + head * outStride + r] =
                            kernel.dot(seg, off, x, t * xCols + xCol + head * xStride, cols);
                }
            }
        }
    }

    @Override
    public void copyColumns(FloatMatrix src, int srcCol, int srcStride, FloatMatrix dst, int dstCol, int dstStride,
                            int width, int groups, int rows) {
        CpuMatrix cs = matrix(src);
        CpuMatrix cd = matrix(dst);
        OpChecks.copyColumns(cs, srcCol, srcStride, cd, dstCol, dstStride, width, groups, rows);
        for (int r = 0; r < rows; r++) {
            int from = r * cs.cols() + srcCol;
            int to = r * cd.cols() + dstCol;
            for (int g = 0; g < groups; g++) {
                System.arraycopy(cs.data(), from + g * srcStride, cd.data(), to + g * dstStride, width);
            }
        }
    }

    @Override
    public void scatterAddRows(FloatMatrix src, int[] rows, float[] weights, FloatMatrix dst, int n) {
        CpuMatrix cs = matrix(src);
        CpuMatrix cd = matrix(dst);
        if (cs.cols() != cd.cols() || n < 0 || n > cs.rows()) {
            throw new IllegalArgumentException("scatterAddRows of " + n + ": " + cs + " -> " + cd);
        }
        int cols = cs.cols();
        for (int i = 0; i < n; i++) {
            addScaledRow(cs.data(), i * cols, weights[i], cd.data(), Objects.checkIndex(rows[i], cd.rows()) * cols, cols);
        }
    }

    /**
     * The sampler's own arithmetic, in its order (an upward scan with {@code >}, then
     * {@code Math.max} and a sequential double sum of {@code exp}), so a greedy token and its
     * log-probability are bitwise what sampling the read row would give.
     */
    @Override
    public void topRows(FloatMatrix logits, int rows, int count, int[] wanted, int[] ids, float[] values,
                        double[] logZ) {
        CpuMatrix cl = matrix(logits);
        OpChecks.topRows(cl, rows, count, wanted, ids, values, logZ);
        int cols = cl.cols();
        float[] d = cl.data();
        for (int r = 0; r < rows; r++) {
            int o = r * cols;
            int first = r * count;
            boolean usable = wanted == null || wanted[r] > 0; // a row nobody needs: left unsettled
            boolean anyFinite = false;
            for (int i = 0; i < cols && usable; i++) {
                float l = d[o + i];
                usable = l < Float.POSITIVE_INFINITY;
                anyFinite |= l > Float.NEGATIVE_INFINITY;
            }
            if (!usable || !anyFinite) {
                ids[first] = -1;
                logZ[r] = Double.NaN;
                continue;
            }
            TopK.topK(d, o, cols, count, ids, values, first);
            // summed as the sampler's log-probabilities sum a whole row, so both give the same bits
            logZ[r] = Math.log(LogitMath.sumExp(d, o, cols, values[first]));
        }
    }

    @Override
    public void sigmoidGatedAdd(FloatMatrix gate, FloatMatrix src, FloatMatrix dst, int tokens) {
        CpuMatrix cg = matrix(gate);
        CpuMatrix cs = matrix(src);
        CpuMatrix cd = matrix(dst);
        OpChecks.sigmoidGatedAdd(cg, cs, cd, tokens);
        int cols = cs.cols();
        for (int t = 0; t < tokens; t++) {
            float w = (float) (1.0 / (1.0 + Math.exp(-cg.data()[t * cg.cols()])));
            addScaledRow(cs.data(), t * cols, w, cd.data(), t * cols, cols);
        }
    }

    @Override
    public void scaleRows(FloatMatrix x, float[] factors, int n) {
        CpuMatrix cx = matrix(x);
        if (n < 0 || n > cx.rows() || n > factors.length) {
            throw new IllegalArgumentException("scaleRows of " + n + " by " + factors.length + " factors: " + cx);
        }
        int cols = cx.cols();
        float[] d = cx.data();
        int bound = F.loopBound(cols);
        for (int i = 0; i < n; i++) {
            FloatVector f = FloatVector.broadcast(F, factors[i]);
            int o = i * cols;
            int j = 0;
            for (; j < bound; j += L) {
                FloatVector.fromArray(F, d, o + j).mul(f).intoArray(d, o + j);
            }
            for (; j < cols; j++) {
                d[o + j] *= factors[i];
            }
        }
    }

    /** d[dOff ..] = fma(s[so ..], w, d[dOff ..]) over {@code cols} values. */
    private static void addScaledRow(float[] s, int so, float w, float[] d, int dOff, int cols) {
        FloatVector wv = FloatVector.broadcast(F, w);
        int bound = F.loopBound(cols);
        int j = 0;
        for (; j < bound; j += L) {
            FloatVector.fromArray(F, s, so + j).fma(wv, FloatVector.fromArray(F, d, dOff + j)).intoArray(d, dOff + j);
        }
        for (; j < cols; j++) {
            d[dOff + j] = Math.fma(s[so + j], w, d[dOff + j]);
        }
    }

    // ---- plumbing ----------------------------------------------------------------------------

    /** A loop over tokens (rows), split into chunks of rows when the work is large enough. */
    private abstract static class RowJob implements WorkerPool.Job {
        int tokens;
        int perChunk;

        abstract void row(int worker, int t);

        @Override
        public final void run(int worker, int chunk) {
            int end = Math.min(tokens, (chunk + 1) * perChunk);
            for (int t = chunk * perChunk; t < end; t++) {
                row(worker, t);
            }
        }
    }

    private void forRows(RowJob job, int tokens, long workPerRow) {
        if (tokens <= 0) {
            return;
        }
        if (threads() == 1 || tokens == 1 || tokens * workPerRow < PARALLEL_ELEMENTS) {
            for (int t = 0; t < tokens; t++) {
                job.row(0, t);
            }
            return;
        }
        job.tokens = tokens;
        job.perChunk = ceilDiv(tokens, 4 * threads());
        pool.run(job, ceilDiv(tokens, job.perChunk));
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }


    private CpuMatrix matrix(FloatMatrix m) {
        if (m instanceof CpuMatrix c) {
            return c;
        }
        throw new IllegalArgumentException("not a CPU matrix: " + m);
    }

    private CpuWeight weight(Weight w) {
        if (w instanceof CpuWeight c) {
            return c;
        }
        throw new IllegalArgumentException("not a CPU weight: " + w);
    }

    private CpuKvStorage kv(KvStorage kv) {
        if (kv instanceof CpuKvStorage c) {
            return c;
        }
        throw new IllegalArgumentException("not CPU KV storage: " + kv);
    }

    /** Per-thread buffers, grown on demand and then reused. */
    private static final class Scratch {
        final float[] tile = new float[16 * Vec.L];
        /** One pass of the few-token path: up to four tokens by four rows. */
        final float[] quad = new float[16];
        private float[] rows = new float[0];
        private float[] panel = new float[0];
        private float[] packedX = new float[0];
        private float[] scores = new float[0];
        private float[] kvRows = new float[0];
        private float[] widenedScales = new float[0];
        /** An attention tile's tokens: first and last positions, count and score offset of each. */
        final int[] firsts = new int[QUERY_TILE];
        final int[] lasts = new int[QUERY_TILE];
        final int[] counts = new int[QUERY_TILE];
        final int[] offsets = new int[QUERY_TILE];
        private float[] cos = new float[0];
        private float[] sin = new float[0];

        private int[] queries = new int[0];
        private float[] blockScores = new float[0];

        /** Where each query of an attention block call starts in q. */
        int[] queries(int n) {
            if (queries.length < n) {
                queries = new int[n];
            }
            return queries;
        }

        /** A block's scores for each query of an attention tile. */
        float[] blockScores(int n) {
            if (blockScores.length < n) {
                blockScores = new float[n];
            }
            return blockScores;
        }

        /** Cached rows widened to floats (attention over an F16 cache): a key, or a block's values. */
        /** A Q8_0 block's key scales as floats. */
        float[] widenedScales(int n) {
            if (widenedScales.length < n) {
                widenedScales = new float[n];
            }
            return widenedScales;
        }

        float[] kvRows(int n) {
            if (kvRows.length < n) {
                kvRows = new float[n];
            }
            return kvRows;
        }

        float[] rows(int n) {
            if (rows.length < n) {
                rows = new float[n];
            }
            return rows;
        }

        float[] panel(int n) {
            if (panel.length < n) {
                panel = new float[n];
            }
            return panel;
        }

        float[] packedX(int n) {
            if (packedX.length < n) {
                packedX = new float[n];
            }
            return packedX;
        }

        float[] scores(int n) {
            if (scores.length < n) {
                scores = new float[Math.max(n, scores.length * 2)];
            }
            return scores;
        }

        float[] cos(int n) {
            if (cos.length < n) {
                cos = new float[n];
            }
            return cos;
        }

        float[] sin(int n) {
            if (sin.length < n) {
                sin = new float[n];
            }
            return sin;
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            pool.close();
        }
    }
}
