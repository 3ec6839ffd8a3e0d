package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.server.serving.ChoiceToolCall;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.TokenLogprob;
import dev.switchyard.server.serving.Usage;
import java.io.IOException;
import java.util.List;

/**
 * {@code chat.completion} and {@code chat.completion.chunk} objects, with chat's logprobs shape.
 * Reasoning set apart from the answer goes in {@code reasoning_content} beside {@code content}, as
 * vLLM and llama.cpp return it; the field is left out where there is none, so a reply without
 * reasoning reads exactly as before. Tool calls go in {@code tool_calls}, and a reply that ended by
 * itself after making them finishes for {@code tool_calls}.
 */
final class ChatCompletionRenderer extends CompletionRenderer {

    ChatCompletionRenderer(ServedModel model, OpenAiRequest request) {
        super("chatcmpl-", model, request);
    }

    @Override
    protected String chunkObject() {
        return "chat.completion.chunk";
    }

    @Override
    public boolean hasOpeningChunk() {
        return true;
    }

    @Override
    public void writeOpeningChunk(JsonGenerator g, int index) throws IOException {
        startChoiceChunk(g, index);
        g.writeStringField("role", "assistant");
        g.writeStringField("content", "");
        endChoiceChunk(g, null, null);
    }

    @Override
    public void writeTokenChunk(JsonGenerator g, int index, String reasoning, String text, TokenLogprob logprob)
            throws IOException {
        startChoiceChunk(g, index);
        if (!reasoning.isEmpty()) {
            g.writeStringField("reasoning_content", reasoning);
        }
        if (!text.isEmpty() || reasoning.isEmpty()) {
            g.writeStringField("content", text);
        }
        endChoiceChunk(g, logprob, null);
    }

    @Override
    public void writeFinishChunk(JsonGenerator g, int index, String reasoning, String text, FinishReason reason)
            throws IOException {
        startChoiceChunk(g, index);
        if (!reasoning.isEmpty()) {
            g.writeStringField("reasoning_content", reasoning);
        }
        if (!text.isEmpty()) {
            g.writeStringField("content", text);
        }
        endChoiceChunk(g, null, reason, !choices[index].calls.isEmpty());
    }

    /**
     * Each call whole in one delta (OpenAI splits a call's arguments over deltas; clients join them
     * by {@code index}, so one piece reads the same), and remembered for the finish reason.
     */
    @Override
    public void writeToolCallsChunk(JsonGenerator g, int index, List<ChoiceToolCall> calls) throws IOException {
        choices[index].calls.addAll(calls);
        startChoiceChunk(g, index);
        writeToolCalls(g, calls, true);
        endChoiceChunk(g, null, null, false);
    }

    private static void writeToolCalls(JsonGenerator g, List<ChoiceToolCall> calls, boolean withIndex)
            throws IOException {
        g.writeArrayFieldStart("tool_calls");
        for (ChoiceToolCall call : calls) {
            g.writeStartObject();
            if (withIndex) {
                g.writeNumberField("index", call.position());
            }
            g.writeStringField("id", call.id());
            g.writeStringField("type", "function");
            g.writeObjectFieldStart("function");
            g.writeStringField("name", call.name());
            g.writeStringField("arguments", call.arguments());
            g.writeEndObject();
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private void startChoiceChunk(JsonGenerator g, int index) throws IOException {
        startChunk(g);
        g.writeArrayFieldStart("choices");
        g.writeStartObject();
        g.writeNumberField("index", index);
        g.writeObjectFieldStart("delta");
    }

    private void endChoiceChunk(JsonGenerator g, TokenLogprob logprob, FinishReason reason) throws IOException {
        endChoiceChunk(g, logprob, reason, false);
    }

    private void endChoiceChunk(JsonGenerator g, TokenLogprob logprob, FinishReason reason, boolean madeCalls)
            throws IOException {
        g.writeEndObject(); // delta
        if (logprob != null) {
            g.writeFieldName("logprobs");
            writeLogprobs(g, List.of(logprob));
        } else {
            g.writeNullField("logprobs");
        }
        writeFinishReason(g, reason, madeCalls);
        g.writeEndObject();
        g.writeEndArray();
        endChunk(g);
    }

    @Override
    public void writeResponse(JsonGenerator g, Usage usage) throws IOException {
        startObject(g, "chat.completion");
        g.writeArrayFieldStart("choices");
        for (int i = 0; i < choices.length; i++) {
            Choice c = choices[i];
            g.writeStartObject();
            g.writeNumberField("index", i);
            g.writeObjectFieldStart("message");
            g.writeStringField("role", "assistant");
            if (!c.calls.isEmpty() && c.text.toString().isBlank()) {
                g.writeNullField("content"); // as OpenAI returns a reply that only calls tools
            } else {
                g.writeStringField("content", c.text.toString());
            }
            if (!c.reasoning.isEmpty()) {
                g.writeStringField("reasoning_content", c.reasoning.toString());
            }
            if (!c.calls.isEmpty()) {
                writeToolCalls(g, c.calls, false);
            }
            g.writeEndObject();
            if (request.logprobs() >= 0) {
                g.writeFieldName("logprobs");
                writeLogprobs(g, c.logprobs);
            } else {
                g.writeNullField("logprobs");
            }
            writeFinishReason(g, c.finish, !c.calls.isEmpty());
            g.writeEndObject();
        }
        g.writeEndArray();
        if (request.promptLogprobs() >= 0 && choices[0].prompt != null) {
            // vLLM's field: one prompt for every choice, so once, beside them
            g.writeFieldName("prompt_logprobs");
            LogprobEntries.writePromptLogprobs(g, model, choices[0].prompt, request.promptLogprobs(), request.labels());
        }
        g.writeFieldName("usage");
        writeUsage(g, usage);
        g.writeEndObject();
    }

    private void writeLogprobs(JsonGenerator g, List<TokenLogprob> tokens) throws IOException {
        g.writeStartObject();
        g.writeArrayFieldStart("content");
        for (TokenLogprob t : tokens) {
            g.writeStartObject();
            LogprobEntries.writeFields(g, model, t, request.labels());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }
}
