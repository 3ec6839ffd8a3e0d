package dev.switchyard.server.cli;

import dev.switchyard.cache.predict.PredictionStats;
import dev.switchyard.cache.predict.PredictorEvaluation;
import dev.switchyard.cache.predict.Predictors;
import dev.switchyard.cache.report.HitRateChart;
import dev.switchyard.cache.report.PredictionTable;
import dev.switchyard.cache.report.SimCsv;
import dev.switchyard.cache.report.SimTable;
import dev.switchyard.cache.sim.AccessStream;
import dev.switchyard.cache.sim.SimResult;
import dev.switchyard.cache.sim.Simulator;
import dev.switchyard.cache.timing.DeviceProfile;
import dev.switchyard.cache.timing.ModelShape;
import dev.switchyard.cache.trace.RoutingTrace;
import dev.switchyard.cache.trace.TraceHeader;
import dev.switchyard.cache.trace.TraceReader;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
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

/** {@code switchyard sim}: replay routing traces against residency policies and cache sizes. */
@Command(name = "sim", mixinStandardHelpOptions = true,
        description = {"Replay routing traces (back to back, as one workload) against expert-cache policies at several cache "
                + "sizes, and predict decode speed on a device from the hits, prefetches and misses.",
                "Policies: lru, lfu, caffeine (W-TinyLFU), nextuse (evicts the longest expected wait until next use, "
                        + "from the layer cycle and pick rates), predictive (LRU plus the predictor's prefetches), "
                        + "static-opt (the most used experts, chosen in hindsight: the bound for policies that learn "
                        + "frequencies), opt (Belady's optimum for demand caching: the bound for all demand policies).",
                "Prefill steps warm the cache but are not counted."})
