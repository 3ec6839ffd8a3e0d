package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchyard.engine.chat.ChatMessage;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.server.serving.ChatRoles;
import dev.switchyard.server.serving.GenerationSpec;
import dev.switchyard.server.serving.InvalidRequestException;
import dev.switchyard.server.serving.ReasoningFormat;
import dev.switchyard.server.serving.ServedModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and validates a {@code POST /v1/messages} body (Anthropic's Messages API) into what the chat
 * machinery generates from, for clients written against that API: {@code system} and
 * {@code messages} (text blocks, the model's past {@code tool_use} blocks and the client's
 * {@code tool_result} blocks; past {@code thinking} blocks are left out, as templates leave out past
 * reasoning) through the model's chat template, a final assistant message continued as a prefill,
 * {@code tools} with their {@code input_schema} and {@code tool_choice}, {@code thinking} (passed to
 * templates that switch thinking as {@code enable_thinking}), {@code stop_sequences} and the
 * sampling fields. Images, documents, server tools and MCP servers are refused by name. It lives
 * beside the OpenAI APIs because it shares their request checks.
 */
public final class AnthropicMessages {

    /** Fields of features this server lacks: a 400 naming them. */
    private static final List<String> UNSUPPORTED = List.of("mcp_servers", "container");
    private static final Set<String> TEXT = Set.of("text");

    private AnthropicMessages() {
    }

    /** The renderer of a valid request; an {@link ApiError} naming the field otherwise. */
    public static ResponseRenderer renderer(JsonNode body, ServedModel model, ApiLimits limits, ObjectMapper mapper) {
        return new AnthropicMessagesRenderer(model, parse(body, model, limits, mapper));
    }

    /** {@code POST /v1/messages/count_tokens}: the prompt's tokens, as a request of this body would have them. */
    public static void countTokens(JsonNode body, ServedModel model, ApiLimits limits, ObjectMapper mapper,
                                   JsonGenerator g) throws IOException {
        ObjectNode withLimit = body.isObject() ? ((ObjectNode) body).deepCopy() : mapper.createObjectNode();
        if (!withLimit.has("max_tokens")) {
            withLimit.put("max_tokens", 1); // count_tokens takes no max_tokens; the prompt does not depend on it
        }
        AnthropicMessagesRequest parsed = parse(withLimit, model, limits, mapper);
        g.writeStartObject();
        g.writeNumberField("input_tokens", parsed.request().spec().prompts().getFirst().length);
        g.writeEndObject();
    }

    static AnthropicMessagesRequest parse(JsonNode body, ServedModel model, ApiLimits limits, ObjectMapper mapper) {
        Fields f = new Fields(body);
        CommonFields.checkModel(f, model);
        for (String name : UNSUPPORTED) {
            if (f.has(name)) {
                throw ApiError.unsupported(name, name);
            }
        }
        Integer maxTokens = f.integer("max_tokens");
        if (maxTokens == null) {
            throw ApiError.invalid("max_tokens", "max_tokens is required");
        }
        if (maxTokens < 1) {
            throw ApiError.invalid("max_tokens", "max_tokens must be at least 1, got " + maxTokens);
        }
        boolean stream = f.bool("stream", false);
        SamplingParams.Builder sampling = CommonFields.sampling(f, model.tokenizer().vocabSize());
        sampling.logprobs(SamplingParams.NO_LOGPROBS);
        List<String> stop = CommonFields.stop(f, limits, "stop_sequences");
        JsonNode metadata = f.node("metadata");
        if (metadata != null && !metadata.isObject()) {
            throw ApiError.invalid("metadata", "metadata must be an object");
        }

        List<ChatMessage> messages = new ArrayList<>();
        String system = system(f.node("system"));
        if (system != null) {
            messages.add(ChatMessage.of(ChatRoles.forTemplate("system"), system));
        }
        String prefill = messages(f.node("messages"), mapper, messages);
        ChatTools.Offer tools = ChatTools.parse(new Fields(chatToolFields(f, mapper)), model, mapper, true);
        Map<String, Object> arguments = ChatRequests.templateArguments(f, mapper, model, null, null);
        Integer budget = thinkingBudget(f);
        if (f.node("thinking") != null) {
            arguments.putIfAbsent("enable_thinking", budget != null);
        }
        int[] prompt;
        try {
            prompt = model.prompts().chat(messages, tools == null ? null : tools.definitions(), arguments, prefill,
                    "messages");
        } catch (InvalidRequestException e) {
            throw ApiError.of(e);
        }
        GenerationSpec spec = CommonFields.withAdapters(
                new GenerationSpec(List.of(prompt), null, 1, CommonFields.build(sampling), maxTokens, stop,
                "messages", "max_tokens", model.reasoningFormat() == ReasoningFormat.AUTO, CommonFields.cacheSalt(f),
                tools == null ? null : tools.use(), null, budget), f, model);
        return new AnthropicMessagesRequest(new OpenAiRequest(spec, stream, false, SamplingParams.NO_LOGPROBS), prefill);
    }

    /** {@code system}: a string, or a list of text blocks (their {@code cache_control} needs nothing here). */
    private static String system(JsonNode system) {
        return TextParts.join(system, "system", TEXT);
    }

    /**
     * {@code thinking}: its {@code budget_tokens} where {@code enabled} (a model that thinks in tags
     * then thinks at most that many tokens before its thinking is closed for it), null where
     * {@code disabled} or absent.
     */
    private static Integer thinkingBudget(Fields f) {
        JsonNode thinking = f.node("thinking");
        if (thinking == null) {
            return null;
        }
        if (!thinking.isObject()) {
            throw ApiError.invalid("thinking", "thinking must be an object");
        }
        Fields tf = new Fields(thinking, "thinking.");
        String type = tf.string("type");
        Integer budget = tf.integer("budget_tokens");
        return switch (type == null ? "" : type) {
            case "enabled" -> {
                if (budget == null || budget < 1) {
                    throw ApiError.invalid("thinking.budget_tokens", "thinking.budget_tokens is required with "
                            + "thinking enabled, and must be at least 1");
                }
                yield budget;
            }
            case "disabled" -> null;
            default -> throw ApiError.invalid("thinking.type", "thinking.type must be \"enabled\" or \"disabled\", got "
                    + (type == null ? "none" : "\"" + type + "\""));
        };
    }

    /**
     * The conversation into {@code out}; returns the text of a final assistant message (a prefill the
     * reply continues), or null when the last message is the user's.
     */
    private static String messages(JsonNode messages, ObjectMapper mapper, List<ChatMessage> out) {
        if (messages == null) {
            throw ApiError.invalid("messages", "messages is required");
        }
        if (!messages.isArray() || messages.isEmpty()) {
            throw ApiError.invalid("messages", "messages must be a non-empty list of messages");
        }
        String prefill = null;
        for (int i = 0; i < messages.size(); i++) {
            String param = "messages[" + i + "]";
            JsonNode message = messages.get(i);
            if (!message.isObject()) {
                throw ApiError.invalid(param, param + " must be an object");
            }
            Fields mf = new Fields(message, param + ".");
            String role = mf.string("role");
            JsonNode content = message.get("content");
            if (content == null || !(content.isTextual() || content.isArray())) {
                throw ApiError.invalid(param + ".content", param + ".content must be a string or a list of content "
                        + "blocks");
            }
            boolean last = i == messages.size() - 1;
            switch (role == null ? "" : role) {
                case "user" -> user(content, param + ".content", out);
                case "assistant" -> {
                    ChatMessage turn = assistant(content, param + ".content", mapper);
                    if (last && turn.toolCalls() == null) {
                        prefill = turn.content() == null ? "" : turn.content();
                    } else {
                        out.add(turn);
                    }
                }
                default -> throw ApiError.invalid(param + ".role", param + ".role must be \"user\" or \"assistant\", got "
                        + (role == null ? "none" : "\"" + role + "\""));
            }
        }
        if (out.stream().noneMatch(m -> m.role().equals("user") || m.role().equals("tool"))) {
            throw ApiError.invalid("messages", "messages hold no user message to answer");
        }
        return prefill;
    }

    /** A user's turn: its tool results as tool messages, then its text (if any) as a user message. */
    private static void user(JsonNode content, String param, List<ChatMessage> out) {
        if (content.isTextual()) {
            out.add(ChatMessage.of("user", content.textValue()));
            return;
        }
        StringBuilder text = new StringBuilder();
        boolean hasText = false;
        for (int j = 0; j < content.size(); j++) {
            String blockParam = param + "[" + j + "]";
            JsonNode block = content.get(j);
            String type = block.path("type").asText(null);
            switch (type == null ? "" : type) {
                case "text" -> {
                    text.append(blockText(block, blockParam));
                    hasText = true;
                }
                case "tool_result" -> {
                    Fields bf = new Fields(block, blockParam + ".");
                    String id = ResponsesApi.required(bf, "tool_use_id", blockParam);
                    String result = TextParts.join(block.get("content"), blockParam + ".content", TEXT);
                    if (bf.bool("is_error", false)) {
                        result = "Error: " + (result == null ? "" : result);
                    }
                    out.add(new ChatMessage("tool", result == null ? "" : result, null, null, id));
                }
                default -> throw ApiError.unsupported(blockParam + ".type", "user content blocks of type '" + type
                        + "' (only text and tool_result)");
            }
        }
        if (hasText) {
            out.add(ChatMessage.of("user", text.toString()));
        }
    }

    /** An assistant's turn: its text and its tool calls ({@code thinking} blocks left out). */
    private static ChatMessage assistant(JsonNode content, String param, ObjectMapper mapper) {
        if (content.isTextual()) {
            return ChatMessage.of("assistant", content.textValue());
        }
        StringBuilder text = new StringBuilder();
        List<Map<String, Object>> calls = new ArrayList<>();
        for (int j = 0; j < content.size(); j++) {
            String blockParam = param + "[" + j + "]";
            JsonNode block = content.get(j);
            String type = block.path("type").asText(null);
            switch (type == null ? "" : type) {
                case "text" -> text.append(blockText(block, blockParam));
                case "tool_use" -> {
                    Fields bf = new Fields(block, blockParam + ".");
                    String id = ResponsesApi.required(bf, "id", blockParam);
                    String name = ResponsesApi.required(bf, "name", blockParam);
                    JsonNode input = block.get("input");
                    if (input == null || !input.isObject()) {
                        throw ApiError.invalid(blockParam + ".input", blockParam + ".input must be an object");
                    }
                    calls.add(ResponsesApi.chatCall(id, name, input.toString(), mapper));
                }
                case "thinking", "redacted_thinking" -> {
                    // the model's earlier reasoning: chat templates leave it out of past turns
                }
                default -> throw ApiError.unsupported(blockParam + ".type", "assistant content blocks of type '" + type
                        + "' (only text, tool_use, thinking and redacted_thinking)");
            }
        }
        return new ChatMessage("assistant", text.isEmpty() && !calls.isEmpty() ? null : text.toString(), null,
                calls.isEmpty() ? null : calls, null);
    }

    private static String blockText(JsonNode block, String param) {
        JsonNode text = block.get("text");
        if (text == null || !text.isTextual()) {
            throw ApiError.invalid(param + ".text", param + ".text must be a string");
        }
        return text.textValue();
    }

    /**
     * {@code tools}, {@code tool_choice} and its {@code disable_parallel_tool_use} in the Responses
     * API's flat shape, which {@link ChatTools} reads: a tool's {@code input_schema} as its
     * parameters; {@code auto}, {@code any} (a call is required), {@code tool} (that one) and
     * {@code none}. Tools with a {@code type} of their own (Anthropic's server tools) are refused.
     */
    private static ObjectNode chatToolFields(Fields f, ObjectMapper mapper) {
        ObjectNode fields = mapper.createObjectNode();
        JsonNode tools = f.node("tools");
        if (tools != null) {
            if (!tools.isArray()) {
                throw ApiError.invalid("tools", "tools must be a list of tools");
            }
            ArrayNode flat = fields.putArray("tools");
            for (int i = 0; i < tools.size(); i++) {
                String param = "tools[" + i + "]";
                JsonNode tool = tools.get(i);
                if (!tool.isObject()) {
                    throw ApiError.invalid(param, param + " must be an object");
                }
                Fields tf = new Fields(tool, param + ".");
                String type = tf.string("type");
                if (type != null && !type.equals("custom")) {
                    throw ApiError.unsupported(param + ".type", "tools of type '" + type + "' (only client tools, "
                            + "with a name, a description and an input_schema)");
                }
                JsonNode schema = tool.get("input_schema");
                if (schema == null || !schema.isObject()) {
                    throw ApiError.invalid(param + ".input_schema", param + ".input_schema must be a JSON Schema object");
                }
                ObjectNode function = flat.addObject();
                function.put("type", "function");
                function.set("name", tool.get("name"));
                if (tool.has("description")) {
                    function.set("description", tool.get("description"));
                }
                function.set("parameters", schema);
            }
        }
        JsonNode choice = f.node("tool_choice");
        if (choice != null) {
            if (!choice.isObject()) {
                throw ApiError.invalid("tool_choice", "tool_choice must be an object with a type");
            }
            Fields cf = new Fields(choice, "tool_choice.");
            String type = cf.string("type");
            switch (type == null ? "" : type) {
                case "auto" -> fields.put("tool_choice", "auto");
                case "any" -> fields.put("tool_choice", "required");
                case "none" -> fields.put("tool_choice", "none");
                case "tool" -> fields.putObject("tool_choice").put("type", "function")
                        .put("name", ResponsesApi.required(cf, "name", "tool_choice"));
                default -> throw ApiError.invalid("tool_choice.type", "tool_choice.type must be auto, any, tool or none, "
                        + "got " + (type == null ? "none" : "\"" + type + "\""));
            }
            fields.put("parallel_tool_calls", !cf.bool("disable_parallel_tool_use", false));
        }
        return fields;
    }
}
