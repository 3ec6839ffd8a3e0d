package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.server.serving.ChoiceToolCall;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.TokenLogprob;
import dev.switchyard.server.serving.Usage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code message} of Anthropic's Messages API, and its stream. The reply becomes content blocks in
 * the order the model wrote them: {@code thinking} for reasoning set apart (with an empty
 * {@code signature}: nothing here signs it), {@code text} for the answer (text after a call opens
 * another), {@code tool_use} per tool call, its arguments as the {@code input} object. Streamed:
 * {@code message_start}, then per block {@code content_block_start}, its deltas
 * ({@code thinking_delta}, {@code text_delta}, a call's arguments whole in one
 * {@code input_json_delta}) and {@code content_block_stop}, then {@code message_delta} with the stop
 * reason and usage, and {@code message_stop}; a failure is an {@code error} event. Stop reasons:
 * {@code end_turn}, {@code max_tokens}, {@code stop_sequence} (with the string), {@code tool_use}.
 * A reply cut short (the request timeout passed, the server is shutting down) has no stop reason in
 * this API: it ends in a {@code timeout_error} instead.
 */
final class AnthropicMessagesRenderer implements ResponseRenderer {

    private enum Kind { THINKING, TEXT, TOOL_USE }

    private static final class Block {
        final Kind kind;
        final int index;
        final StringBuilder text = new StringBuilder();
        ChoiceToolCall call;

        Block(Kind kind, int index) {
            this.kind = kind;
            this.index = index;
        }
    }

    private final String id = "msg_" + ResponsesRenderer.hex();
    private final ServedModel model;
    private final AnthropicMessagesRequest request;
    private final List<Block> blocks = new ArrayList<>();
    /** The thinking or text block tokens are growing, or null. */
    private Block open;
    private FinishReason finish;
    private String stopSequence;
    private boolean calls;

    AnthropicMessagesRenderer(ServedModel model, AnthropicMessagesRequest request) {
        this.model = model;
        this.request = request;
    }

    @Override
    public OpenAiRequest request() {
        return request.request();
    }

    // ---- the reply as blocks, streamed (out != null) or collected (out == null) ----

    private void accept(EventStream out, String reasoning, String text) {
        if (!reasoning.isEmpty()) {
            Block b = blockFor(out, Kind.THINKING);
            b.text.append(reasoning);
            if (out != null) {
                delta(out, b, "thinking_delta", "thinking", reasoning);
            }
        }
        if (!text.isEmpty()) {
            Block b = blockFor(out, Kind.TEXT);
            b.text.append(text);
            if (out != null) {
                delta(out, b, "text_delta", "text", text);
            }
        }
    }

    /** The open block of {@code kind}, opening it (and closing the one before) where needed. */
    private Block blockFor(EventStream out, Kind kind) {
        if (open != null && open.kind == kind) {
            return open;
        }
        closeOpen(out);
        Block b = new Block(kind, blocks.size());
        blocks.add(b);
        open = b;
        if (out != null) {
            start(out, b);
        }
        return b;
    }

    private void closeOpen(EventStream out) {
        Block b = open;
        open = null;
        if (b != null && out != null) {
            stop(out, b);
        }
    }

    private void toolCalls(EventStream out, List<ChoiceToolCall> made) {
        closeOpen(out);
        calls = true;
        for (ChoiceToolCall call : made) {
            Block b = new Block(Kind.TOOL_USE, blocks.size());
            b.call = call;
            blocks.add(b);
            if (out != null) {
                start(out, b);
                delta(out, b, "input_json_delta", "partial_json", call.arguments());
                stop(out, b);
            }
        }
    }

    private void finish(EventStream out, String reasoning, String text, FinishReason reason) {
        accept(out, reasoning, text);
        closeOpen(out);
        finish = reason;
    }

    /** end_turn, max_tokens, stop_sequence or tool_use; null while it runs, and for a reply cut short. */
    private String stopReason() {
        if (finish == null || finish == FinishReason.ABORT) {
            return null;
        }
        if (calls) {
            return "tool_use";
        }
        if (stopSequence != null) {
            return "stop_sequence";
        }
        return finish == FinishReason.LENGTH ? "max_tokens" : "end_turn";
    }

    private ApiError cutShort() {
        return new ApiError(504, "timeout_error", "the reply was stopped before it finished: the server's request "
                + "timeout passed, or it is shutting down", null, "request_timeout");
    }

    // ---- ResponseRenderer ----

    @Override
    public void openStream(EventStream out) {
        out.send("message_start", g -> {
            g.writeStartObject();
            g.writeStringField("type", "message_start");
            g.writeFieldName("message");
            writeMessage(g, null, false);
            g.writeEndObject();
        });
    }

    @Override
    public void streamToken(EventStream out, int index, String reasoning, String text, TokenLogprob logprob) {
        accept(out, reasoning, text);
    }

    @Override
    public void streamToolCalls(EventStream out, int index, List<ChoiceToolCall> made) {
        toolCalls(out, made);
    }

    @Override
    public void streamFinish(EventStream out, int index, String reasoning, String text, FinishReason reason) {
        finish(out, reasoning, text, reason);
    }

    @Override
    public void streamFailure(EventStream out, ApiError error) {
        out.send("error", error::writeAnthropic);
    }

