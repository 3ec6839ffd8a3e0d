package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.ExpertFfnForm;
import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.TopKRouting;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * How close each weight-reading op of a decode step comes to the device's memory bandwidth, op by
 * op, on the shapes of Mixtral-8x7B (the gpu-bench preset): the matmuls of attention, the output
 * head and one expert at 1 and 8 tokens, and a whole MoE layer's routed experts at 1 and 8 tokens;
 * and the matmuls at a prompt chunk's 256 tokens, in TFLOP/s (tensor cores); then what choosing a
 * step's tokens costs, rows of logits read back against their best tokens found on the device.
 * Each op runs {@value #CALLS} times back to back (as decode issues them, repeated launches replay
 * as graphs), after a warm-up; the figure is the weight bytes it must read per call divided by the
 * time per call, against the device-to-device bandwidth that {@code bench} measures its bound with.
 * What a decode step's share of that bound is lost to, where the whole-step figure alone cannot say.
 *
 * <pre>java --enable-native-access=ALL-UNNAMED -cp switchyard.jar dev.switchyard.kernels.cuda.DeviceOpBandwidth [bf16|q8_0|q4_0 ...]</pre>
 */
public final class DeviceOpBandwidth {

    private static final int CALLS = 20;
    private static final int DIM = 4096;
    private static final int KV_DIM = 1024;
    private static final int FFN = 14336;
    private static final int VOCAB = 32000;
    private static final int EXPERTS = 8;
    private static final int TOP_K = 2;
    /** A prompt chunk's tokens: there the matmuls are bound by arithmetic (tensor cores), not by reading. */
    private static final int PROMPT_TOKENS = 256;
    /** Mixtral's vocabulary and Qwen3's. */
    private static final int[] SAMPLING_VOCABULARIES = {32000, 151936};

    private DeviceOpBandwidth() {
    }

    public static void main(String[] args) {
        CudaProbe.Result probe = CudaProbe.probe();
        if (!probe.available()) {
            System.err.println(probe.describe());
            System.exit(1);
        }
        String[] types = args.length > 0 ? args : new String[] {"bf16", "q8_0"};
        try (CudaBackend cuda = CudaBackend.open(0); Arena arena = Arena.ofConfined()) {
            double deviceGbs = cuda.measureMemoryBandwidth().orElseThrow();
            System.out.printf(Locale.ROOT, "op bandwidth on %s against %.0f GB/s (device-to-device copy, read + written)%n",
                    cuda, deviceGbs);
            for (String name : types) {
                GgmlType type = GgmlType.fromName(name);
                // each weight once per type (device memory is freed only with the context)
                Weight q = weight(cuda, arena, type, DIM, DIM, 1);
                Weight k = weight(cuda, arena, type, KV_DIM, DIM, 1);
                Weight gateUp = weight(cuda, arena, type, FFN, DIM, 1);
                Weight down = weight(cuda, arena, type, DIM, FFN, 1);
                Weight head = weight(cuda, arena, type, VOCAB, DIM, 1);
                Weight[] experts = {weight(cuda, arena, type, FFN, DIM, EXPERTS), weight(cuda, arena, type, FFN, DIM, EXPERTS),
                    weight(cuda, arena, type, DIM, FFN, EXPERTS)};
                for (int tokens : new int[] {1, 8, PROMPT_TOKENS}) {
                    matmul(cuda, type, "attention q/o", q, tokens, deviceGbs);
                    matmul(cuda, type, "attention k/v", k, tokens, deviceGbs);
                    matmul(cuda, type, "expert gate/up", gateUp, tokens, deviceGbs);
                    matmul(cuda, type, "expert down", down, tokens, deviceGbs);
                    matmul(cuda, type, "output head", head, tokens, deviceGbs);
                    if (tokens < PROMPT_TOKENS) {
                        routedExperts(cuda, type, experts, tokens, deviceGbs);
                    }
                }
            }
            for (int vocab : SAMPLING_VOCABULARIES) {
                for (int rows : new int[] {1, 16}) {
                    sampling(cuda, vocab, rows);
                }
            }
        }
    }

