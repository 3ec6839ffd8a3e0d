package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.chat.ChatMessage;
import dev.switchyard.engine.chat.ChatTemplate;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.server.serving.ChatRoles;
import dev.switchyard.server.serving.GenerationSpec;
import dev.switchyard.server.serving.InvalidRequestException;
import dev.switchyard.server.serving.OutputShape;
import dev.switchyard.server.serving.ReasoningFormat;
import dev.switchyard.server.serving.ServedModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Reads and validates a {@code POST /v1/chat/completions} body. */
public final class ChatRequests {

    private static final TypeReference<List<Map<String, Object>>> TOOL_CALLS = new TypeReference<>() {
    };
    private static final TypeReference<Map<String, Object>> TEMPLATE_ARGUMENTS = new TypeReference<>() {
    };

    private ChatRequests() {
    }

    /**
     * llama.cpp's {@code POST /apply-template}: a chat request's {@code messages}, {@code tools} and
     * template arguments through the model's chat template, as the prompt text chat would read
     * ({@code {"prompt": "..."}}); nothing is generated.
     */
    public static void applyTemplate(JsonNode body, ServedModel model, ObjectMapper mapper,
                                     com.fasterxml.jackson.core.JsonGenerator g) throws java.io.IOException {
        Fields f = new Fields(body);
        CommonFields.checkModel(f, model);
        List<ChatMessage> messages = messages(f.node("messages"), mapper);
        ChatTools.Offer tools = ChatTools.parse(f, model, mapper);
        String prompt;
        try {
            prompt = model.prompts().renderChat(messages, tools == null ? null : tools.definitions(),
                    templateArguments(f, mapper, model, f.string("reasoning_effort"), "reasoning_effort"), "messages");
        } catch (InvalidRequestException e) {
            throw ApiError.of(e);
        }
        g.writeStartObject();
        g.writeStringField("prompt", prompt);
        g.writeEndObject();
    }

    public static OpenAiRequest parse(JsonNode body, ServedModel model, ApiLimits limits, ObjectMapper mapper) {
        Fields f = new Fields(body);
        CommonFields.checkModel(f, model);
        CommonFields.refuseUnsupported(f);
        boolean logprobs = f.bool("logprobs", false);
        Integer top = f.integer("top_logprobs");
        if (top != null) {
            if (!logprobs) {
                throw ApiError.invalid("top_logprobs", "top_logprobs needs logprobs set to true");
            }
            if (top < 0 || top > SamplingParams.MAX_LOGPROBS) {
                throw ApiError.invalid("top_logprobs", "top_logprobs must be in 0.." + SamplingParams.MAX_LOGPROBS
                        + ", got " + top);
            }
        }
        int alternatives = logprobs ? (top == null ? 0 : top) : SamplingParams.NO_LOGPROBS;
        int n = CommonFields.n(f, limits);
        boolean[] streaming = CommonFields.streaming(f);
        int promptLogprobs = CommonFields.promptLogprobs(f, streaming[0]);
        // max_completion_tokens replaced max_tokens; OpenAI still takes both.
        String maxParam = f.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens";
        Integer maxTokens = CommonFields.maxTokens(f, maxParam);
        List<String> stop = CommonFields.stop(f, limits);
        ReasoningFormat reasoning = reasoningFormat(f, model);
        SamplingParams.Builder sampling = CommonFields.sampling(f, model.tokenizer().vocabSize());
        sampling.logprobs(alternatives);
        sampling.restrictions(CommonFields.restrictions(f, model, maxTokens, maxParam));
        sampling.extras(CommonFields.extras(f, model));
        Integer keep = CommonFields.truncation(f, model);
        if (n > limits.maxChoices()) {
            throw ApiError.invalid("n", "n may be at most " + limits.maxChoices());
        }

        List<ChatMessage> messages = messages(f.node("messages"), mapper);
        ChatTools.Offer tools = ChatTools.parse(f, model, mapper);
        OutputShape format = StructuredOutputs.parse(f, model);
        if (format != null && tools != null) {
            throw ApiError.unsupportedAs("response_format", "response_format (or guided output) with tools is not "
                    + "supported: a reply held to it could not call them; send one or the other (or tool_choice \"none\")");
        }
        int[] prompt;
        try {
            prompt = model.prompts().chat(messages, tools == null ? null : tools.definitions(),
                    templateArguments(f, mapper, model, f.string("reasoning_effort"), "reasoning_effort"), "messages");
        } catch (InvalidRequestException e) {
            throw ApiError.of(e);
        }
        prompt = CommonFields.truncate(prompt, keep); // from the left: the reply's start stays where the template put it
        // vLLM's echo for chat: the reply repeats the last message when it is the assistant's own (a prefill).
        List<String> echo = null;
        ChatMessage last = messages.getLast();
        if (f.bool("echo", false) && last.role().equals("assistant") && last.content() != null) {
            echo = List.of(last.content());
        }
        GenerationSpec spec = CommonFields.withAdapters(
                new GenerationSpec(List.of(prompt), echo, n, CommonFields.build(sampling), maxTokens, stop,
                "messages", maxParam, reasoning == ReasoningFormat.AUTO, CommonFields.cacheSalt(f),
                tools == null ? null : tools.use(), format, thinkingBudget(f), promptLogprobs,
                f.bool("include_stop_str_in_output", false), CommonFields.priority(f, model))
                .withRenderSpecial(CommonFields.rendersSpecialTokens(f)), f, model)
                .withPrediction(CommonFields.prediction(f, model));
        return new OpenAiRequest(spec, streaming[0], streaming[1], alternatives, promptLogprobs,
                f.bool("return_tokens_as_token_ids", false));
    }

