package dev.switchyard.server;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.chat.ChatMessage;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.server.serving.EngineConfig;
import dev.switchyard.server.serving.ServedModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The tiny Mixtral (with a context of 1024) made to call a tool, with no fake in the serving path: a random-weight model
 * cannot be taught to call {@code get_weather}, but its greedy reply to a fixed conversation with
 * fixed tools is fixed, so two adjacent tokens of that reply are renamed in the vocabulary to spell
 * {@code <tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>}
 * (user-defined tokens, as Qwen files {@code <tool_call>}). Weights, template (the generator's
 * ChatML with Hermes tools) and prompt tokens stay the same, so the model generates the same ids,
 * and the reply reads "text, the call, text". The token after the call is a fresh one too, so a
 * request can stop on it ({@code stop_token_ids}) as a model stops after its call.
 *
 * <p>Requests must send {@link #MESSAGES_JSON} and {@link #TOOLS_JSON} with {@code temperature 0},
 * {@code ignore_eos} and {@link #MAX_TOKENS}. Written once per JVM.
 */
public final class ToolCallingModelFile {

    public static final String QUESTION = "What is the weather in Paris today?";
    public static final String MESSAGES_JSON = "[{\"role\":\"user\",\"content\":\"" + QUESTION + "\"}]";
    public static final String TOOLS_JSON = "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
            + "\"description\":\"The weather now in a city\",\"parameters\":{\"type\":\"object\",\"properties\":"
            + "{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}}}]";
    public static final String ARGUMENTS = "{\"city\": \"Paris\"}";
    public static final int MAX_TOKENS = 24;
    static final String OPENING = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": ";
    static final String CLOSING = ARGUMENTS + "}\n</tool_call>";

    private static Path model;
    /** The renamed ids, then the id after them. */
    private static int[] picked;

    private ToolCallingModelFile() {
    }

    public static synchronized Path path() {
        if (model == null) {
            try {
                Path dir = Files.createTempDirectory("switchyard-tool-model");
                dir.toFile().deleteOnExit();
                picked = tokensToRename(TinyModelFile.longContext());
                model = dir.resolve("tiny-tool-calling.gguf");
                model.toFile().deleteOnExit();
                ModelFileEdits.rewrite(TinyModelFile.longContext(), model, null, tokens -> {
                    String[] t = tokens.clone();
                    t[picked[0]] = OPENING;
                    t[picked[1]] = CLOSING;
                    return t;
                }, types -> {
                    long[] t = types.clone();
                    t[picked[0]] = 4; // user-defined: added text
                    t[picked[1]] = 4;
                    return t;
                });
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return model;
    }

    /** The token after the call: a request that stops on it ends as a model ends after calling. */
    public static synchronized int tokenAfterTheCall() {
        path();
        return picked[2];
    }

    public static List<Map<String, Object>> tools() {
        try {
            return new ObjectMapper().readValue(TOOLS_JSON, new TypeReference<>() {
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Three adjacent tokens of the greedy reply, after some text, none in the prompt (whose tokens
     * must not change) nor earlier in the reply (so the call is made where they first occur).
     */
    private static int[] tokensToRename(Path file) throws IOException {
        DispatchConfig dispatch = DispatchConfig.defaults(true);
        EngineConfig engine = new EngineConfig(1, 2, EngineConfig.defaultBatchTokens(2, dispatch), 0, 4, Duration.ZERO,
                dispatch);
        try (ServedModel served = ServedModel.open(file, "probe", engine)) {
            int[] prompt = served.prompts().chat(List.of(ChatMessage.user(QUESTION)), tools(), Map.of(), "messages");
            int[] reply = ModelFileEdits.greedyReply(served, prompt, MAX_TOKENS);
            for (int k = 1; k + 3 < reply.length; k++) {
                int at = k;
                boolean fresh = IntStream.range(k, k + 3).allMatch(i -> fresh(served, prompt, reply, i, at));
                if (fresh && reply[k] != reply[k + 1] && reply[k] != reply[k + 2] && reply[k + 1] != reply[k + 2]
                        && !served.tokenizer().decode(Arrays.copyOfRange(reply, 0, k)).isBlank()) {
                    return new int[] {reply[k], reply[k + 1], reply[k + 2]};
                }
            }
            throw new IllegalStateException("the tiny model's reply " + Arrays.toString(reply)
                    + " has no three tokens to rename");
        }
    }

    private static boolean fresh(ServedModel served, int[] prompt, int[] reply, int i, int from) {
        int id = reply[i];
        return IntStream.of(prompt).noneMatch(p -> p == id) && IntStream.range(0, from).noneMatch(j -> reply[j] == id)
                && !served.tokenizer().isEog(id) && !served.tokenizer().isControl(id);
    }
}
