package dev.switchyard.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.generate.Perplexity;
import dev.switchyard.engine.generate.TokenListener;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.engine.sampling.TokenLogprobs;
import dev.switchyard.engine.tokenizer.Tokenizer;
import dev.switchyard.kernels.Backend;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code switchyard perplexity}: how well a model predicts a text, measured as llama.cpp's perplexity
 * tool measures it ({@link Perplexity}), so a quantization, a KV cache type or a capacity setting can
 * be weighed against another on the same text.
 */
@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = {"Score a text file with the model: its perplexity over chunks of --context tokens, counting "
                + "the second half of each chunk, as llama.cpp's perplexity tool counts it. Prints the running "
                + "estimate after each chunk, then the final one with its uncertainty.",
                "Capacity settings (--overflow, --capacity-factor), --kv-cache-type and --device apply, so their "
                        + "effect on quality can be measured."})
final class PerplexityCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE.gguf", description = "The model (default: the built-in demo model).")
    Path model;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE.txt", description = "The text to score (UTF-8).")
    Path file;

    @Option(names = {"-c", "--context"}, defaultValue = "512", paramLabel = "N",
            description = "Tokens per chunk (default: ${DEFAULT-VALUE}).")
    int context;

    @Option(names = "--chunks", defaultValue = "0", paramLabel = "N", description = "Score at most N chunks (default: all).")
    int maxChunks;

    @Option(names = "--parallel", defaultValue = "4", paramLabel = "N",
            description = "Chunks scored together, as one batch (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--json", description = "Print one JSON object with the result instead of text.")
    boolean json;

    @CommandLine.Mixin
    DeviceOption device = new DeviceOption();

    @Option(names = "--threads", description = "CPU worker threads (default: all cores).")
    Integer threads;

    @CommandLine.Mixin
    DispatchOptions dispatch = new DispatchOptions();

    @CommandLine.Mixin
    KvCacheOption kvCache = new KvCacheOption();

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (parallel < 1 || parallel > 64) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--parallel must be in 1..64, got " + parallel);
        }
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("--file " + file + ": cannot read it: " + e.getMessage());
        }
        Path path = ModelPaths.resolve(model, err);
        var moe = dispatch.toConfig();
        try (Backend backend = device.open(threads, err);
             LoadedModel loaded = LoadedModel.open(path, backend, Math.max(256, moe.window()), parallel,
                     c -> parallel * context, moe, null, kvCache.type)) {
            if (context > loaded.config().contextLength()) {
                throw new IllegalArgumentException("--context " + context + " is longer than the model's context of "
                        + loaded.config().contextLength());
            }
            Tokenizer tokenizer = loaded.tokenizer();
            int[] tokens = tokenizer.encode(text, false, false);
            List<int[]> chunks = Perplexity.chunks(tokens, context, maxChunks,
                    tokenizer.addBosByDefault() ? tokenizer.bosId() : -1);
            if (!json) {
                err.printf(Locale.ROOT, "%d tokens, %d chunks of %d, %d counted per chunk%n", tokens.length,
                        chunks.size(), context, Perplexity.countedPerChunk(context));
            }
            Perplexity tally = new Perplexity();
            SamplingParams greedy = SamplingParams.builder().temperature(0).build();
            long start = System.nanoTime();
            for (int first = 0; first < chunks.size(); first += parallel) {
                List<GenerationRequest> group = new ArrayList<>();
                for (int i = first; i < Math.min(chunks.size(), first + parallel); i++) {
                    group.add(new GenerationRequest(chunks.get(i), greedy, 0, null, null, 0));
                }
                // each chunk's counted tokens, added in chunk order once the group is scored
                double[][] logprobs = new double[group.size()][context];
                loaded.generator().generate(group, new TokenListener() {
                    @Override
                    public void onToken(int request, int token, TokenLogprobs lp) {
                        throw new IllegalStateException("a scored chunk generates nothing");
                    }

                    @Override
                    public void onPromptToken(int request, int position, TokenLogprobs lp) {
                        logprobs[request][position] = lp.logprob();
                    }
                });
                for (int i = 0; i < group.size(); i++) {
                    for (int p = 0; p < context; p++) {
                        if (Perplexity.counts(p, context)) {
                            tally.add(logprobs[i][p]);
                        }
                    }
                    if (!json) {
                        out.printf(Locale.ROOT, "[%d]%.4f,", first + i + 1, tally.value());
                    }
                }
                out.flush();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            long computed = (long) chunks.size() * context;
            if (json) {
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("perplexity", tally.value());
                result.put("uncertainty", tally.uncertainty());
                result.put("tokens_counted", tally.count());
                result.put("chunks", chunks.size());
                result.put("context", context);
                result.put("seconds", seconds);
                out.println(new ObjectMapper().writeValueAsString(result));
            } else {
                out.println();
                out.printf(Locale.ROOT, "Final estimate: PPL = %.4f +/- %.5f%n", tally.value(), tally.uncertainty());
                err.printf(Locale.ROOT, "%d tokens computed in %.2f s (%.1f tok/s)%n", computed, seconds,
                        computed / seconds);
            }
        }
        return 0;
    }
}