    /**
     * vLLM's {@code thinking_token_budget}: the most tokens a reply that opens by thinking (in tags)
     * may think before its thinking is closed for it; null when absent.
     */
    static Integer thinkingBudget(Fields f) {
        Integer budget = f.integer("thinking_token_budget");
        if (budget != null && budget < 0) {
            throw ApiError.invalid("thinking_token_budget", "thinking_token_budget must be 0 or more, got " + budget);
        }
        return budget;
    }

    /** {@code reasoning_format} (llama.cpp's field): {@code auto} or {@code none}; the server's setting when absent. */
    private static ReasoningFormat reasoningFormat(Fields f, ServedModel model) {
        String name = f.string("reasoning_format");
        if (name == null) {
            return model.reasoningFormat();
        }
        ReasoningFormat format = ReasoningFormat.parse(name);
        if (format == null) {
            throw ApiError.invalid("reasoning_format", "reasoning_format must be \"auto\" or \"none\", got \"" + name + "\"");
        }
        return format;
    }

    /**
     * Extra arguments for the chat template: {@code chat_template_kwargs} (vLLM's and llama.cpp's
     * field: Qwen3's {@code enable_thinking}, ...), then OpenAI's {@code reasoning_effort} over it
     * (gpt-oss's template reads it: low, medium or high), given as {@code effort} by the field
     * {@code effortParam} (null: not given). Their text is the client's, so it may not spell a
     * control token of the model, just as message content cannot.
     */
    static Map<String, Object> templateArguments(Fields f, ObjectMapper mapper, ServedModel model, String effort,
                                                 String effortParam) {
        Map<String, Object> arguments = new java.util.LinkedHashMap<>();
        JsonNode kwargs = f.node("chat_template_kwargs");
        if (kwargs != null) {
            if (!kwargs.isObject()) {
                throw ApiError.invalid("chat_template_kwargs", "chat_template_kwargs must be an object");
            }
            arguments.putAll(mapper.convertValue(kwargs, TEMPLATE_ARGUMENTS));
        }
        if (effort != null) {
            arguments.put("reasoning_effort", effort);
        }
        for (Map.Entry<String, Object> e : arguments.entrySet()) {
            String param = e.getKey().equals("reasoning_effort") && effort != null ? effortParam
                    : "chat_template_kwargs." + e.getKey();
            if (ChatTemplate.isReservedArgument(e.getKey())) {
                throw ApiError.invalid(param, "'" + e.getKey() + "' is set by the server, not by chat_template_kwargs");
            }
            if (spellsControlToken(e.getValue(), model)) {
                throw ApiError.invalid(param, param + " may not contain the model's control tokens");
            }
        }
        return arguments;
    }

    /** Whether any text in a JSON-like value spells one of the model's control tokens. */
    private static boolean spellsControlToken(Object value, ServedModel model) {
        return switch (value) {
            case String s -> model.tokenizer().containsSpecialText(s);
            case Map<?, ?> m -> m.keySet().stream().anyMatch(k -> spellsControlToken(k, model))
                    || m.values().stream().anyMatch(v -> spellsControlToken(v, model));
            case List<?> l -> l.stream().anyMatch(v -> spellsControlToken(v, model));
            case null, default -> false;
        };
    }

    private static List<ChatMessage> messages(JsonNode array, ObjectMapper mapper) {
        if (array == null) {
            throw ApiError.invalid("messages", "messages is required");
        }
        if (!array.isArray() || array.isEmpty()) {
            throw ApiError.invalid("messages", "messages must be a non-empty list of messages");
        }
        List<ChatMessage> out = new ArrayList<>(array.size());
        for (int i = 0; i < array.size(); i++) {
            String param = "messages[" + i + "]";
            JsonNode m = array.get(i);
            if (!m.isObject()) {
                throw ApiError.invalid(param, param + " must be an object");
            }
            Fields mf = new Fields(m, param + ".");
            String role = mf.string("role");
            if (!ChatRoles.isAccepted(role)) {
                throw ApiError.invalid(param + ".role", param + ".role must be one of " + ChatRoles.ACCEPTED + ", got " + role);
            }
            String templateRole = ChatRoles.forTemplate(role);
            String content = TextParts.join(m.get("content"), param + ".content", Set.of("text"));
            if (content == null && !role.equals("assistant")) {
                throw ApiError.invalid(param + ".content", param + ".content is required for role " + role);
            }
            List<Map<String, Object>> toolCalls = null;
            JsonNode calls = mf.node("tool_calls");
            if (calls != null) {
                if (!calls.isArray()) {
                    throw ApiError.invalid(param + ".tool_calls", param + ".tool_calls must be a list");
                }
                toolCalls = mapper.convertValue(calls, TOOL_CALLS);
                toolCalls.forEach(call -> argumentsAsObject(call, mapper));
            }
            out.add(new ChatMessage(templateRole, content, mf.string("name"), toolCalls, mf.string("tool_call_id")));
        }
        return out;
    }

    /**
     * OpenAI clients send a past call's arguments as JSON text; templates write them with
     * {@code tojson} or walk them as a mapping (Kimi, GLM, Qwen3-Coder), so an object is what they
     * need, and what they were given in training. Text that is not an object stays text.
     */
    static void argumentsAsObject(Map<String, Object> call, ObjectMapper mapper) {
        if (call.get("function") instanceof Map<?, ?> function && function.get("arguments") instanceof String text) {
            try {
                JsonNode parsed = mapper.readTree(text);
                if (parsed != null && parsed.isObject()) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> writable = (Map<String, Object>) function;
                    writable.put("arguments", mapper.convertValue(parsed, TEMPLATE_ARGUMENTS));
                }
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                // not JSON: the template gets the text as the client sent it
            }
        }
    }
}