final class SimCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--trace", required = true, split = ",", paramLabel = "FILE", description = "Trace files, comma-separated.")
    List<Path> traces;

    @Option(names = "--cache", split = ",", defaultValue = "10%,25%,50%,75%", paramLabel = "SIZE",
            converter = SimConverters.CacheFraction.class,
            description = "Cache sizes as shares of all experts: 25%% or 0.25 (default: 10%%,25%%,50%%,75%%).")
    List<Double> cacheFractions;

    @Option(names = "--policy", split = ",", defaultValue = "lru,lfu,caffeine,nextuse,predictive,static-opt,opt", paramLabel = "NAME",
            converter = SimConverters.PolicyName.class, description = "Policies (default: ${DEFAULT-VALUE}).")
    List<String> policies;

    @Option(names = "--predictor", defaultValue = "combined", paramLabel = "NAME", converter = SimConverters.PredictorName.class,
            description = "What the predictive policy prefetches from: none, gate, affinity, recency or combined "
                    + "(default: ${DEFAULT-VALUE}).")
    String predictor;

    @Option(names = "--prefetch-depth", defaultValue = "1", paramLabel = "D",
            description = "Prefetch the proposals for D layers ahead (default: ${DEFAULT-VALUE}).")
    int prefetchDepth;

    @Option(names = "--predict-width", paramLabel = "W", description = "Experts proposed per token per layer (default: the trace's top-k).")
    Integer predictWidth;

    @Option(names = "--device", defaultValue = "rtx4090-pcie4", converter = SimConverters.DeviceName.class,
            description = "Device and link for the timing model: h200-pcie5, rtx4090-pcie4, a5000-pcie4, rtx3060-pcie4 "
                    + "(default: ${DEFAULT-VALUE}).")
    DeviceProfile device;

    @Option(names = "--shape", defaultValue = "mixtral-8x7b", paramLabel = "SHAPE",
            description = "Expert and layer sizes for the timing model: mixtral-8x7b, or trace (the expert size the trace "
                    + "recorded; dense layers not counted) (default: ${DEFAULT-VALUE}).")
    String shape;

    @Option(names = "--bits", defaultValue = "4.5", description = "Bits per weight with --shape mixtral-8x7b: 4.5 is Q4_0 (default: ${DEFAULT-VALUE}).")
    double bits;

    @Option(names = "--csv", paramLabel = "FILE", description = "Also write the results as CSV.")
    Path csv;

    @Option(names = "--chart", paramLabel = "FILE.png|.svg", description = "Also draw hit rate against cache size per policy.")
    Path chart;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        validate();
        List<RoutingTrace> loaded = new ArrayList<>();
        for (Path p : traces) {
            loaded.add(TraceReader.read(p));
        }
        AccessStream stream = AccessStream.of(loaded);
        TraceHeader h = stream.header();
        ModelShape timingShape = timingShape(h);
        int width = predictWidth != null ? predictWidth : h.topK();
        if (width < 1 || width > h.experts()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--predict-width must be in 1.." + h.experts());
        }
        long decodeTokens = loaded.stream().mapToLong(RoutingTrace::decodeTokens).sum();
        out.printf(Locale.ROOT, "%d trace(s): %d steps, %d decode tokens, %d layers x %d experts top-%d, %d demand accesses%n",
                loaded.size(), stream.steps().size(), decodeTokens, h.layers(), h.experts(), h.topK(), stream.size());
        out.printf(Locale.ROOT, "timing: %s; %s (%.1f MB per expert)%n", device.description(), timingShape.name(),
                timingShape.expertBytes() / 1e6);
        if (decodeTokens == 0) {
            throw new IllegalArgumentException("the traces hold no decode steps: nothing to measure");
        }
        Simulator sim = new Simulator(stream, device, timingShape, prefetchDepth, width);
        List<SimResult> results = new ArrayList<>();
        for (double fraction : cacheFractions) {
            for (String policy : policies) {
                results.add(sim.run(policy, fraction, () -> Predictors.create(predictor).orElse(null)));
            }
        }
        SimTable.print(results, out);
        if (!Predictors.NONE.equals(predictor)) {
            PredictionStats stats = PredictorEvaluation.run(loaded, Predictors.create(predictor).orElseThrow(),
                    Math.max(prefetchDepth, 1), width);
            PredictionTable.print(predictor, stats, out);
        }
        if (csv != null) {
            try (Writer w = Files.newBufferedWriter(csv, StandardCharsets.UTF_8)) {
                SimCsv.write(results, w);
            }
            out.println("wrote " + csv);
        }
        if (chart != null) {
            HitRateChart.write(results, chart, "Expert cache hit rate, " + traces.size() + " trace(s), " + h.layers()
                    + "x" + h.experts() + " top-" + h.topK());
            out.println("wrote " + chart);
        }
        out.flush();
        return 0;
    }

    private void validate() {
        CommandLine cmd = spec.commandLine();
        if (prefetchDepth < 1) {
            throw new CommandLine.ParameterException(cmd, "--prefetch-depth must be at least 1");
        }
        if (!shape.equals("mixtral-8x7b") && !shape.equals("trace")) {
            throw new CommandLine.ParameterException(cmd, "unknown --shape '" + shape + "' (choose mixtral-8x7b or trace)");
        }
        if (!(bits > 0 && bits <= 32)) {
            throw new CommandLine.ParameterException(cmd, "--bits must be in (0, 32]");
        }
        if (chart != null) {
            String name = chart.getFileName().toString().toLowerCase(Locale.ROOT);
            if (!name.endsWith(".png") && !name.endsWith(".svg")) {
                throw new CommandLine.ParameterException(cmd, "--chart must name a .png or .svg file");
            }
        }
    }

    private ModelShape timingShape(TraceHeader h) {
        if (shape.equals("mixtral-8x7b")) {
            return ModelShape.mixtral8x7b(bits);
        }
        if (h.expertBytes() == 0) {
            throw new IllegalArgumentException("the trace does not record its expert size; use --shape mixtral-8x7b");
        }
        return ModelShape.expertsOnly("experts of " + h.expertBytes() + " bytes as recorded", h.expertBytes());
    }
}
