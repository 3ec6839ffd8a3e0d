package dev.switchyard.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.lora.LoraMix;
import dev.switchyard.engine.generate.Pooling;
import dev.switchyard.engine.sampling.TokenLogprobs;
import dev.switchyard.engine.schedule.ContinuousBatcher;
import dev.switchyard.engine.schedule.SchedulerObserver;
import dev.switchyard.engine.schedule.SequenceSink;
import dev.switchyard.kernels.Backend;
import dev.switchyard.server.serving.EmbeddingNorm;
import dev.switchyard.server.serving.Prompts;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code switchyard embed}: each text's embedding, as {@code /v1/embeddings} computes it, one JSON
 * line per text ({@code {"index", "tokens", "embedding"}}), as llama.cpp's {@code llama-embedding}
 * does for scripts. The texts go through the scheduler together.
 */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = "Embed TEXT (each argument, or each line of standard input with -): the final hidden states "
                + "pooled as the model file says (or --pooling), unit length unless --no-normalize; one JSON line "
                + "per text.")
final class EmbedCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, paramLabel = "FILE.gguf", description = "The model (default: the built-in demo model).")
    Path model;

    @Option(names = "--pooling", paramLabel = "mean|cls|last",
            description = "How to pool the hidden states (default: the file's pooling_type, else last).")
    String pooling;

    @Option(names = "--no-normalize", description = "Leave each vector as pooled instead of unit length.")
    boolean raw;

    @Option(names = "--threads", description = "CPU worker threads (default: all cores).")
    Integer threads;

    @picocli.CommandLine.Mixin
    DeviceOption device = new DeviceOption();

    @picocli.CommandLine.Mixin
    KvCacheOption kvCache = new KvCacheOption();

    @picocli.CommandLine.Mixin
    LoraOptions lora = new LoraOptions();

    @Parameters(arity = "1..*", paramLabel = "TEXT", description = "The texts, or - to read one per line from standard input.")
    List<String> texts;

    /** Collects one text's embedding. */
    private static final class Collected implements SequenceSink {
        float[] embedding;
        RuntimeException failure;

        @Override
        public void onEmbedding(float[] vector) {
            embedding = vector;
        }

        @Override
        public boolean onToken(int token, TokenLogprobs logprobs) {
            return false;
        }

        @Override
        public void onFinish(FinishReason reason) {
        }

        @Override
        public void onFailure(RuntimeException error) {
            failure = error;
        }
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        List<String> inputs = texts.size() == 1 && texts.getFirst().equals("-") ? stdinLines() : texts;
        Pooling asked;
        try {
            asked = pooling == null ? null : Pooling.of(pooling);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--pooling: " + e.getMessage());
        }
        Path path = ModelPaths.resolve(model, err);
        int sequences = Math.max(1, Math.min(16, inputs.size()));
        try (Backend backend = device.open(threads, err);
             LoadedModel loaded = LoadedModel.open(path, backend, 512, sequences, c -> 0, null, null, kvCache.type)) {
            Pooling pooled = asked != null ? asked : Pooling.ofModel(loaded.file().metadata());
            LoraMix mix = LoraOptions.loadInto(loaded, lora.adapters());
            ContinuousBatcher batcher = new ContinuousBatcher(loaded.transformer(), loaded.kv(),
                    loaded.tokenizer()::isEog, SchedulerObserver.NONE, System::nanoTime);
            List<Collected> sinks = new ArrayList<>();
            List<int[]> prompts = new ArrayList<>();
            int limit = batcher.maxSequencePositions();
            for (int i = 0; i < inputs.size(); i++) {
                int[] ids = Prompts.embeddingTokens(loaded.tokenizer(), inputs.get(i));
                if (ids.length == 0 || ids.length > limit) {
                    throw new IllegalArgumentException("text " + (i + 1) + " has " + ids.length + " tokens; the model reads "
                            + "1 to " + limit + " at once");
                }
                prompts.add(ids);
                Collected sink = new Collected();
                sinks.add(sink);
                batcher.add(GenerationRequest.embedding(ids, pooled, 0, mix), sink);
            }
            while (batcher.hasWork()) {
                batcher.step();
            }
            ObjectMapper mapper = new ObjectMapper();
            for (int i = 0; i < sinks.size(); i++) {
                Collected c = sinks.get(i);
                if (c.failure != null || c.embedding == null) {
                    throw new IllegalStateException("text " + (i + 1) + " could not be embedded"
                            + (c.failure == null ? "" : ": " + c.failure.getMessage()));
                }
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("index", i);
                line.put("tokens", prompts.get(i).length);
                line.put("embedding", EmbeddingNorm.scaled(c.embedding,
                        raw ? EmbeddingNorm.AS_POOLED : EmbeddingNorm.EUCLIDEAN));
                out.println(mapper.writeValueAsString(line));
            }
            out.flush();
            err.println("embedded " + sinks.size() + " texts, pooled by " + pooled.label());
        }
        return 0;
    }

    private static List<String> stdinLines() throws java.io.IOException {
        List<String> lines = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = reader.readLine()) != null; ) {
            if (!line.isBlank()) {
                lines.add(line);
            }
        }
        return lines;
    }
}
