package dev.switchyard.server.cli;

import dev.switchyard.cache.trace.TraceHeader;
import dev.switchyard.cache.trace.TraceWriter;
import dev.switchyard.engine.forward.OffloadedExperts;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.generate.TokenListener;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.server.trace.DecodeResidencyCounter;
import dev.switchyard.server.trace.RoutingTraceRecorder;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code switchyard trace record}: run prompts through a model and write the routing it chose. */
@Command(name = "record", mixinStandardHelpOptions = true,
        description = {"Generate from one or more prompts (one request each, in turn) and write every step's routing, "
                + "with the speculative gate's proposals, to a trace file. Without --model, the built-in demo model.",
                "With --expert-memory the run offloads its experts, as generate does, and also reports the live cache's "
                        + "decode hit rate and the sim command that replays this trace through the same cache."})
final class TraceRecordCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE.gguf", description = "The model (default: the built-in demo model).")
    Path model;

    @Option(names = {"-p", "--prompt"}, required = true, description = "A prompt; repeat for several requests.")
    List<String> prompts;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "256", description = "Tokens to generate per prompt (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "0 for greedy decoding (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--seed", defaultValue = "1", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--gate-depth", defaultValue = "2", paramLabel = "D",
            description = "Record the speculative gate's proposals for D layers ahead (default: ${DEFAULT-VALUE}).")
    int gateDepth;

    @Option(names = "--gate-width", paramLabel = "W", description = "Experts proposed per token per layer (default: the model's top-k).")
    Integer gateWidth;

    @Option(names = "--threads", description = "Worker threads (default: all cores).")
    Integer threads;

    @CommandLine.Mixin
    DispatchOptions dispatch = new DispatchOptions();

    @CommandLine.Mixin
    OffloadOptions offload = new OffloadOptions();

    @CommandLine.Mixin
    KvCacheOption kvCache = new KvCacheOption();

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE.trace", description = "The trace file to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        if (maxTokens < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--max-tokens must be at least 1");
        }
        int workers = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (workers < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--threads must be at least 1");
        }
        Path path = ModelPaths.resolve(model, err);
        var moe = dispatch.toConfig();
        try (CpuBackend backend = new CpuBackend(workers);
             LoadedModel loaded = LoadedModel.open(path, backend, Math.max(256, moe.window()), 1, c -> 0, moe,
                     offload.toOffload(), kvCache.type)) {
            ModelConfig c = loaded.config();
            if (!c.isMoe()) {
                throw new IllegalArgumentException(path + " is a dense model: it routes nothing to trace");
            }
            TraceHeader header = header(c, loaded.file(), path);
            RoutingTraceRecorder recorder;
            boolean done = false;
            try (TraceWriter writer = TraceWriter.create(output, header)) {
                recorder = new RoutingTraceRecorder(writer, loaded.transformer().speculativeGate());
                OffloadedExperts offloaded = loaded.offloadedExperts();
                DecodeResidencyCounter live = offloaded == null ? null
                        : new DecodeResidencyCounter(offloaded.residency().stats());
                loaded.transformer().setRoutingObserver(live == null ? recorder : recorder.andThen(live));
                SamplingParams sampling = SamplingParams.builder().temperature(temperature).seed(seed).ignoreEos(true).build();
                long start = System.nanoTime();
                for (int i = 0; i < prompts.size(); i++) {
                    recorder.request(i);
                    int[] ids = PromptEncoder.encode(loaded, prompts.get(i), false, null, err);
                    int budget = Math.min(maxTokens, c.contextLength() - ids.length);
                    if (budget < 1) {
                        throw new IllegalArgumentException("prompt " + (i + 1) + " (" + ids.length
                                + " tokens) fills the model's context of " + c.contextLength());
                    }
                    loaded.generator().generate(List.of(new GenerationRequest(ids, sampling, budget)), TokenListener.NONE);
                }
                loaded.transformer().setRoutingObserver(null);
                if (live != null) {
                    live.finish();
                }
                err.printf(Locale.ROOT, "wrote %s: %d steps, %d tokens of %d request(s), %d layers x %d experts top-%d, "
                                + "gate proposals %d layer(s) ahead, in %.1f s%n", output, writer.stepsWritten(),
                        recorder.tokensRecorded(), prompts.size(), c.routedLayers(), c.expertCount(), c.expertUsedCount(),
                        header.gateDepth(), (System.nanoTime() - start) / 1e9);
                if (live != null) {
                    liveCache(offloaded, live, c).forEach(err::println);
                }
                done = true;
            } finally {
                if (!done) {
                    Files.deleteIfExists(output); // no half-written trace left behind
                }
            }
        }
        return 0;
    }

    /**
     * What the live cache did, as generate reports it, then its hit rate over decode steps (what the
     * simulator counts) and, without a predictor, the replay that puts the simulator's Caffeine
     * policy in its place: a cache of as many experts as the live one keeps, on this trace.
     */
    private List<String> liveCache(OffloadedExperts offloaded, DecodeResidencyCounter live, ModelConfig c) {
        var residency = offloaded.residency();
        var counters = residency.stats().snapshot();
        int total = c.routedLayers() * c.expertCount();
        List<String> lines = new ArrayList<>();
        lines.add(OffloadReport.summary(offloaded, counters));
        lines.add(String.format(Locale.ROOT, "live decode hit rate %.2f%% (%d hits, %d misses), %d of %d experts kept, "
                        + "predictor %s", 100 * live.hitRate(), live.hits(), live.misses(), residency.capacity(), total,
                offloaded.settings().predictor()));
        if (offloaded.settings().predicts()) {
            lines.addAll(OffloadReport.predictorTable(counters));
        } else {
            String fraction = BigDecimal.valueOf(residency.capacity())
                    .divide(BigDecimal.valueOf(total), MathContext.DECIMAL64).stripTrailingZeros().toPlainString();
            lines.add("the same cache simulated: switchyard sim --trace " + output + " --policy caffeine --cache " + fraction);
        }
        return lines;
    }

    private TraceHeader header(ModelConfig c, GgufFile file, Path path) {
        int k = c.expertUsedCount();
        int width = gateWidth != null ? gateWidth : k;
        if (gateDepth < 0 || gateDepth > c.routedLayers() - 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--gate-depth must be in 0.."
                    + (c.routedLayers() - 1) + " for a model of " + c.routedLayers() + " layers with experts");
        }
        if (width < 1 || width > c.expertCount()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--gate-width must be in 1.." + c.expertCount());
        }
        long expertBytes = 0;
        for (String part : new String[] {"gate", "up", "down"}) {
            expertBytes += file.requireTensor("blk." + c.blockOfRoutedLayer(0) + ".ffn_" + part + "_exps.weight")
                    .byteSize() / c.expertCount();
        }
        return new TraceHeader(c.routedLayers(), c.expertCount(), k, gateDepth, gateDepth == 0 ? 0 : width, expertBytes,
                "recorded: model=" + path.getFileName() + " prompts=" + prompts.size() + " max-tokens=" + maxTokens
                        + " temperature=" + temperature + " seed=" + seed);
    }
}
