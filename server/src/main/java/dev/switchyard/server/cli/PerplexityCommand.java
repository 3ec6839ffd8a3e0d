package dev.switchyard.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.generate.BaseDistributions;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.KlDivergence;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.lora.LoraMix;
import dev.switchyard.engine.generate.Perplexity;
import dev.switchyard.engine.generate.TokenListener;
import dev.switchyard.engine.sampling.RowDistribution;
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
import java.util.Arrays;
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
 * be weighed against another on the same text; and how far its predictions are from a base model's
 * ({@link KlDivergence}, with {@code --save-base} then {@code --compare-base}).
 */
@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = {"Score a text file with the model: its perplexity over chunks of --context tokens, counting "
                + "the second half of each chunk, as llama.cpp's perplexity tool counts it. Prints the running "
                + "estimate after each chunk, then the final one with its uncertainty.",
                "--save-base FILE keeps the model's predictions; --compare-base FILE then scores another model on the "
                        + "same tokens against them: KL divergence, same top token, change in probability, both "
                        + "perplexities (llama.cpp's --kl-divergence-base and --kl-divergence).",
                "Capacity settings (--overflow, --capacity-factor), --kv-cache-type and --device apply, so their "
                        + "effect on quality can be measured."})
final class PerplexityCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE.gguf", description = "The model (default: the built-in demo model).")
    Path model;

    @Option(names = {"-f", "--file"}, paramLabel = "FILE.txt",
            description = "The text to score (UTF-8); not needed with --compare-base, whose file holds the text's tokens.")
    Path file;

    @Option(names = {"-c", "--context"}, defaultValue = "512", paramLabel = "N",
            description = "Tokens per chunk (default: ${DEFAULT-VALUE}; with --compare-base, the base file's).")
    int context;

    @Option(names = "--chunks", defaultValue = "0", paramLabel = "N", description = "Score at most N chunks (default: all).")
    int maxChunks;

    @Option(names = "--parallel", defaultValue = "4", paramLabel = "N",
            description = "Chunks scored together, as one batch (default: ${DEFAULT-VALUE}).")
    int parallel;

    @Option(names = "--save-base", paramLabel = "FILE",
            description = "Keep this model's predictions (each counted token's log-probability and its --kl-top most "
                    + "probable tokens') in FILE, to compare other models with.")
    Path saveBase;

    @Option(names = "--compare-base", paramLabel = "FILE",
            description = "Score this model on the tokens of a --save-base FILE and compare its predictions with the "
                    + "base's.")
    Path compareBase;

    @Option(names = "--kl-top", defaultValue = "256", paramLabel = "K",
            description = "With --save-base: the most probable tokens kept per position (at most the vocabulary); the "
                    + "divergence is exact over them and counts the rest as one outcome (default: ${DEFAULT-VALUE}).")
    int klTop;

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

    @CommandLine.Mixin
    LoraOptions lora = new LoraOptions();

    /** What every chunk applies: the adapters given, at their scales (how well an adapter fits a text). */
    private LoraMix adapterMix = LoraMix.NONE;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (parallel < 1 || parallel > 64) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--parallel must be in 1..64, got " + parallel);
        }
        if (saveBase != null && compareBase != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--save-base and --compare-base: one or the other");
        }
        if (file == null && compareBase == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--file is required (unless --compare-base)");
        }
        BaseDistributions.Reader base = compareBase == null ? null : new BaseDistributions.Reader(compareBase);
        try {
            if (base != null) {
                context = base.header().context();
            }
            String text = file == null ? null : readText();
            Path path = ModelPaths.resolve(model, err);
            var moe = dispatch.toConfig();
            try (Backend backend = device.open(threads, err);
                 LoadedModel loaded = LoadedModel.open(path, backend, Math.max(256, moe.window()), parallel,
                         c -> parallel * context, moe, null, kvCache.type)) {
                adapterMix = LoraOptions.loadInto(loaded, lora.adapters());
                if (context > loaded.config().contextLength()) {
                    throw new IllegalArgumentException("--context " + context + " is longer than the model's context of "
                            + loaded.config().contextLength());
                }
                List<int[]> chunks = chunks(loaded.tokenizer(), text, base);
                run(loaded, chunks, base, out, err);
            }
        } finally {
            if (base != null) {
                base.close();
            }
        }
        return 0;
    }

    private String readText() {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("--file " + file + ": cannot read it: " + e.getMessage());
        }
    }

    /** The chunks to score: the text's, or the base file's, checked against this model's reading of the text. */
    private List<int[]> chunks(Tokenizer tokenizer, String text, BaseDistributions.Reader base) {
        int bos = tokenizer.addBosByDefault() ? tokenizer.bosId() : -1;
        if (base == null) {
            int[] tokens = tokenizer.encode(text, false, false);
            return Perplexity.chunks(tokens, context, maxChunks, bos);
        }
        BaseDistributions.Header h = base.header();
        if (h.vocabSize() != tokenizer.vocabSize()) {
            throw new IllegalArgumentException(compareBase + " was made with a vocabulary of " + h.vocabSize()
                    + " tokens, this model's has " + tokenizer.vocabSize() + ": compare models with the same vocabulary");
        }
        int n = maxChunks > 0 ? Math.min(maxChunks, h.chunks()) : h.chunks();
        List<int[]> chunks = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            chunks.add(h.chunk(i));
        }
        if (text != null) {
            List<int[]> mine = Perplexity.chunks(tokenizer.encode(text, false, false), context, n, bos);
            for (int i = 0; i < n; i++) {
                if (i >= mine.size() || !Arrays.equals(mine.get(i), chunks.get(i))) {
                    throw new IllegalArgumentException("--file " + file + " does not read as the text " + compareBase
                            + " was made from (chunk " + (i + 1) + " differs)");
                }
            }
        }
        return chunks;
    }

    private void run(LoadedModel loaded, List<int[]> chunks, BaseDistributions.Reader base, PrintWriter out,
                     PrintWriter err) throws IOException {
        int vocab = loaded.config().vocabSize();
        int counted = Perplexity.countedPerChunk(context);
        int top = base != null ? base.header().top() : Math.min(klTop, vocab);
        if (saveBase != null && (klTop < 1)) {
            throw new IllegalArgumentException("--kl-top must be at least 1, got " + klTop);
        }
        if (!json) {
            err.printf(Locale.ROOT, "%d chunks of %d, %d counted per chunk%s%n", chunks.size(), context, counted,
                    base != null ? ", compared with " + compareBase : "");
        }
        int[] all = new int[chunks.size() * context];
        for (int i = 0; i < chunks.size(); i++) {
            System.arraycopy(chunks.get(i), 0, all, i * context, context);
        }
        BaseDistributions.Writer writer = saveBase == null ? null : new BaseDistributions.Writer(saveBase,
                new BaseDistributions.Header(vocab, context, chunks.size(), top, all));
        try {
            Perplexity tally = new Perplexity();
            KlDivergence kl = base == null ? null : new KlDivergence();
            GroupScores group = new GroupScores(Math.min(parallel, chunks.size()), counted,
                    base != null || writer != null ? top : 1, vocab);
            SamplingParams greedy = SamplingParams.builder().temperature(0).build();
            long start = System.nanoTime();
            for (int first = 0; first < chunks.size(); first += parallel) {
                int size = Math.min(parallel, chunks.size() - first);
                List<GenerationRequest> requests = new ArrayList<>(size);
                for (int i = 0; i < size; i++) {
                    // one alternative: the model's best token, for comparing with the base's
                    requests.add(new GenerationRequest(chunks.get(first + i), greedy, 0, null, null, 1)
                            .withAdapters(adapterMix));
                    if (base != null) {
                        for (int j = 0; j < counted; j++) {
                            base.read(group.base[i][j]);
                        }
                    }
                }
                group.run(loaded, requests, base != null, writer != null);
                for (int i = 0; i < size; i++) {
                    for (int j = 0; j < counted; j++) {
                        tally.add(group.logprob[i][j]);
                        if (writer != null) {
                            writer.write(group.own[i][j]);
                        }
                        if (kl != null) {
                            kl.add(group.divergence[i][j], group.base[i][j].tokenLogprob, group.logprob[i][j],
                                    group.sameTop[i][j]);
                        }
                    }
                    if (!json) {
                        out.printf(Locale.ROOT, "[%d]%.4f,", first + i + 1, tally.value());
                    }
                }
                out.flush();
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            report(out, err, tally, kl, chunks.size(), top, seconds);
        } finally {
            if (writer != null) {
                writer.close();
            }
        }
    }

    /**
     * One batch's figures per chunk and counted position, filled as the batcher reports rows (in any
     * order across chunks) and read back in chunk and position order, so sums do not depend on batching.
     */
    private final class GroupScores {
        final int counted;
        final int vocab;
        final double[][] logprob;
        final double[][] divergence;
        final boolean[][] sameTop;
        final BaseDistributions.Entry[][] base;
        final BaseDistributions.Entry[][] own;
        private final long[] scratch;
        private final double[] baseLogprobs;
        private final double[] modelLogprobs;

        GroupScores(int chunks, int counted, int top, int vocab) {
            this.counted = counted;
            this.vocab = vocab;
            logprob = new double[chunks][counted];
            divergence = new double[chunks][counted];
            sameTop = new boolean[chunks][counted];
            base = entries(chunks, counted, top);
            own = entries(chunks, counted, top);
            scratch = new long[top];
            baseLogprobs = new double[top];
            modelLogprobs = new double[top];
        }

        private BaseDistributions.Entry[][] entries(int chunks, int counted, int top) {
            BaseDistributions.Entry[][] e = new BaseDistributions.Entry[chunks][counted];
            for (BaseDistributions.Entry[] row : e) {
                for (int j = 0; j < counted; j++) {
                    row[j] = new BaseDistributions.Entry(top);
                }
            }
            return e;
        }

        void run(LoadedModel loaded, List<GenerationRequest> requests, boolean compare, boolean save) {
            int first = context - counted; // the first counted position
            loaded.generator().generate(requests, new TokenListener() {
                @Override
                public void onToken(int request, int token, TokenLogprobs lp) {
                    throw new IllegalStateException("a scored chunk generates nothing");
                }

                @Override
                public void onPromptRow(int request, int position, float[] logits, TokenLogprobs lp) {
                    if (!Perplexity.counts(position, context)) {
                        return;
                    }
                    int j = position - first;
                    logprob[request][j] = lp.logprob();
                    if (save) {
                        keep(own[request][j], logits, lp.logNormalizer(), lp.logprob());
                    }
                    if (compare) {
                        compare(request, j, logits, lp);
                    }
                }
            });
        }

        private void keep(BaseDistributions.Entry e, float[] logits, double norm, double tokenLogprob) {
            RowDistribution.top(logits, vocab, e.ids.length, scratch, e.ids);
            for (int i = 0; i < e.ids.length; i++) {
                e.logprobs[i] = (float) (logits[e.ids[i]] - norm);
            }
            e.tokenLogprob = (float) tokenLogprob;
        }

        private void compare(int request, int j, float[] logits, TokenLogprobs lp) {
            BaseDistributions.Entry b = base[request][j];
            double norm = lp.logNormalizer();
            for (int i = 0; i < b.ids.length; i++) {
                baseLogprobs[i] = b.logprobs[i];
                // at the base file's precision, so a model compared with itself diverges by exactly 0
                modelLogprobs[i] = (float) (logits[b.ids[i]] - norm);
            }
            divergence[request][j] = KlDivergence.divergence(baseLogprobs, modelLogprobs, b.ids.length);
            sameTop[request][j] = lp.topId(0) == b.ids[0]; // the model's best, as the scoring found it
        }
    }

    private void report(PrintWriter out, PrintWriter err, Perplexity tally, KlDivergence kl, int chunks, int top,
                        double seconds) throws IOException {
        long computed = (long) chunks * context;
        if (json) {
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("perplexity", tally.value());
            result.put("uncertainty", tally.uncertainty());
            result.put("tokens_counted", tally.count());
            result.put("chunks", chunks);
            result.put("context", context);
            if (kl != null) {
                result.put("base_perplexity", kl.base().value());
                result.put("base_uncertainty", kl.base().uncertainty());
                Map<String, Object> divergence = new LinkedHashMap<>();
                divergence.put("mean", kl.meanDivergence());
                divergence.put("uncertainty", kl.divergenceError());
                divergence.put("max", kl.divergencePercentile(1.0));
                divergence.put("p99_9", kl.divergencePercentile(0.999));
                divergence.put("p99", kl.divergencePercentile(0.99));
                divergence.put("p90", kl.divergencePercentile(0.90));
                divergence.put("median", kl.divergencePercentile(0.5));
                divergence.put("top_tokens", top);
                result.put("kl_divergence", divergence);
                result.put("same_top", kl.sameTopFraction());
                result.put("delta_p_mean", kl.meanDeltaP());
                result.put("delta_p_rms", kl.rmsDeltaP());
            }
            if (saveBase != null) {
                result.put("saved_base", saveBase.toString());
            }
            result.put("seconds", seconds);
            out.println(new ObjectMapper().writeValueAsString(result));
            return;
        }
        out.println();
        out.printf(Locale.ROOT, "Final estimate: PPL = %.4f +/- %.5f%n", tally.value(), tally.uncertainty());
        if (kl != null) {
            out.printf(Locale.ROOT, "Base PPL            : %.4f +/- %.5f%n", kl.base().value(), kl.base().uncertainty());
            out.printf(Locale.ROOT, "ln(PPL / base PPL)  : %.6f%n", Math.log(tally.value() / kl.base().value()));
            out.printf(Locale.ROOT, "Mean KLD            : %.6f +/- %.6f (over the base's %d best tokens and the rest)%n",
                    kl.meanDivergence(), kl.divergenceError(), top);
            out.printf(Locale.ROOT, "KLD max, 99.9%%, 99%%, 90%%, median: %.6f, %.6f, %.6f, %.6f, %.6f%n",
                    kl.divergencePercentile(1.0), kl.divergencePercentile(0.999), kl.divergencePercentile(0.99),
                    kl.divergencePercentile(0.9), kl.divergencePercentile(0.5));
            out.printf(Locale.ROOT, "Same top token      : %.3f%%%n", 100 * kl.sameTopFraction());
            out.printf(Locale.ROOT, "Mean, RMS delta p   : %.4f%%, %.4f%%%n", 100 * kl.meanDeltaP(), 100 * kl.rmsDeltaP());
        }
        if (saveBase != null) {
            out.println("Base predictions saved to " + saveBase + " (" + top + " tokens per position)");
        }
        err.printf(Locale.ROOT, "%d tokens computed in %.2f s (%.1f tok/s)%n", computed, seconds, computed / seconds);
    }
}
