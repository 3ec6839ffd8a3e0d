package dev.switchyard.server;

import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.gguf.GgufArray;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import dev.switchyard.engine.gguf.GgufValue;
import dev.switchyard.engine.gguf.GgufValueType;
import dev.switchyard.engine.gguf.GgufWriter;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.server.serving.ChoiceToolCall;
import dev.switchyard.server.serving.GenerationListener;
import dev.switchyard.server.serving.GenerationSpec;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.TokenLogprob;
import dev.switchyard.server.serving.Usage;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Edits of a generated model file for tests that need a reply to say something a random-weight
 * model never writes: the same weights, with tokens of its greedy reply renamed in the vocabulary.
 */
final class ModelFileEdits {

    private ModelFileEdits() {
    }

    /** The ids {@code served} generates greedily, EOS ignored, for {@code prompt}. */
    static int[] greedyReply(ServedModel served, int[] prompt, int maxTokens) {
        int[] ids = new int[maxTokens];
        int[] count = {0};
        CountDownLatch done = new CountDownLatch(1);
        SamplingParams greedy = SamplingParams.builder().temperature(0).ignoreEos(true).build();
        served.generate(new GenerationSpec(List.of(prompt), null, 1, greedy, maxTokens, List.of(), "messages", "max_tokens"),
                new GenerationListener() {
                    @Override
                    public void onToken(int index, int token, String reasoning, String text, TokenLogprob logprob) {
                        ids[count[0]++] = token;
                    }

                    @Override
                    public void onToolCalls(int index, List<ChoiceToolCall> calls) {
                    }

                    @Override
                    public void onChoiceFinished(int index, FinishReason reason, String reasoning, String text) {
                    }

                    @Override
                    public void onChoiceFailed(int index, RuntimeException error) {
                    }

                    @Override
                    public void onComplete(Usage usage) {
                        done.countDown();
                    }
                });
        try {
            if (!done.await(60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("the probe generation did not finish");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return Arrays.copyOf(ids, count[0]);
    }

    /**
     * Copies {@code in} to {@code out} with {@code template} as its chat template (null: the one it
     * has) and the vocabulary passed through the two edits.
     */
    static void rewrite(Path in, Path out, String template, Function<String[], String[]> tokens,
                        Function<long[], long[]> types) throws IOException {
        try (GgufFile file = GgufFile.open(in)) {
            GgufWriter w = new GgufWriter();
            for (Map.Entry<String, GgufValue> e : file.metadata().asMap().entrySet()) {
                w.put(e.getKey(), e.getValue());
            }
            if (template != null) {
                w.putString("tokenizer.chat_template", template);
            }
            w.putArray("tokenizer.ggml.tokens", GgufArray.ofStrings(
                    tokens.apply(file.metadata().requireStringArray("tokenizer.ggml.tokens"))));
            long[] typeCodes = Arrays.stream(file.metadata().optIntArray("tokenizer.ggml.token_type").orElseThrow())
                    .asLongStream().toArray();
            w.putArray("tokenizer.ggml.token_type", GgufArray.ofInts(GgufValueType.INT32, types.apply(typeCodes)));
            for (GgufTensorInfo t : file.tensors()) {
                MemorySegment data = file.data(t);
                w.addTensor(t.name(), t.type(), t.dims(), target -> target.copyFrom(data));
            }
            w.write(out);
        }
    }
}