    /**
     * What choosing a step's tokens costs on the host's side of the link: the rows of logits read
     * back whole, against the best 1, 40 and 128 tokens found on the device ({@code topRows}).
     */
    private static void sampling(CudaBackend cuda, int vocab, int rows) {
        FloatMatrix logits = cuda.allocate(rows, vocab);
        SplittableRandom random = new SplittableRandom(vocab);
        float[][] host = new float[rows][vocab];
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < vocab; i++) {
                host[r][i] = (float) (4 * random.nextGaussian());
            }
            logits.writeRow(r, host[r]);
        }
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "op sampling vocabulary %d, %2d rows: read whole %8.1f us",
                vocab, rows, 1e6 * perCall(cuda, () -> logits.readRows(0, rows, host))));
        for (int count : new int[] {1, 40, Backend.MAX_TOP_ROWS}) {
            int[] ids = new int[rows * count];
            float[] values = new float[rows * count];
            double[] logZ = new double[rows];
            double seconds = perCall(cuda, () -> cuda.topRows(logits, rows, count, ids, values, logZ));
            line.append(String.format(Locale.ROOT, ", best %d %7.1f us", count, 1e6 * seconds));
        }
        System.out.println(line);
    }

    /** A weight of {@code count} matrices (rows x cols) whose every byte is 0x3c: finite values in every format. */
    private static Weight weight(CudaBackend cuda, Arena arena, GgmlType type, int rows, int cols, int count) {
        MemorySegment data = arena.allocate(type.byteSize((long) rows * cols * count), 64);
        data.fill((byte) 0x3c);
        return cuda.weight(type, data, count == 1 ? new long[] {cols, rows} : new long[] {cols, rows, count});
    }

    private static void matmul(CudaBackend cuda, GgmlType type, String what, Weight w, int tokens, double deviceGbs) {
        FloatMatrix x = cuda.allocate(tokens, w.cols());
        FloatMatrix out = cuda.allocate(tokens, w.rows());
        double seconds = perCall(cuda, () -> cuda.matmul(w, 0, x, out, tokens));
        report(type, what + " " + w.rows() + "x" + w.cols(), tokens, type.byteSize((long) w.rows() * w.cols()), seconds,
                deviceGbs);
        if (tokens == PROMPT_TOKENS) {
            System.out.printf(Locale.ROOT, "op %-5s %-36s T=%d  %8.1f TFLOP/s%n", type.name().toLowerCase(Locale.ROOT),
                    what + " " + w.rows() + "x" + w.cols(), tokens, 2.0 * w.rows() * w.cols() * tokens / seconds / 1e12);
        }
    }

    /**
     * One MoE layer routed on the device: router logits that send every token to experts 0 and 1
     * (the weights read are those two experts' gate, up and down, whatever the token count).
     */
    private static void routedExperts(CudaBackend cuda, GgmlType type, Weight[] experts, int tokens, double deviceGbs) {
        FloatMatrix logits = cuda.allocate(tokens, EXPERTS);
        float[] row = new float[EXPERTS];
        row[0] = 2f;
        row[1] = 1f;
        for (int t = 0; t < tokens; t++) {
            logits.writeRow(t, row);
        }
        FloatMatrix h = cuda.allocate(tokens, DIM);
        FloatMatrix x = cuda.allocate(tokens, DIM);
        double seconds = perCall(cuda, () -> cuda.routedExperts(logits, h, experts[0], experts[1], experts[2],
                ExpertFfnForm.SWIGLU, TopKRouting.softmax(TOP_K, true), x, tokens, 0));
        long bytes = TOP_K * (2 * type.byteSize((long) FFN * DIM) + type.byteSize((long) DIM * FFN));
        report(type, "routed experts, top-" + TOP_K + " of " + EXPERTS, tokens, bytes, seconds, deviceGbs);
    }

    /** Seconds per call of {@code op}: {@value #CALLS} calls after as many to warm up, timed to the stream's end. */
    private static double perCall(CudaBackend cuda, Runnable op) {
        for (int i = 0; i < CALLS; i++) {
            op.run();
        }
        cuda.synchronize();
        long start = System.nanoTime();
        for (int i = 0; i < CALLS; i++) {
            op.run();
        }
        cuda.synchronize();
        return (System.nanoTime() - start) / 1e9 / CALLS;
    }

    private static void report(GgmlType type, String what, int tokens, long bytes, double seconds, double deviceGbs) {
        double gbs = bytes / seconds / 1e9;
        System.out.printf(Locale.ROOT, "op %-5s %-36s T=%d  %8.1f us  %7.1f GB/s  %5.1f%% of the device's%n",
                type.name().toLowerCase(Locale.ROOT), what, tokens, seconds * 1e6, gbs, 100 * gbs / deviceGbs);
    }
}
