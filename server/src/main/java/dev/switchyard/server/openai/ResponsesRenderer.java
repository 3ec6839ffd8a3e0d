package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import dev.switchyard.engine.chat.ChatMessage;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.server.serving.ChoiceToolCall;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.TokenLogprob;
import dev.switchyard.server.serving.Usage;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A {@code response} object of OpenAI's Responses API, and its semantic stream. The reply becomes
 * output items in the order the model wrote them: a {@code reasoning} item for reasoning set apart
 * (its text as {@code reasoning_text}), a {@code message} item for the answer (one
 * {@code output_text} part, with its tokens' logprobs where asked; text after a call opens another),
 * and a {@code function_call} item per tool call. Streamed, each item is opened ({@code response.output_item.added}), grown by deltas
 * ({@code response.reasoning_text.delta}, {@code response.output_text.delta}, a call's arguments
 * whole in one {@code response.function_call_arguments.delta}) and closed with its
 * {@code .done} events, between {@code response.created}/{@code response.in_progress} and
 * {@code response.completed} (or {@code response.incomplete} when {@code max_output_tokens} or the
 * context ran out, {@code response.cancelled} when it was aborted, or {@code response.failed}); every event carries its {@code sequence_number},
 * and there is no {@code [DONE]}. A response asked to be kept goes to the {@link ResponseStore} as
 * it was returned, with its conversation, once it has ended (a failed one is not kept).
 */
final class ResponsesRenderer implements ResponseRenderer {

    private enum Kind { REASONING, MESSAGE, FUNCTION_CALL }

    /** An output item and what it holds so far. */
    private static final class Item {
        final Kind kind;
        final String id;
        final int outputIndex;
        final StringBuilder text = new StringBuilder();
        final List<TokenLogprob> logprobs = new ArrayList<>();
        ChoiceToolCall call;
        boolean done;

        Item(Kind kind, String id, int outputIndex) {
            this.kind = kind;
            this.id = id;
            this.outputIndex = outputIndex;
        }
    }

    private final String id;
    private final long created;
    private final ServedModel model;
    private final ResponsesRequest request;
    private final List<Item> items = new ArrayList<>();
    /** The reasoning or message item tokens are growing, or null. */
    private Item open;
    private FinishReason finish;
    /** Logprobs of tokens that released nothing yet, for the answer if their text joins it. */
    private final List<TokenLogprob> pendingLogprobs = new ArrayList<>();
    /** Tokens that released reasoning text. */
    private int reasoningTokens;
    private int sequence;
    private String failure;

    private final ResponseStore store;
    private final ConversationsApi conversations;
    private final ObjectMapper mapper;

    ResponsesRenderer(ServedModel model, ResponsesRequest request, ResponseStore store, ConversationsApi conversations,
                      ObjectMapper mapper) {
        this.id = "resp_" + hex();
        this.created = System.currentTimeMillis() / 1000;
        this.model = model;
        this.request = request;
        this.store = store;
        this.conversations = conversations;
        this.mapper = mapper;
    }

    /** 128 random bits in hex: the tail of every id this API makes. */
    static String hex() {
        return Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE)
                + Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
    }

    /** The name of the key the response belongs to (null: requests need no key). */
    String owner() {
        return request.owner();
    }

    @Override
    public OpenAiRequest request() {
        return request.request();
    }

    /** The response's id. */
    String id() {
        return id;
    }

    /** Whether the response is made apart from its request ({@code background}). */
    boolean background() {
        return request.background();
    }

    /**
     * The response object as it stands before any output, with {@code status} ({@code queued},
     * {@code in_progress}, {@code cancelled}): what a background response answers while it runs.
     * Written before the generation starts, so it reads nothing the scheduler's thread writes.
     */
    String snapshot(String status) {
        return responseJson(status, null);
    }

    /** Keeps the ended response (a background one, which nobody waits on). */
    void keepEnded(Usage usage) {
        keep(usage);
    }

    /** Keeps the response as failed with {@code message} (a background response, which no stream reports). */
    void keepFailed(String message) {
        failure = message;
        keepAs("failed", null);
    }

    // ---- the reply as items, streamed (out != null) or collected (out == null) ----

    private void accept(EventStream out, String reasoning, String text, TokenLogprob logprob) {
        TokenLogprob kept = request.logprobs() ? logprob : null;
        if (reasoning.isEmpty() && text.isEmpty() && (open == null || open.kind != Kind.MESSAGE)) {
            // released nothing yet (part of a character, held-back text): its text comes with the answer, if anywhere
            if (kept != null) {
                pendingLogprobs.add(kept);
            }
            return;
        }
        if (!reasoning.isEmpty()) {
            reasoningTokens++;
            pendingLogprobs.clear(); // what they held back was reasoning
            Item r = itemFor(out, Kind.REASONING);
            r.text.append(reasoning);
            if (out != null) {
                event(out, "response.reasoning_text.delta", g -> {
                    itemFields(g, r);
                    g.writeNumberField("content_index", 0);
                    g.writeStringField("delta", reasoning);
                });
            }
            if (text.isEmpty()) {
                return;
            }
        }
        Item m = itemFor(out, Kind.MESSAGE);
        m.text.append(text);
        List<TokenLogprob> added;
        if (pendingLogprobs.isEmpty()) {
            added = kept == null ? List.of() : List.of(kept);
        } else {
            added = new ArrayList<>(pendingLogprobs);
            pendingLogprobs.clear();
            if (kept != null) {
                added.add(kept);
            }
        }
        m.logprobs.addAll(added);
        if (out != null && (!text.isEmpty() || !added.isEmpty())) {
            event(out, "response.output_text.delta", g -> {
                itemFields(g, m);
                g.writeNumberField("content_index", 0);
                g.writeStringField("delta", text);
                writeLogprobs(g, added);
            });
        }
    }

    /** The open item of {@code kind}, opening it (and closing the one before) where needed. */
    private Item itemFor(EventStream out, Kind kind) {
        if (open != null && open.kind == kind) {
            return open;
        }
        closeOpen(out);
        Item item = new Item(kind, (kind == Kind.REASONING ? "rs_" : "msg_") + hex(), items.size());
        items.add(item);
        open = item;
        if (out != null) {
            event(out, "response.output_item.added", g -> {
                g.writeNumberField("output_index", item.outputIndex);
                g.writeFieldName("item");
                writeItem(g, item);
            });
            if (kind == Kind.MESSAGE) {
                event(out, "response.content_part.added", g -> {
                    itemFields(g, item);
                    g.writeNumberField("content_index", 0);
                    g.writeFieldName("part");
                    writePart(g, item);
                });
            }
        }
        return item;
    }

    private void closeOpen(EventStream out) {
        Item item = open;
        if (item == null) {
            return;
        }
        open = null;
        item.done = true;
        if (out == null) {
            return;
        }
        if (item.kind == Kind.MESSAGE) {
            event(out, "response.output_text.done", g -> {
                itemFields(g, item);
                g.writeNumberField("content_index", 0);
                g.writeStringField("text", item.text.toString());
                writeLogprobs(g, item.logprobs);
            });
            event(out, "response.content_part.done", g -> {
                itemFields(g, item);
                g.writeNumberField("content_index", 0);
                g.writeFieldName("part");
                writePart(g, item);
            });
        } else {
            event(out, "response.reasoning_text.done", g -> {
                itemFields(g, item);
                g.writeNumberField("content_index", 0);
                g.writeStringField("text", item.text.toString());
            });
        }
        itemDone(out, item);
    }

    private void calls(EventStream out, List<ChoiceToolCall> calls) {
        closeOpen(out);
        for (ChoiceToolCall call : calls) {
            Item item = new Item(Kind.FUNCTION_CALL, "fc_" + hex(), items.size());
            item.call = call;
            items.add(item);
            if (out == null) {
                item.done = true;
                continue;
            }
            event(out, "response.output_item.added", g -> {
                g.writeNumberField("output_index", item.outputIndex);
                g.writeFieldName("item");
                writeItem(g, item);
            });
            event(out, "response.function_call_arguments.delta", g -> {
                itemFields(g, item);
                g.writeStringField("delta", call.arguments());
            });
            item.done = true;
            event(out, "response.function_call_arguments.done", g -> {
                itemFields(g, item);
                g.writeStringField("name", call.name());
                g.writeStringField("arguments", call.arguments());
            });
            itemDone(out, item);
        }
    }

    private void finish(EventStream out, String reasoning, String text, FinishReason reason) {
        accept(out, reasoning, text, null);
        if (items.isEmpty()) {
            itemFor(out, Kind.MESSAGE); // an empty answer is still a message
        }
        closeOpen(out);
        finish = reason;
    }

    private void itemDone(EventStream out, Item item) {
        event(out, "response.output_item.done", g -> {
            g.writeNumberField("output_index", item.outputIndex);
            g.writeFieldName("item");
            writeItem(g, item);
        });
    }

    // ---- ResponseRenderer ----

    /** The stream's opening events; a background response is created {@code queued}, as OpenAI's are. */
    @Override
    public void openStream(EventStream out) {
        String first = background() ? "queued" : "in_progress";
        event(out, "response.created", g -> {
            g.writeFieldName("response");
            writeResponseObject(g, first, null);
        });
        if (background()) {
            event(out, "response.queued", g -> {
                g.writeFieldName("response");
                writeResponseObject(g, "queued", null);
            });
        }
        event(out, "response.in_progress", g -> {
            g.writeFieldName("response");
            writeResponseObject(g, "in_progress", null);
        });
    }

    @Override
    public void streamToken(EventStream out, int index, String reasoning, String text, TokenLogprob logprob) {
        accept(out, reasoning, text, logprob);
    }

    @Override
    public void streamToolCalls(EventStream out, int index, List<ChoiceToolCall> calls) {
        calls(out, calls);
    }

    @Override
    public void streamFinish(EventStream out, int index, String reasoning, String text, FinishReason reason) {
        finish(out, reasoning, text, reason);
    }

    @Override
    public void streamFailure(EventStream out, ApiError error) {
        failure = error.getMessage();
        event(out, "response.failed", g -> {
            g.writeFieldName("response");
            writeResponseObject(g, "failed", null);
        });
    }

    @Override
    public void closeStream(EventStream out, Usage usage, boolean failed) {
        if (failed) {
            return; // response.failed said it
        }
        String status = status();
        String kept = keep(usage);
        event(out, "response." + status, g -> {
            g.writeFieldName("response");
            writeEnded(g, kept, usage);
        });
    }

    @Override
    public void collect(int index, String reasoning, String text, TokenLogprob logprob) {
        accept(null, reasoning, text, logprob);
    }

    @Override
    public void collectToolCalls(int index, List<ChoiceToolCall> calls) {
        calls(null, calls);
    }

    @Override
    public void collectFinish(int index, String reasoning, String text, FinishReason reason) {
        finish(null, reasoning, text, reason);
    }

    @Override
    public void writeResponse(JsonGenerator g, Usage usage) throws IOException {
        writeEnded(g, keep(usage), usage);
    }

    /** The ended response: as kept where it was ({@code kept} non-null), written once for both. */
    private void writeEnded(JsonGenerator g, String kept, Usage usage) throws IOException {
        if (kept != null) {
            g.writeRawValue(kept);
        } else {
            writeResponseObject(g, status(), usage);
        }
    }

    /**
     * Keeps the ended response, when asked to: as returned, and the conversation with its output as
     * the last turn. Returns its JSON, or null when it is not kept.
     */
    private String keep(Usage usage) {
        if (request.conversationId() != null && !status().equals("cancelled")) {
            joinConversation();
        }
        return request.store() ? keepAs(status(), usage) : null;
    }

    /** Adds this turn to the response's conversation: the input items, then the output items as returned. */
    private void joinConversation() {
        List<JsonNode> input = new ArrayList<>();
        request.inputItems().forEach(input::add);
        List<JsonNode> output = new ArrayList<>(items.size());
        for (Item item : items) {
            try (TokenBuffer buffer = new TokenBuffer(mapper, false)) {
                writeItem(buffer, item);
                output.add(mapper.readTree(buffer.asParser()));
            } catch (IOException e) {
                throw new UncheckedIOException(e); // a buffer in memory does not fail
            }
        }
        conversations.append(request.conversationId(), input, output);
    }

    private String keepAs(String status, Usage usage) {
        String json = responseJson(status, usage);
        List<ChatMessage> conversation = new ArrayList<>(request.conversation());
        ChatMessage turn = outputTurn();
        if (turn != null) {
            conversation.add(turn);
        }
        store.put(id, new ResponseStore.Stored(json, request.inputItems().toString(), List.copyOf(conversation),
                request.background(), request.owner()));
        return json;
    }

    private String responseJson(String status, Usage usage) {
        StringWriter json = new StringWriter();
        try (JsonGenerator g = mapper.getFactory().createGenerator(json)) {
            writeResponseObject(g, status, usage);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a StringWriter does not fail
        }
        return json.toString();
    }

    /** The output as the assistant's turn of a chat: its answer and its calls (reasoning left out, as templates do). */
    private ChatMessage outputTurn() {
        StringBuilder answer = new StringBuilder();
        List<Map<String, Object>> calls = new ArrayList<>();
        for (Item item : items) {
            if (item.kind == Kind.MESSAGE) {
                answer.append(item.text);
            } else if (item.kind == Kind.FUNCTION_CALL) {
                calls.add(ResponsesApi.chatCall(item.call.id(), item.call.name(), item.call.arguments(), mapper));
            }
        }
        if (answer.isEmpty() && calls.isEmpty()) {
            return null;
        }
        return new ChatMessage("assistant", answer.isEmpty() && !calls.isEmpty() ? null : answer.toString(), null,
                calls.isEmpty() ? null : calls, null);
    }

    /**
     * {@code completed}; {@code incomplete} when the reply ran out of tokens; {@code cancelled} when
     * it was aborted (the client left, or the server's request timeout passed).
     */
    private String status() {
        return switch (finish) {
            case LENGTH -> "incomplete";
            case ABORT -> "cancelled";
            case null, default -> "completed";
        };
    }

    // ---- JSON ----

    private void event(EventStream out, String type, EventStream.JsonBody body) {
        int number = sequence++;
        out.send(type, g -> {
            g.writeStartObject();
            g.writeStringField("type", type);
            g.writeNumberField("sequence_number", number);
            body.write(g);
            g.writeEndObject();
        });
    }

    private static void itemFields(JsonGenerator g, Item item) throws IOException {
        g.writeStringField("item_id", item.id);
        g.writeNumberField("output_index", item.outputIndex);
    }

    private void writeItem(JsonGenerator g, Item item) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", item.id);
        switch (item.kind) {
            case REASONING -> {
                g.writeStringField("type", "reasoning");
                g.writeArrayFieldStart("summary");
                g.writeEndArray();
                g.writeArrayFieldStart("content");
                if (item.done) {
                    g.writeStartObject();
                    g.writeStringField("type", "reasoning_text");
                    g.writeStringField("text", item.text.toString());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            case MESSAGE -> {
                g.writeStringField("type", "message");
                g.writeStringField("role", "assistant");
                g.writeArrayFieldStart("content");
                if (item.done) {
                    writePart(g, item);
                }
                g.writeEndArray();
            }
            case FUNCTION_CALL -> {
                g.writeStringField("type", "function_call");
                g.writeStringField("call_id", item.call.id());
                g.writeStringField("name", item.call.name());
                g.writeStringField("arguments", item.done ? item.call.arguments() : "");
            }
        }
        g.writeStringField("status", item.done ? "completed" : "in_progress");
        g.writeEndObject();
    }

    private void writePart(JsonGenerator g, Item message) throws IOException {
        g.writeStartObject();
        g.writeStringField("type", "output_text");
        g.writeStringField("text", message.done ? message.text.toString() : "");
        g.writeArrayFieldStart("annotations");
        g.writeEndArray();
        writeLogprobs(g, message.done ? message.logprobs : List.of());
        g.writeEndObject();
    }

    private void writeLogprobs(JsonGenerator g, List<TokenLogprob> logprobs) throws IOException {
        g.writeArrayFieldStart("logprobs");
        for (TokenLogprob t : logprobs) {
            g.writeStartObject();
            LogprobEntries.writeFields(g, model, t, TokenLabel.TEXT);
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private void writeResponseObject(JsonGenerator g, String status, Usage usage) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", id);
        g.writeStringField("object", "response");
        g.writeNumberField("created_at", created);
        g.writeStringField("status", status);
        g.writeBooleanField("background", request.background());
        if (status.equals("failed")) {
            g.writeObjectFieldStart("error");
            g.writeStringField("code", "server_error");
            g.writeStringField("message", failure);
            g.writeEndObject();
        } else {
            g.writeNullField("error");
        }
        if (status.equals("incomplete")) {
            g.writeObjectFieldStart("incomplete_details");
            g.writeStringField("reason", "max_output_tokens");
            g.writeEndObject();
        } else {
            g.writeNullField("incomplete_details");
        }
        writeNullable(g, "instructions", request.instructions());
        if (request.maxOutputTokens() != null) {
            g.writeNumberField("max_output_tokens", request.maxOutputTokens());
        } else {
            g.writeNullField("max_output_tokens");
        }
        g.writeStringField("model", model.nameFor(request.request().spec()));
        g.writeArrayFieldStart("output");
        boolean ended = !status.equals("in_progress");
        for (Item item : items) {
            if (ended || item.done) {
                writeItem(g, item);
            }
        }
        g.writeEndArray();
        g.writeBooleanField("parallel_tool_calls", request.parallelToolCalls());
        writeNullable(g, "previous_response_id", request.previousId());
        if (request.conversationId() != null) {
            g.writeObjectFieldStart("conversation");
            g.writeStringField("id", request.conversationId());
            g.writeEndObject();
        }
        g.writeObjectFieldStart("reasoning");
        writeNullable(g, "effort", request.effort());
        g.writeNullField("summary");
        g.writeEndObject();
        g.writeBooleanField("store", request.store());
        g.writeNumberField("temperature", request.temperature());
        g.writeObjectFieldStart("text");
        g.writeFieldName("format");
        if (request.format() != null) {
            g.writeTree(request.format());
        } else {
            g.writeStartObject();
            g.writeStringField("type", "text");
            g.writeEndObject();
        }
        g.writeEndObject();
        writeTreeOr(g, "tool_choice", request.toolChoice(), "auto");
        g.writeFieldName("tools");
        if (request.tools() != null) {
            g.writeTree(request.tools());
        } else {
            g.writeStartArray();
            g.writeEndArray();
        }
        g.writeNumberField("top_logprobs", request.topLogprobs());
        g.writeNumberField("top_p", request.topP());
        g.writeStringField("truncation", "disabled");
        if (usage != null) {
            g.writeObjectFieldStart("usage");
            g.writeNumberField("input_tokens", usage.promptTokens());
            g.writeObjectFieldStart("input_tokens_details");
            g.writeNumberField("cached_tokens", usage.cachedTokens());
            g.writeEndObject();
            g.writeNumberField("output_tokens", usage.completionTokens());
            g.writeObjectFieldStart("output_tokens_details");
            g.writeNumberField("reasoning_tokens", reasoningTokens);
            g.writeEndObject();
            g.writeNumberField("total_tokens", usage.totalTokens());
            g.writeEndObject();
        } else {
            g.writeNullField("usage");
        }
        writeNullable(g, "user", request.user());
        g.writeFieldName("metadata");
        if (request.metadata() != null) {
            g.writeTree(request.metadata());
        } else {
            g.writeStartObject();
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    /** {@code name}: the string, or null where there is none. */
    static void writeNullable(JsonGenerator g, String name, String value) throws IOException {
        if (value != null) {
            g.writeStringField(name, value);
        } else {
            g.writeNullField(name);
        }
    }

    private static void writeTreeOr(JsonGenerator g, String name, JsonNode tree, String fallback) throws IOException {
        if (tree != null) {
            g.writeFieldName(name);
            g.writeTree(tree);
        } else {
            g.writeStringField(name, fallback);
        }
    }
}
