package dev.switchyard.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.cache.residency.ResidencyCounters;
import dev.switchyard.engine.bench.BandwidthProbe;
import dev.switchyard.engine.bench.DecodeTraffic;
import dev.switchyard.engine.bench.JitWarmup;
import dev.switchyard.engine.forward.ExpertOffload;
import dev.switchyard.engine.generate.BatchGenerator;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.lora.LoraAdapter;
import dev.switchyard.engine.lora.LoraMix;
import dev.switchyard.server.serving.AdapterSpec;
import dev.switchyard.engine.generate.GenerationResult;
import dev.switchyard.engine.generate.TokenListener;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.moe.DispatchStats;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.engine.schedule.SchedulerObserver;
import dev.switchyard.engine.schedule.Speculation;
import dev.switchyard.kernels.Backend;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code switchyard bench}: prefill and decode throughput against the memory-bandwidth bound.
 *
 * <p>Decode speed at batch B is measured within a run of B prompts generating {@code --gen-tokens}
 * each: a step holds all B prompts (up to {@value #MAX_STEP_TOKENS} tokens), so the sequences start
 * decoding together, and the tokens that follow their first ones are timed from the first ones to
 * the last ({@link DecodeClock}), every decode step carrying the whole batch. Each figure is the best of {@code --repeat} runs after
 * warm-up runs that last until the JIT has settled ({@link JitWarmup}).
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure prefill and decode tokens/s, and how close decode comes to the memory-bandwidth bound.")
final class BenchCommand implements Callable<Integer> {

    private static final JitWarmup WARMUP = JitWarmup.ofThisJvm();
    /** The most tokens a bench step is sized for when it reads a whole batch's prompts at once. */
    private static final int MAX_STEP_TOKENS = 16384;

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE.gguf", description = "The model (default: the built-in demo model).")
    Path model;

    @Option(names = "--prompt-tokens", defaultValue = "128", description = "Prompt length (default: ${DEFAULT-VALUE}).")
    int promptTokens;

    @Option(names = "--gen-tokens", defaultValue = "64", description = "Tokens generated per sequence (default: ${DEFAULT-VALUE}).")
    int genTokens;

    @Option(names = "--batch", defaultValue = "1,4,16", split = ",", description = "Batch sizes for decode (default: ${DEFAULT-VALUE}).")
    int[] batches;

    @picocli.CommandLine.Mixin
    DeviceOption device = new DeviceOption();

    @Option(names = "--threads", description = "CPU worker threads (default: all cores).")
    Integer threads;

    @picocli.CommandLine.Mixin
    DispatchOptions dispatch = new DispatchOptions();

    @picocli.CommandLine.Mixin
    OffloadOptions offload = new OffloadOptions();

    @picocli.CommandLine.Mixin
    HybridOption hybrid = new HybridOption();

    @picocli.CommandLine.Mixin
    KvCacheOption kvCache = new KvCacheOption();

    @picocli.CommandLine.Mixin
    SpeculationOption speculation = new SpeculationOption();

    @picocli.CommandLine.Mixin
    LoraOptions lora = new LoraOptions();

    /** What every measured sequence applies: the adapters given, at their scales. */
    private LoraMix adapterMix = LoraMix.NONE;

    @Option(names = "--predicted-outputs",
            description = "Also decode each batch with every request's own reply as its prediction (OpenAI's Predicted "
                    + "Outputs): the speed of a prediction that holds throughout (decode_predicted_tok_s).")
    boolean predictedOutputs;

    @Option(names = "--repeat", defaultValue = "3", description = "Measured runs per figure; the best counts (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--json", description = "Print the figures as one JSON object on one line.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        if (promptTokens < 1 || genTokens < 2 || repeat < 1 || batches.length == 0 || Arrays.stream(batches).anyMatch(b -> b < 1)) {
            throw new IllegalArgumentException("--prompt-tokens >= 1, --gen-tokens >= 2, --repeat >= 1 and batches >= 1 are required");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ExpertOffload experts = offload.toOffload(hybrid.enabled());
        Path path = ModelPaths.resolve(model, err);
        int maxBatch = Arrays.stream(batches).max().orElseThrow();
        Map<String, Object> result = new LinkedHashMap<>();
        DispatchConfig moe = dispatch.toConfig();
        // room for every prompt of the largest batch in one step: all its sequences start decoding
        // together, so every decode step measured carries the whole batch (up to a bound on the step's
        // buffers; past it prompts are read in turn, and decode is timed once all have started)
        long together = (long) promptTokens * maxBatch;
        int stepTokens = (int) Math.max(Math.max(promptTokens, Math.min(together, MAX_STEP_TOKENS)), moe.window());
        try (Backend backend = device.open(threads, err);
             LoadedModel loaded = LoadedModel.open(path, backend, stepTokens, maxBatch,
                     c -> maxBatch * (promptTokens + genTokens), moe, experts, kvCache.type);
             LoadedModel draftModel = speculation.openDraft(backend, loaded, stepTokens, maxBatch, kvCache.type)) {
            if (promptTokens + genTokens > loaded.config().contextLength()) {
                throw new IllegalArgumentException("--prompt-tokens + --gen-tokens exceed the model's context of "
                        + loaded.config().contextLength());
            }
            List<AdapterSpec> adapters = lora.adapters();
            List<LoraAdapter> loadedAdapters = loaded.loadAdapters(AdapterSpec.files(adapters));
            adapterMix = LoraOptions.mix(adapters);
            Speculation lookup = speculation.speculation();
            long[] proposals = new long[2]; // proposed, kept: over every decode run, warm-ups included
            BatchGenerator generator = loaded.generator(lookup, new SchedulerObserver() {
                @Override
                public void speculated(int drafted, int accepted) {
                    proposals[0] += drafted;
                    proposals[1] += accepted;
                }
            }, speculation.asDraft(draftModel, loaded));
            int vocab = loaded.config().vocabSize();
            result.put("model", path.toString());
            result.put("device", backend.name());
            result.put("threads", backend.threads());
            result.put("kv_cache_type", kvCache.type.label());
            if (!loadedAdapters.isEmpty()) {
                result.put("lora", LoraOptions.describe(adapters, loadedAdapters).substring(", LoRA ".length()));
            }
            result.put("prompt_tokens", promptTokens);
            result.put("gen_tokens", genTokens);

            List<GenerationRequest> one = prompts(1, 1, vocab, loaded);
            double prefill = best(() -> time(generator, one));
            double prefillTokS = promptTokens / prefill;
            result.put("prefill_tok_s", round(prefillTokS));

            Map<String, Double> decode = new LinkedHashMap<>();
            Map<String, Double> decodePredicted = new LinkedHashMap<>();
            long[] predictions = new long[2]; // accepted, rejected: over every predicted run, warm-ups included
            Map<String, Object> offloading = new LinkedHashMap<>();
            Map<String, Object> predictor = new LinkedHashMap<>();
            Map<String, List<String>> predictorTables = new LinkedHashMap<>();
            boolean predicts = loaded.offloadedExperts() != null && loaded.offloadedExperts().settings().predicts();
            for (int b : batches) {
                List<GenerationRequest> full = prompts(b, genTokens, vocab, loaded);
                int batch = b;
                // the best rate is the shortest time per token
                double secondsPerToken = best(() -> 1 / decodeRate(generator, full, batch));
                decode.put(String.valueOf(b), round(1 / secondsPerToken));
                if (predictedOutputs) {
                    List<GenerationResult> replies = generator.generate(full, TokenListener.NONE);
                    List<GenerationRequest> predicted = new ArrayList<>();
                    for (int i = 0; i < full.size(); i++) {
                        predicted.add(full.get(i).withPrediction(replies.get(i).tokens()));
                    }
                    double predictedSeconds = best(() -> {
                        DecodeClock clock = new DecodeClock(batch);
                        for (GenerationResult r : generator.generate(predicted, clock)) {
                            predictions[0] += r.acceptedPredictionTokens();
                            predictions[1] += r.rejectedPredictionTokens();
                        }
                        return 1 / clock.tokensPerSecond();
                    });
                    decodePredicted.put(String.valueOf(b), round(1 / predictedSeconds));
                }
                if (loaded.offloadedExperts() != null) {
                    DecodeWindow window = decodeResidency(loaded, generator, full, b);
                    ResidencyCounters decodeOnly = window.counters();
                    offloading.put(String.valueOf(b), OffloadReport.perToken(decodeOnly, window.tokens()));
                    if (predicts) {
                        predictor.put(String.valueOf(b), OffloadReport.predictorByLayer(decodeOnly));
                        predictorTables.put(String.valueOf(b), OffloadReport.predictorTable(decodeOnly));
                    }
                }
            }
            result.put("decode_tok_s", decode);
            if (predictedOutputs) {
                result.put("decode_predicted_tok_s", decodePredicted);
                result.put("accepted_prediction_tokens", predictions[0]);
                result.put("rejected_prediction_tokens", predictions[1]);
            }
            if (lookup.enabled()) {
                result.put("speculative_tokens", lookup.draftTokens());
                result.put("proposer", draftModel == null ? "lookup" : "draft " + speculation.draftModel);
                result.put("proposed_tokens", proposals[0]);
                result.put("kept_tokens", proposals[1]);
            }
            if (loaded.offloadedExperts() != null) {
                result.put("expert_slots", loaded.offloadedExperts().residency().slots());
                result.put("expert_tier", loaded.offloadedExperts().describe());
                result.put("offload_per_decode_token", offloading);
            }
            if (predicts) {
                result.put("predictor", loaded.offloadedExperts().settings().predictor());
                result.put("predictor_by_layer", predictor);
            }

            if (loaded.config().isMoe() && moe.capacityLimited()) {
                result.put("dispatch", dispatchComparison(path, backend, loaded, moe, maxBatch, stepTokens));
            }

            long bytesPerToken = DecodeTraffic.bytesPerToken(loaded.config(), loaded.file());
            result.put("bytes_per_decode_token", bytesPerToken);
            // The memory-bandwidth bound: the device's own memory where the backend has one, else
            // the host's, measured by the probe.
            BandwidthProbe.Result bw = null;
            OptionalDouble deviceBandwidth = backend.measureMemoryBandwidth();
            if (deviceBandwidth.isPresent()) {
                double bound = deviceBandwidth.getAsDouble() * 1e9 / bytesPerToken;
                result.put("bandwidth_gb_s", round(deviceBandwidth.getAsDouble()));
                result.put("bandwidth_source", "device memory: a 512 MiB device-to-device copy, bytes read + written");
                result.put("decode_bound_tok_s", round(bound));
                Double batch1 = decode.get("1");
                if (batch1 != null) {
                    result.put("bound_fraction", Math.round(batch1 / bound * 1000) / 1000.0);
                }
            } else if (backend.name().equals("cpu")) {
                bw = BandwidthProbe.measure(BandwidthProbe.DEFAULT_BYTES, backend.threads(), 5);
                double bound = bw.gigabytesPerSecond() * 1e9 / bytesPerToken;
                result.put("bandwidth_gb_s", round(bw.gigabytesPerSecond()));
                result.put("decode_bound_tok_s", round(bound));
                Double batch1 = decode.get("1");
                if (batch1 != null) {
                    result.put("bound_fraction", Math.round(batch1 / bound * 1000) / 1000.0);
                }
            }
            if (json) {
                out.println(new ObjectMapper().writeValueAsString(result));
            } else {
                printTable(out, result, decode, predictorTables, bw);
            }
            out.flush();
        }
        return 0;
    }

    /**
     * Prefill of a batch of prompts with the chosen overflow mode against dropless dispatch: what
     * capacity limits buy on this backend, and what they cost in dropped or rerouted assignments.
     */
    private Map<String, Object> dispatchComparison(Path path, Backend backend, LoadedModel limited, DispatchConfig moe,
                                                   int batch, int stepTokens) throws Exception {
        int vocab = limited.config().vocabSize();
        List<GenerationRequest> prompts = prompts(batch, 1, vocab, limited);
        int tokens = batch * promptTokens;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("overflow", moe.mode().cliName());
        m.put("capacity_factor", moe.gamma());
        m.put("capacity_scope", moe.scope().cliName());
        m.put("capacity_window", moe.window());
        m.put("prefill_batch", batch);
        try (LoadedModel dropless = LoadedModel.open(path, backend, stepTokens, batch, c -> batch * (promptTokens + 1),
                null, null, kvCache.type)) {
            dropless.loadAdapters(AdapterSpec.files(lora.adapters()));
            BatchGenerator none = dropless.generator();
            m.put("prefill_tok_s_none", round(tokens / best(() -> time(none, prompts))));
        }
        BatchGenerator generator = limited.generator();
        double seconds = best(() -> time(generator, prompts));
        m.put("prefill_tok_s_" + moe.mode().cliName(), round(tokens / seconds));
        DispatchStats stats = limited.transformer().dispatchStats();
        stats.reset();
        time(generator, prompts);
        m.put("load_ratio_max_over_mean", Math.round(stats.loadRatio() * 1000) / 1000.0);
        m.put("dropless_load_ratio_max_over_mean", Math.round(stats.droplessLoadRatio() * 1000) / 1000.0);
        m.put("dropped_fraction", stats.dropRate());
        m.put("rerouted_fraction", stats.rerouteRate());
        return m;
    }

    private void printTable(PrintWriter out, Map<String, Object> r, Map<String, Double> decode,
                            Map<String, List<String>> predictorTables, BandwidthProbe.Result bw) {
        out.printf(Locale.ROOT, "model %s, %s, %d threads, prompt %d tokens, %d generated%n", r.get("model"), r.get("device"),
                r.get("threads"), promptTokens, genTokens);
        out.printf(Locale.ROOT, "prefill              %10.1f tok/s%n", (Double) r.get("prefill_tok_s"));
        decode.forEach((b, v) -> out.printf(Locale.ROOT, "decode batch %-6s  %10.1f tok/s%n", b, v));
        if (r.get("decode_predicted_tok_s") instanceof Map<?, ?> p) {
            p.forEach((b, v) -> out.printf(Locale.ROOT, "predicted batch %-3s  %10.1f tok/s  (each reply its own prediction)%n",
                    b, (Double) v));
            out.printf(Locale.ROOT, "predictions          %d tokens accepted, %d rejected%n",
                    (Long) r.get("accepted_prediction_tokens"), (Long) r.get("rejected_prediction_tokens"));
        }
        if (r.get("speculative_tokens") != null) {
            out.printf(Locale.ROOT, "speculation          %d of %d proposed tokens kept (up to %s a step, %s)%n",
                    (Long) r.get("kept_tokens"), (Long) r.get("proposed_tokens"), r.get("speculative_tokens"),
                    r.get("proposer"));
        }
        if (r.get("dispatch") instanceof Map<?, ?> d) {
            out.printf(Locale.ROOT, "dispatch             %s%n", d);
        }
        if (r.get("offload_per_decode_token") instanceof Map<?, ?> o) {
            out.printf(Locale.ROOT, "expert slots         %10d   (%s)%n", (Integer) r.get("expert_slots"), r.get("expert_tier"));
            o.forEach((b, v) -> out.printf(Locale.ROOT, "offload batch %-5s  %s per decode token%n", b, v));
        }
        predictorTables.forEach((b, lines) -> {
            out.printf(Locale.ROOT, "predictor %s, decode at batch %s:%n", r.get("predictor"), b);
            lines.forEach(line -> out.println("  " + line));
        });
        if (bw == null) {
            out.printf(Locale.ROOT, "weights per token    %10.1f MiB   (attention, router, top-k experts, output head)%n",
                    ((Long) r.get("bytes_per_decode_token")) / 1048576.0);
            if (r.containsKey("bandwidth_source")) {
                out.printf(Locale.ROOT, "memory bandwidth     %10.1f GB/s  (%s)%n", (Double) r.get("bandwidth_gb_s"),
                        r.get("bandwidth_source"));
                out.printf(Locale.ROOT, "decode bound         %10.1f tok/s at batch 1%n", (Double) r.get("decode_bound_tok_s"));
                if (r.containsKey("bound_fraction")) {
                    out.printf(Locale.ROOT, "reached              %10.1f %% of the bound at batch 1%n",
                            100 * (Double) r.get("bound_fraction"));
                }
            }
            return;
        }
        out.printf(Locale.ROOT, "memory bandwidth     %10.1f GB/s  (read of a %d MiB buffer by %d threads, best of %d, as STREAM's read test)%n",
                bw.gigabytesPerSecond(), bw.bufferBytes() >> 20, bw.threads(), bw.passes());
        out.printf(Locale.ROOT, "weights per token    %10.1f MiB   (attention, router, top-k experts, output head)%n",
                ((Long) r.get("bytes_per_decode_token")) / 1048576.0);
        out.printf(Locale.ROOT, "decode bound         %10.1f tok/s at batch 1%n", (Double) r.get("decode_bound_tok_s"));
        if (r.containsKey("bound_fraction")) {
            out.printf(Locale.ROOT, "reached              %10.1f %% of the bound at batch 1%n", 100 * (Double) r.get("bound_fraction"));
        }
    }

    /** {@code count} prompts of random non-special tokens, seeded so every run sees the same ones. */
    private List<GenerationRequest> prompts(int count, int maxTokens, int vocab, LoadedModel loaded) {
        SamplingParams greedy = SamplingParams.builder().temperature(0).ignoreEos(true).build();
        List<GenerationRequest> list = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(1234);
        for (int i = 0; i < count; i++) {
            int[] ids = new int[promptTokens];
            for (int j = 0; j < ids.length; j++) {
                int id;
                do {
                    id = random.nextInt(vocab);
                } while (loaded.tokenizer().isControl(id) || loaded.tokenizer().isEog(id));
                ids[j] = id;
            }
            list.add(new GenerationRequest(ids, greedy, maxTokens).withAdapters(adapterMix));
        }
        return list;
    }

    /** The residency's counters over a run's decode steps, and the tokens those steps produced. */
    record DecodeWindow(ResidencyCounters counters, long tokens) {
    }

    /**
     * The residency's counters over the decode steps of one run of {@code full}: from the moment
     * every request has its first token (all prefills done) to the end. Counted within one run, as
     * the cache's state carries over from run to run (a difference of two runs would mix states).
     */
    static DecodeWindow decodeResidency(LoadedModel loaded, BatchGenerator generator, List<GenerationRequest> full,
                                        int b) {
        var stats = loaded.offloadedExperts().residency().stats();
        boolean[] started = new boolean[b];
        int[] firstTokens = {0};
        long[] emitted = {0};
        long[] emittedAtDecode = {0};
        ResidencyCounters[] atDecode = {stats.snapshot()};
        generator.generate(full, (request, token, logprobs) -> {
            emitted[0]++;
            if (!started[request]) {
                started[request] = true;
                if (++firstTokens[0] == b) {
                    atDecode[0] = stats.snapshot();
                    emittedAtDecode[0] = emitted[0];
                }
            }
        });
        return new DecodeWindow(stats.snapshot().minus(atDecode[0]), Math.max(1, emitted[0] - emittedAtDecode[0]));
    }

    private static double decodeRate(BatchGenerator generator, List<GenerationRequest> requests, int batch) {
        DecodeClock clock = new DecodeClock(batch);
        generator.generate(requests, clock);
        return clock.tokensPerSecond();
    }

    private static double time(BatchGenerator generator, List<GenerationRequest> requests) {
        long start = System.nanoTime();
        generator.generate(requests, TokenListener.NONE);
        return (System.nanoTime() - start) / 1e9;
    }

    private double best(java.util.function.DoubleSupplier run) {
        WARMUP.warmUp(run); // page faults, and the JIT until it has settled
        double best = Double.MAX_VALUE;
        for (int i = 0; i < repeat; i++) {
            best = Math.min(best, run.getAsDouble());
        }
        return best;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
