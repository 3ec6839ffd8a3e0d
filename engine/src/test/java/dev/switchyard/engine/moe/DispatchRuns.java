package dev.switchyard.engine.moe;

import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.GenerationResult;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.generate.TokenListener;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.kernels.AttentionBatch;
import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.Weight;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.assertj.core.api.SoftAssertions;

/**
 * Runs batches of requests through the real forward pass of the tiny Mixtral (2 layers, 8 experts,
 * top-2) on the CPU backend with a given dispatch configuration, and records, per sequence slot, which
 * experts each of its tokens ran in each layer and with what weights.
 *
 * <p>The routing is observed at the backend seam, without touching the engine: a proxy around the CPU
 * backend notes the layer and the step's (sequence, position) of each row from the attention call, the
 * expert from each stacked-expert matmul, and the rows and weights from the scatter-add that follows
 * it. A dropped assignment runs no expert, so it simply does not appear.
 */
final class DispatchRuns {

    /** Prompt ids are drawn below this: the tiny vocabulary's last three ids are control tokens. */
    static final int PROMPT_VOCAB = 500;
    /** Tokens every request generates. */
    static final int GENERATED = 12;
    static final int WINDOW = 16;
    /** The tiny Mixtral's routed experts {@code E} and experts per token {@code k}. */
    static final int EXPERTS = 8;
    static final int TOP_K = 2;
    static final int LAYERS = 2;

    private DispatchRuns() {
    }

    static Path model() {
        return TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
    }

    static DispatchConfig config(OverflowMode mode, double gamma, CapacityScope scope) {
        return new DispatchConfig(mode, gamma, scope, WINDOW, true);
    }

    static SamplingParams greedy() {
        return SamplingParams.builder().temperature(0).ignoreEos(true).logprobs(3).build();
    }

    static SamplingParams seeded(long seed) {
        return SamplingParams.builder().temperature(0.9).topP(0.9).seed(seed).ignoreEos(true).logprobs(3).build();
    }

    static int[] randomPrompt(SplittableRandom random, int length) {
        int[] prompt = new int[length];
        for (int j = 0; j < length; j++) {
            prompt[j] = random.nextInt(PROMPT_VOCAB);
        }
        return prompt;
    }

    /**
     * One run's outcome: per request its result, the transformer's dispatch totals, and per request
     * (by index in the submitted list) its routing: key {@code layer << 32 | position}, value the sorted
     * "expert:weight-bits" assignments that ran.
     */
    record Run(List<GenerationResult> results, DispatchStats stats, List<TreeMap<Long, String>> routing) {

        GenerationResult result(int request) {
            return results.get(request);
        }

        /** Routed assignments that ran, over every layer and token of one request. */
        int assignmentsRun(int request) {
            int n = 0;
            for (String s : routing.get(request).values()) {
                n += s.split(" ").length;
            }
            return n;
        }
    }

    /**
     * Runs {@code requests} together. {@code maxSequences} is the request count, so every request is
     * admitted in the first step and request {@code i} holds sequence slot {@code i} throughout.
     */
    static Run run(DispatchConfig dispatch, List<GenerationRequest> requests, int stepTokens) throws Exception {
        return run(dispatch, requests, stepTokens, requests.size());
    }

    /**
     * Runs {@code requests} with at most {@code maxSequences} at once: the others wait for a free slot.
     * The KV cache is large enough that nothing is preempted.
     */
    static Run run(DispatchConfig dispatch, List<GenerationRequest> requests, int stepTokens, int maxSequences)
            throws Exception {
        int longest = requests.stream().mapToInt(r -> r.prompt().length + r.maxTokens()).max().orElse(1);
        Recorder recorder = new Recorder(new CpuBackend(2), maxSequences, requests.size());
        Backend backend = (Backend) Proxy.newProxyInstance(Backend.class.getClassLoader(),
                new Class<?>[] {Backend.class}, recorder);
        try (backend; LoadedModel model = LoadedModel.open(model(), backend, stepTokens, maxSequences,
                maxSequences * (longest + 16), dispatch)) {
            List<GenerationResult> results = model.generator().generate(requests, TokenListener.NONE);
            DispatchStats stats = new DispatchStats();
            stats.add(model.transformer().dispatchStats());
            return new Run(results, stats, recorder.routing());
        }
    }

