package dev.switchyard.server;

import dev.switchyard.engine.chat.ChatMessage;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.gguf.GgufArray;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import dev.switchyard.engine.gguf.GgufValue;
import dev.switchyard.engine.gguf.GgufValueType;
import dev.switchyard.engine.gguf.GgufWriter;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.server.serving.EngineConfig;
import dev.switchyard.server.serving.GenerationListener;
import dev.switchyard.server.serving.GenerationSpec;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.TokenLogprob;
import dev.switchyard.server.serving.Usage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * The tiny Mixtral made to think, with no fake in the serving path: a random-weight model cannot be
 * taught to write {@code </think>}, but its greedy reply to a fixed conversation is fixed, so one
 * token of that reply is renamed {@code </think>} in the vocabulary (a user-defined token, as Qwen3
 * files it). The weights and the prompt's tokens stay the same, so the model generates the same ids
 * and the reply now reads "reasoning</think>answer". The chat template is ChatML with the thinking
 * opened in the generation prompt ({@code <|im_start|>assistant\n<think>\n}), as DeepSeek-R1's
 * and MiniMax-M2's templates open it.
 *
 * <p>Requests must send {@link #MESSAGES_JSON} with {@code temperature 0}, {@code ignore_eos} and
 * {@link #MAX_TOKENS} to get that reply. Written once per JVM.
 */
public final class ThinkingModelFile {

    public static final String QUESTION = "Is a switchyard a kind of railway yard?";
    public static final String MESSAGES_JSON = "[{\"role\":\"user\",\"content\":\"" + QUESTION + "\"}]";
    public static final int MAX_TOKENS = 40;
    public static final String TEMPLATE = "{% for message in messages %}"
            + "{{ '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n<think>\\n' }}{% endif %}";

    /** Characters of reasoning and of answer at least, so tests have text to find stop strings in. */
    private static final int MIN_TEXT = 8;

    private static Path model;
    private static int renamed;

    private ThinkingModelFile() {
    }

    public static synchronized Path path() {
        if (model == null) {
            try {
                Path dir = Files.createTempDirectory("switchyard-thinking-model");
                dir.toFile().deleteOnExit();
                Path templated = dir.resolve("tiny-think-template.gguf");
                templated.toFile().deleteOnExit();
                ModelFileEdits.rewrite(TinyModelFile.path(), templated, TEMPLATE, tokens -> tokens, types -> types);
                renamed = tokenToRename(templated);
                model = dir.resolve("tiny-thinking.gguf");
                model.toFile().deleteOnExit();
                ModelFileEdits.rewrite(templated, model, TEMPLATE, tokens -> {
                    String[] t = tokens.clone();
                    t[renamed] = "</think>";
                    return t;
                }, types -> {
                    long[] t = types.clone();
                    t[renamed] = 4; // user-defined: added text, as Qwen3's think tags are filed
                    return t;
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return model;
    }

    /** The id renamed {@code </think>}. */
    public static synchronized int renamedToken() {
        path();
        return renamed;
    }

    /**
     * A token of the greedy reply with some text on both sides: not in the prompt (whose tokens must not
     * change), not seen earlier in the reply (so its first occurrence ends the thinking there).
     */
    private static int tokenToRename(Path file) throws IOException {
        DispatchConfig dispatch = DispatchConfig.defaults(true);
        EngineConfig engine = new EngineConfig(1, 2, EngineConfig.defaultBatchTokens(2, dispatch), 0, 4, Duration.ZERO,
                dispatch);
        try (ServedModel served = ServedModel.open(file, "probe", engine)) {
            int[] prompt = served.prompts().chat(List.of(ChatMessage.user(QUESTION)), "messages");
            int[] reply = ModelFileEdits.greedyReply(served, prompt, MAX_TOKENS);
            for (int k = 1; k + 1 < reply.length; k++) {
                int id = reply[k];
                int at = k;
                boolean fresh = IntStream.of(prompt).noneMatch(p -> p == id)
                        && IntStream.range(0, k).noneMatch(i -> reply[i] == id)
                        && !served.tokenizer().isEog(id) && !served.tokenizer().isControl(id);
                if (fresh && served.tokenizer().decode(Arrays.copyOfRange(reply, 0, at)).strip().length() >= MIN_TEXT
                        && served.tokenizer().decode(Arrays.copyOfRange(reply, at + 1, reply.length)).strip().length()
                        >= MIN_TEXT) {
                    return id;
                }
            }
            throw new IllegalStateException("the tiny model's reply " + Arrays.toString(reply)
                    + " has no token to rename </think>");
        }
    }
}