    @Override
    public void closeStream(EventStream out, Usage usage, boolean failed) {
        if (failed) {
            return; // the error event said it
        }
        if (stopReason() == null) {
            out.send("error", cutShort()::writeAnthropic);
            return;
        }
        out.send("message_delta", g -> {
            g.writeStartObject();
            g.writeStringField("type", "message_delta");
            g.writeObjectFieldStart("delta");
            g.writeStringField("stop_reason", stopReason());
            ResponsesRenderer.writeNullable(g, "stop_sequence", stopSequence);
            g.writeEndObject();
            writeUsage(g, usage);
            g.writeEndObject();
        });
        out.send("message_stop", g -> {
            g.writeStartObject();
            g.writeStringField("type", "message_stop");
            g.writeEndObject();
        });
    }

    @Override
    public void collect(int index, String reasoning, String text, TokenLogprob logprob) {
        accept(null, reasoning, text);
    }

    @Override
    public void collectToolCalls(int index, List<ChoiceToolCall> made) {
        toolCalls(null, made);
    }

    @Override
    public void collectFinish(int index, String reasoning, String text, FinishReason reason) {
        finish(null, reasoning, text, reason);
    }

    @Override
    public void stopSequence(int index, String stop) {
        stopSequence = stop;
    }

    @Override
    public ApiError endedAsError() {
        return stopReason() == null ? cutShort() : null;
    }

    @Override
    public void writeError(JsonGenerator g, ApiError error) throws IOException {
        error.writeAnthropic(g);
    }

    @Override
    public void writeResponse(JsonGenerator g, Usage usage) throws IOException {
        writeMessage(g, usage, true);
    }

    // ---- JSON ----

    /** The message: whole once ended; as {@code message_start} opens a stream (no content yet) otherwise. */
    private void writeMessage(JsonGenerator g, Usage usage, boolean ended) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", id);
        g.writeStringField("type", "message");
        g.writeStringField("role", "assistant");
        g.writeStringField("model", model.nameFor(request.request().spec()));
        g.writeArrayFieldStart("content");
        if (ended) {
            for (Block b : blocks) {
                writeBlock(g, b, true);
            }
        }
        g.writeEndArray();
        ResponsesRenderer.writeNullable(g, "stop_reason", ended ? stopReason() : null);
        ResponsesRenderer.writeNullable(g, "stop_sequence", ended ? stopSequence : null);
        if (usage != null) {
            writeUsage(g, usage);
        } else {
            // the stream opens before any token: the prompt's size is known, what the cache held is not yet
            g.writeObjectFieldStart("usage");
            g.writeNumberField("input_tokens", request.request().spec().prompts().getFirst().length);
            g.writeNumberField("output_tokens", 0);
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    /** A block: whole, or as {@code content_block_start} opens it (empty, its deltas to come). */
    private static void writeBlock(JsonGenerator g, Block b, boolean whole) throws IOException {
        g.writeStartObject();
        switch (b.kind) {
            case THINKING -> {
                g.writeStringField("type", "thinking");
                g.writeStringField("thinking", whole ? b.text.toString() : "");
                g.writeStringField("signature", "");
            }
            case TEXT -> {
                g.writeStringField("type", "text");
                g.writeStringField("text", whole ? b.text.toString() : "");
            }
            case TOOL_USE -> {
                g.writeStringField("type", "tool_use");
                g.writeStringField("id", b.call.id());
                g.writeStringField("name", b.call.name());
                g.writeFieldName("input");
                if (whole) {
                    g.writeRawValue(b.call.arguments());
                } else {
                    g.writeStartObject();
                    g.writeEndObject();
                }
            }
        }
        g.writeEndObject();
    }

    /**
     * Usage as this API counts it: {@code input_tokens} without those read from the prefix cache,
     * which are {@code cache_read_input_tokens}; nothing is written to a cache on request here.
     */
    private static void writeUsage(JsonGenerator g, Usage usage) throws IOException {
        g.writeObjectFieldStart("usage");
        g.writeNumberField("input_tokens", usage.promptTokens() - usage.cachedTokens());
        g.writeNumberField("cache_creation_input_tokens", 0);
        g.writeNumberField("cache_read_input_tokens", usage.cachedTokens());
        g.writeNumberField("output_tokens", usage.completionTokens());
        g.writeEndObject();
    }

    private static void start(EventStream out, Block b) {
        out.send("content_block_start", g -> {
            g.writeStartObject();
            g.writeStringField("type", "content_block_start");
            g.writeNumberField("index", b.index);
            g.writeFieldName("content_block");
            writeBlock(g, b, false);
            g.writeEndObject();
        });
    }

    private static void delta(EventStream out, Block b, String type, String field, String value) {
        out.send("content_block_delta", g -> {
            g.writeStartObject();
            g.writeStringField("type", "content_block_delta");
            g.writeNumberField("index", b.index);
            g.writeObjectFieldStart("delta");
            g.writeStringField("type", type);
            g.writeStringField(field, value);
            g.writeEndObject();
            g.writeEndObject();
        });
    }

    private static void stop(EventStream out, Block b) {
        out.send("content_block_stop", g -> {
            g.writeStartObject();
            g.writeStringField("type", "content_block_stop");
            g.writeNumberField("index", b.index);
            g.writeEndObject();
        });
    }
}