    /**
     * Checks that request {@code actualIndex} of {@code actual} produced exactly what request
     * {@code expectedIndex} of {@code expected} did: tokens, logprobs and, where both runs recorded it,
     * routing.
     */
    static void assertSameOutcome(SoftAssertions soft, String what, Run actual, int actualIndex, Run expected,
                                  int expectedIndex) {
        soft.assertThat(actual.result(actualIndex).tokens()).as("%s: tokens", what)
                .containsExactly(expected.result(expectedIndex).tokens());
        soft.assertThat(actual.result(actualIndex).logprobs()).as("%s: logprobs", what)
                .containsExactly(expected.result(expectedIndex).logprobs());
        if (actual.routing() != null && expected.routing() != null) {
            soft.assertThat(actual.routing().get(actualIndex)).as("%s: routing", what)
                    .isEqualTo(expected.routing().get(expectedIndex));
        }
    }

    /**
     * Notes which experts ran for which (request, position) in which layer. The scheduler admits
     * requests in order, each into a free slot, and a request's first chunk starts at position 0; with
     * no preemption, the n-th row at position 0 is therefore request n's, and its slot is that
     * request's until the next position 0 in it.
     */
    private static final class Recorder implements InvocationHandler {

        private final Backend target;
        private final List<Map<Long, List<long[]>>> byRequest = new ArrayList<>();
        private final int[] requestInSlot;
        private int admitted;
        private int layer = -1;
        private int[] sequenceOf = new int[0];
        private int[] positionOf = new int[0];
        private int expert = -1;

        Recorder(Backend target, int slots, int requests) {
            this.target = target;
            this.requestInSlot = new int[slots];
            for (int r = 0; r < requests; r++) {
                byRequest.add(new HashMap<>());
            }
        }

        @Override
        public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
            switch (method.getName()) {
                case "attention" -> {
                    layer = (Integer) args[2];
                    AttentionBatch batch = (AttentionBatch) args[3];
                    sequenceOf = Arrays.copyOf(batch.sequenceOf(), batch.tokens());
                    positionOf = Arrays.copyOf(batch.positionOf(), batch.tokens());
                    expert = -1;
                    if (layer == 0) {
                        for (int row = 0; row < positionOf.length; row++) {
                            if (positionOf[row] == 0) {
                                requestInSlot[sequenceOf[row]] = admitted++;
                            }
                        }
                    }
                }
                case "matmul" -> expert = ((Weight) args[0]).count() > 1 ? (Integer) args[1] : -1;
                case "scatterAddRows" -> {
                    if (expert >= 0) {
                        int[] rows = (int[]) args[1];
                        float[] weights = (float[]) args[2];
                        int n = (Integer) args[4];
                        for (int i = 0; i < n; i++) {
                            int row = rows[i];
                            long key = (long) layer << 32 | positionOf[row];
                            byRequest.get(requestInSlot[sequenceOf[row]]).computeIfAbsent(key, x -> new ArrayList<>())
                                    .add(new long[] {expert, Float.floatToRawIntBits(weights[i])});
                        }
                    }
                    expert = -1;
                }
                default -> { }
            }
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }

        List<TreeMap<Long, String>> routing() {
            List<TreeMap<Long, String>> out = new ArrayList<>();
            for (Map<Long, List<long[]>> slot : byRequest) {
                TreeMap<Long, String> sorted = new TreeMap<>();
                slot.forEach((key, list) -> {
                    list.sort((a, b) -> Long.compare(a[0], b[0]));
                    StringBuilder sb = new StringBuilder();
                    for (long[] a : list) {
                        if (!sb.isEmpty()) {
                            sb.append(' ');
                        }
                        sb.append(a[0]).append(':').append(Integer.toHexString((int) a[1]));
                    }
                    sorted.put(key, sb.toString());
                });
                out.add(sorted);
            }
            return out;
        }
    }
}
