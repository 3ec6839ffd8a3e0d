package dev.switchyard.server.cli;

import dev.switchyard.cache.synth.SynthSettings;
import dev.switchyard.cache.synth.SyntheticTraceGenerator;
import dev.switchyard.cache.trace.TraceWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code switchyard trace synth}: a synthetic trace with Mixtral's measured routing locality. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = {"Write a synthetic routing trace. At --locality 1 consecutive tokens repeat experts as often as "
                + "Mixtral-8x7B's do (its paper's Table 5: same first choice 14%% at the first layer, 24-28%% in the middle, "
                + "20-26%% at the last; a shared top-2 expert 45-50%%, 62-67%%, 45-54%%), interpolated over depth.",
                "The defaults are Mixtral-8x7B's shape."})
final class TraceSynthCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--layers", defaultValue = "32", description = "MoE layers (default: ${DEFAULT-VALUE}).")
    int layers;

    @Option(names = "--experts", defaultValue = "8", description = "Experts per layer (default: ${DEFAULT-VALUE}).")
    int experts;

    @Option(names = "--top-k", defaultValue = "2", description = "Experts per token per layer (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--requests", defaultValue = "4", description = "Requests, each a fresh routing history (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--tokens", defaultValue = "512", description = "Decode tokens per request (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--batch", defaultValue = "1", description = "Requests decoded together, one token each per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--locality", defaultValue = "1.0", paramLabel = "F",
            description = "Temporal locality as a multiple of Mixtral's excess over random: 0 = random, 1 = Mixtral (default: ${DEFAULT-VALUE}).")
    double locality;

    @Option(names = "--affinity", defaultValue = "4.0", paramLabel = "A",
            description = "Inter-layer affinity: each expert's two preferred successors weigh 1+A against 1 (default: ${DEFAULT-VALUE}).")
    double affinity;

    @Option(names = "--skew", defaultValue = "0.3", description = "Spread of expert popularity, log-normal sigma (default: ${DEFAULT-VALUE}).")
    double skew;

    @Option(names = "--gate-depth", defaultValue = "2", paramLabel = "D",
            description = "Synthesize speculative-gate proposals D layers ahead (default: ${DEFAULT-VALUE}).")
    int gateDepth;

    @Option(names = "--gate-accuracy", defaultValue = "0.8", paramLabel = "P",
            description = "Chance a proposal for the next layer is a true expert; P^j for j layers ahead (default: ${DEFAULT-VALUE}).")
    double gateAccuracy;

    @Option(names = "--expert-bytes", defaultValue = "0", description = "Bytes per expert to note in the header (default: unknown).")
    long expertBytes;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-o", "--output"}, required = true, paramLabel = "FILE.trace", description = "The trace file to write.")
    Path output;

    @Override
    public Integer call() throws Exception {
        SynthSettings settings;
        try {
            settings = new SynthSettings(layers, experts, topK, requests, tokens, batch, locality, affinity, skew,
                    gateDepth, gateAccuracy, expertBytes, seed);
            if (layers > 0xFFFF || experts > 0xFFFF || topK > 255) {
                throw new IllegalArgumentException("at most 65535 layers and experts, top-k at most 255");
            }
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        SyntheticTraceGenerator generator = new SyntheticTraceGenerator(settings);
        boolean done = false;
        try (TraceWriter writer = TraceWriter.create(output, generator.header())) {
            generator.generate(writer::write);
            spec.commandLine().getErr().println("wrote " + output + ": " + writer.stepsWritten() + " steps ("
                    + settings.describe() + ")");
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(output);
            }
        }
        return 0;
    }
}
