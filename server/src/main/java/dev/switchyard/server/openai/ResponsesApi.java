package dev.switchyard.server.openai;

import dev.switchyard.engine.generate.GenerationRequest;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchyard.engine.chat.ChatMessage;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.engine.structured.JsonSchema;
import dev.switchyard.server.serving.ChatRoles;
import dev.switchyard.server.serving.GenerationSpec;
import dev.switchyard.server.serving.InvalidRequestException;
import dev.switchyard.server.serving.OutputShape;
import dev.switchyard.server.serving.ReasoningFormat;
import dev.switchyard.server.serving.ServedModel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads and validates a {@code POST /v1/responses} body (OpenAI's Responses API) into what the chat
 * machinery generates from: the conversation of {@code instructions} and {@code input} (messages,
 * the model's past function calls and their outputs) through the model's chat template, function
 * tools, {@code text.format}, {@code reasoning.effort} and the sampling fields. A response kept in
 * the {@link ResponseStore} ({@code store}, true by default) is continued by naming it in
 * {@code previous_response_id}: its conversation comes first (without its instructions, as OpenAI
 * does), and a conversation ({@link ConversationsApi}) by naming it in {@code conversation}: its
 * items come first, and the response's turn is added to it when it completes. A
 * {@code background} response is made apart from its request ({@link BackgroundResponses}).
 * Stored prompts and item references are refused by name.
 */
public final class ResponsesApi {

    /** Fields of features this server lacks: a 400 naming them. */
    private static final List<String> UNSUPPORTED = List.of("prompt");
    private static final String LOGPROBS_INCLUDE = "message.output_text.logprobs";
    /** Asked for by clients that carry reasoning between turns; there is none to give, so the items go without it. */
    private static final String ENCRYPTED_REASONING_INCLUDE = "reasoning.encrypted_content";

    private ResponsesApi() {
    }

    /** The renderer of a valid request; an {@link ApiError} naming the field otherwise. */
    public static ResponseRenderer renderer(JsonNode body, ServedModel model, ApiLimits limits, ObjectMapper mapper,
                                            ResponseStore store, ConversationsApi conversations) {
        return renderer(body, model, limits, mapper, store, conversations, null);
    }

    /**
     * As above, for the client of the key named {@code caller} (null: requests need no key): the
     * response is its, and it may continue only its own responses and conversations.
     */
    public static ResponseRenderer renderer(JsonNode body, ServedModel model, ApiLimits limits, ObjectMapper mapper,
                                            ResponseStore store, ConversationsApi conversations, String caller) {
        return new ResponsesRenderer(model, parse(body, model, limits, mapper, store, conversations, caller), store,
                conversations, mapper);
    }

    static ResponsesRequest parse(JsonNode body, ServedModel model, ApiLimits limits, ObjectMapper mapper,
                                  ResponseStore store, ConversationsApi conversations, String caller) {
        Fields f = new Fields(body);
        CommonFields.checkModel(f, model);
        for (String name : UNSUPPORTED) {
            if (f.has(name)) {
                throw ApiError.unsupported(name, name);
            }
        }
        String truncation = f.string("truncation");
        if (truncation != null && !truncation.equals("disabled")) {
            throw ApiError.unsupported("truncation", "truncation other than \"disabled\"");
        }
        boolean keep = f.bool("store", true) && store.keeps();
        boolean background = f.bool("background", false);
        if (background && !keep) {
            throw ApiError.invalid("background", "a background response is kept until it is fetched: it needs store "
                    + "true (the default) and a server that keeps responses (--responses-memory above 0)");
        }
        String previousId = f.string("previous_response_id");
        // another key's response is not found, as one never made
        ResponseStore.Stored previous = previousId == null || !store.visibleTo(previousId, caller) ? null
                : store.get(previousId);
        if (previousId != null && previous == null) {
            throw new ApiError(404, "invalid_request_error", "no response '" + previousId + "' is kept here: it was "
                    + "never made, was made with store false, was deleted, or was evicted", "previous_response_id",
                    "previous_response_not_found");
        }
        String conversationId = conversationId(f.node("conversation"));
        if (conversationId != null && previousId != null) {
            throw ApiError.invalid("conversation", "conversation and previous_response_id cannot both be given: either "
                    + "one holds the earlier turns");
        }
        f.string("user");
        boolean includeLogprobs = includes(f);
        Integer top = f.integer("top_logprobs");
        if (top != null && (top < 0 || top > SamplingParams.MAX_LOGPROBS)) {
            throw ApiError.invalid("top_logprobs", "top_logprobs must be in 0.." + SamplingParams.MAX_LOGPROBS
                    + ", got " + top);
        }
        int alternatives = includeLogprobs || top != null ? (top == null ? 0 : top) : SamplingParams.NO_LOGPROBS;
        boolean stream = f.bool("stream", false);
        Integer maxTokens = CommonFields.maxTokens(f, "max_output_tokens");
        SamplingParams.Builder sampling = CommonFields.sampling(f, model.tokenizer().vocabSize());
        sampling.logprobs(alternatives);
        List<String> stop = CommonFields.stop(f, limits);

        String instructions = f.string("instructions");
        // the earlier turns, then this input: what a later response continues
        List<ChatMessage> conversation = new ArrayList<>(previous != null ? previous.conversation()
                : conversationId != null ? conversations.turns(conversationId, caller) : List.of());
        input(f.node("input"), mapper, conversation);
        List<ChatMessage> messages = new ArrayList<>(conversation.size() + 1);
        if (instructions != null) {
            messages.add(ChatMessage.of(ChatRoles.forTemplate("system"), instructions));
        }
        messages.addAll(conversation);
        ChatTools.Offer tools = ChatTools.parse(f, model, mapper, true);
        JsonSchema format = ResponseFormats.parseText(f);
        if (format != null && tools != null) {
            throw ApiError.unsupportedAs("text.format", "text.format with tools is not supported: a reply held to the "
                    + "schema could not call them; send one or the other (or tool_choice \"none\")");
        }
        String effort = reasoningEffort(f);
        int[] prompt;
        try {
            prompt = model.prompts().chat(messages, tools == null ? null : tools.definitions(),
                    ChatRequests.templateArguments(f, mapper, model, effort, "reasoning.effort"), "input");
        } catch (InvalidRequestException e) {
            throw ApiError.of(e);
        }
        GenerationSpec spec = CommonFields.withAdapters(
                new GenerationSpec(List.of(prompt), null, 1, CommonFields.build(sampling), maxTokens, stop,
                "input", "max_output_tokens", model.reasoningFormat() == ReasoningFormat.AUTO, CommonFields.cacheSalt(f),
                tools == null ? null : tools.use(), OutputShape.json(format), null, GenerationRequest.NO_PROMPT_LOGPROBS,
                false, CommonFields.priority(f, model)), f, model);
        JsonNode metadata = f.node("metadata");
        if (metadata != null && !metadata.isObject()) {
            throw ApiError.invalid("metadata", "metadata must be an object of strings");
        }
        Double temperature = f.number("temperature");
        Double topP = f.number("top_p");
        return new ResponsesRequest(new OpenAiRequest(spec, stream, false, alternatives), alternatives >= 0, instructions,
                maxTokens, temperature == null ? 1.0 : temperature, topP == null ? 1.0 : topP, f.node("tools"),
                f.node("tool_choice"), f.bool("parallel_tool_calls", true), formatEcho(f), effort, metadata,
                f.string("user"), top == null ? 0 : top, keep, previousId, List.copyOf(conversation),
                inputItems(f.node("input"), mapper), background, conversationId, caller);
    }

    /** {@code conversation}: its id, given as a string or as {@code {"id": ...}}; null when absent. */
    private static String conversationId(JsonNode conversation) {
        if (conversation == null || conversation.isNull()) {
            return null;
        }
        if (conversation.isTextual()) {
            return conversation.textValue();
        }
        if (conversation.isObject() && conversation.path("id").isTextual()) {
            return conversation.get("id").textValue();
        }
        throw ApiError.invalid("conversation", "conversation must be a conversation's id or an object with its id");
    }

    /** {@code include}: whether it asks for the answer's logprobs; what cannot be included is a 400. */
    private static boolean includes(Fields f) {
        JsonNode include = f.node("include");
        if (include == null) {
            return false;
        }
        if (!include.isArray()) {
            throw ApiError.invalid("include", "include must be a list of strings");
        }
        boolean logprobs = false;
        for (int i = 0; i < include.size(); i++) {
            String item = include.get(i).isTextual() ? include.get(i).textValue() : null;
            if (LOGPROBS_INCLUDE.equals(item)) {
                logprobs = true;
            } else if (!ENCRYPTED_REASONING_INCLUDE.equals(item)) {
                throw ApiError.unsupported("include[" + i + "]", "including " + include.get(i) + " (only \""
                        + LOGPROBS_INCLUDE + "\" and \"" + ENCRYPTED_REASONING_INCLUDE + "\")");
            }
        }
        return logprobs;
    }

    private static String reasoningEffort(Fields f) {
        JsonNode reasoning = f.node("reasoning");
        if (reasoning == null) {
            return null;
        }
        if (!reasoning.isObject()) {
            throw ApiError.invalid("reasoning", "reasoning must be an object");
        }
        Fields rf = new Fields(reasoning, "reasoning.");
        rf.string("summary"); // the reasoning comes whole, as reasoning_text; no summaries are written
        return rf.string("effort");
    }

    /** {@code text} as the response repeats it: the format given, else plain text. */
    private static JsonNode formatEcho(Fields f) {
        JsonNode text = f.node("text");
        return text != null && text.get("format") != null && !text.get("format").isNull() ? text.get("format") : null;
    }

    /**
     * The input as the items {@code GET /v1/responses/{id}/input_items} lists: a text as a user
     * message, items as sent, each given an id where it has none.
     */
    private static JsonNode inputItems(JsonNode input, ObjectMapper mapper) {
        ArrayNode items = mapper.createArrayNode();
        if (input.isTextual()) {
            ObjectNode message = items.addObject();
            message.put("id", "msg_" + ResponsesRenderer.hex());
            message.put("type", "message");
            message.put("role", "user");
            message.putArray("content").addObject().put("type", "input_text").put("text", input.textValue());
            return items;
        }
        for (JsonNode item : input) {
            ObjectNode copy = item.deepCopy();
            if (!copy.path("id").isTextual()) {
                String type = copy.path("type").asText("message");
                copy.put("id", ConversationItems.idPrefix(type) + ResponsesRenderer.hex());
            }
            items.add(copy);
        }
        return items;
    }

    /**
     * A page of a kept response's input items as OpenAI lists them: {@code order} {@code desc} (the
     * default: the last item first) or {@code asc}, {@code limit} 1 to 100 (20), starting after the
     * item {@code after} (null: from the start); each parameter may be null.
     */
    public static void writeInputItems(JsonGenerator g, String items, String order, String limit, String after,
                                       ObjectMapper mapper) throws IOException {
        List<JsonNode> all = new ArrayList<>();
        mapper.readTree(items).forEach(all::add);
        writeItemPage(g, all, order, limit, after);
    }

    /** A page of {@code items} (not changed), as {@link #writeInputItems} pages them. */
    public static void writeItemPage(JsonGenerator g, List<JsonNode> items, String order, String limit, String after)
            throws IOException {
        boolean descending = order == null || order.equals("desc");
        if (!descending && !order.equals("asc")) {
            throw ApiError.invalid("order", "order must be \"asc\" or \"desc\", got \"" + order + "\"");
        }
        int count;
        try {
            count = limit == null ? 20 : Integer.parseInt(limit);
        } catch (NumberFormatException e) {
            count = -1;
        }
        if (count < 1 || count > 100) {
            throw ApiError.invalid("limit", "limit must be an integer from 1 to 100, got " + limit);
        }
        List<JsonNode> all = new ArrayList<>(items);
        if (descending) {
            java.util.Collections.reverse(all);
        }
        int from = 0;
        if (after != null) {
            while (from < all.size() && !after.equals(all.get(from).path("id").asText())) {
                from++;
            }
            if (from == all.size()) {
                throw ApiError.invalid("after", "no item '" + after + "' in this list");
            }
            from++;
        }
        int to = Math.min(all.size(), from + count);
        g.writeStartObject();
        g.writeStringField("object", "list");
        g.writeArrayFieldStart("data");
        for (int i = from; i < to; i++) {
            g.writeTree(all.get(i));
        }
        g.writeEndArray();
        if (to > from) {
            g.writeStringField("first_id", all.get(from).path("id").asText());
            g.writeStringField("last_id", all.get(to - 1).path("id").asText());
        } else {
            g.writeNullField("first_id");
            g.writeNullField("last_id");
        }
        g.writeBooleanField("has_more", to < all.size());
        g.writeEndObject();
    }

    /** The conversation in {@code input}: a user's text, or a list of items. */
    private static void input(JsonNode input, ObjectMapper mapper, List<ChatMessage> out) {
        if (input == null) {
            throw ApiError.invalid("input", "input is required");
        }
        if (input.isTextual()) {
            out.add(ChatMessage.of("user", input.textValue()));
            return;
        }
        if (!input.isArray() || input.isEmpty()) {
            throw ApiError.invalid("input", "input must be a string or a non-empty list of items");
        }
        items(input, "input", mapper, out);
        // earlier turns (previous_response_id, a conversation) count
        if (out.stream().noneMatch(m -> !m.role().equals("system"))) {
            throw ApiError.invalid("input", "input holds no message to answer");
        }
    }

    /**
     * Items (messages, the model's past function calls and their outputs, reasoning) as the chat
     * template's turns, appended to {@code out}; a bad one is a 400 naming {@code param[i]}.
     */
    static void items(JsonNode items, String name, ObjectMapper mapper, List<ChatMessage> out) {
        for (int i = 0; i < items.size(); i++) {
            String param = name + "[" + i + "]";
            JsonNode item = items.get(i);
            if (!item.isObject()) {
                throw ApiError.invalid(param, param + " must be an object");
            }
            Fields itf = new Fields(item, param + ".");
            String type = itf.string("type");
            if (type == null && item.has("role")) {
                type = "message";
            }
            switch (type == null ? "" : type) {
                case "message" -> out.add(message(itf, item, param));
                case "function_call" -> addCall(out, itf, param, mapper);
                case "function_call_output" -> {
                    String callId = required(itf, "call_id", param);
                    out.add(new ChatMessage("tool", text(item.get("output"), param + ".output", OUTPUT_PARTS), null, null,
                            callId));
                }
                case "reasoning" -> {
                    // the model's earlier reasoning: chat templates leave it out of past turns
                }
                case "item_reference" -> throw ApiError.unsupportedAs(param + ".type", "item references are not "
                        + "supported: send the item itself, or continue a kept response with previous_response_id");
                default -> throw ApiError.unsupported(param + ".type", "items of type '" + type
                        + "' (only message, function_call, function_call_output and reasoning)");
            }
        }
    }

    private static ChatMessage message(Fields itf, JsonNode item, String param) {
        String role = itf.string("role");
        if (!ChatRoles.isAccepted(role) || role.equals("tool")) {
            throw ApiError.invalid(param + ".role", param + ".role must be one of user, assistant, system or "
                    + "developer, got " + role);
        }
        String content = text(item.get("content"), param + ".content", MESSAGE_PARTS);
        return ChatMessage.of(ChatRoles.forTemplate(role), content);
    }

    /**
     * A past function call joins the assistant turn it follows (as chat's {@code tool_calls}), or
     * opens one of its own.
     */
    private static void addCall(List<ChatMessage> out, Fields itf, String param, ObjectMapper mapper) {
        String callId = required(itf, "call_id", param);
        String name = required(itf, "name", param);
        String arguments = itf.string("arguments");
        Map<String, Object> call = chatCall(callId, name, arguments == null ? "{}" : arguments, mapper);
        ChatMessage last = out.isEmpty() ? null : out.getLast();
        if (last != null && last.role().equals("assistant")) {
            List<Map<String, Object>> calls = new ArrayList<>(last.toolCalls() == null ? List.of() : last.toolCalls());
            calls.add(call);
            out.set(out.size() - 1, new ChatMessage("assistant", last.content(), null, calls, null));
        } else {
            out.add(new ChatMessage("assistant", null, null, List.of(call), null));
        }
    }

    /** Text parts of a message (an assistant's may be a refusal), and of a call's output. */
    private static final Set<String> MESSAGE_PARTS = Set.of("input_text", "output_text", "text", "refusal");
    private static final Set<String> OUTPUT_PARTS = Set.of("input_text", "output_text", "text");

    private static String text(JsonNode content, String param, Set<String> types) {
        String text = TextParts.join(content, param, types);
        if (text == null) {
            throw ApiError.invalid(param, param + " is required");
        }
        return text;
    }

    /** A function call as chat's {@code tool_calls} hold it, for the template: its arguments an object where they are one. */
    static Map<String, Object> chatCall(String callId, String name, String arguments, ObjectMapper mapper) {
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", name);
        function.put("arguments", arguments);
        Map<String, Object> call = new LinkedHashMap<>();
        call.put("id", callId);
        call.put("type", "function");
        call.put("function", function);
        ChatRequests.argumentsAsObject(call, mapper);
        return call;
    }

    static String required(Fields f, String name, String param) {
        String value = f.string(name);
        if (value == null) {
            throw ApiError.invalid(param + "." + name, param + "." + name + " is required");
        }
        return value;
    }

}
