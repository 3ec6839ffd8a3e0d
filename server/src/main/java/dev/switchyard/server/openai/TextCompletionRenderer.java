package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.server.serving.ChoiceToolCall;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.TokenLogprob;
import dev.switchyard.server.serving.Usage;
import java.io.IOException;
import java.util.List;

/** {@code text_completion} objects, with the legacy logprobs shape (tokens, token_logprobs, top_logprobs, text_offset). */
final class TextCompletionRenderer extends CompletionRenderer {

    TextCompletionRenderer(ServedModel model, OpenAiRequest request) {
        super("cmpl-", model, request);
    }

    @Override
    protected String chunkObject() {
        return "text_completion";
    }

    @Override
    public boolean hasOpeningChunk() {
        return false;
    }

    @Override
    public void writeOpeningChunk(JsonGenerator g, int index) {
        throw new UnsupportedOperationException("completions streams have no opening chunk");
    }

    @Override
    public void writeTokenChunk(JsonGenerator g, int index, String reasoning, String text, TokenLogprob logprob)
            throws IOException {
        writeChunk(g, index, text, logprob, null); // completions never set reasoning apart
    }

    @Override
    public void writeFinishChunk(JsonGenerator g, int index, String reasoning, String text, FinishReason reason)
            throws IOException {
        writeChunk(g, index, text, null, reason);
    }

    private void writeChunk(JsonGenerator g, int index, String text, TokenLogprob logprob, FinishReason reason)
            throws IOException {
        startChunk(g);
        g.writeArrayFieldStart("choices");
        g.writeStartObject();
        g.writeNumberField("index", index);
        g.writeStringField("text", text);
        if (logprob != null) {
            g.writeFieldName("logprobs");
            Choice c = choices[index];
            c.tokenTextOffset = writeLogprobs(g, List.of(logprob), c.tokenTextOffset);
        } else {
            g.writeNullField("logprobs");
        }
        writeFinishReason(g, reason);
        g.writeEndObject();
        g.writeEndArray();
        endChunk(g);
    }

    @Override
    public void writeResponse(JsonGenerator g, Usage usage) throws IOException {
        startObject(g, "text_completion");
        g.writeArrayFieldStart("choices");
        for (int i = 0; i < choices.length; i++) {
            Choice c = choices[i];
            g.writeStartObject();
            g.writeNumberField("index", i);
            g.writeStringField("text", c.text.toString());
            if (request.logprobs() >= 0) {
                g.writeFieldName("logprobs");
                writeLogprobs(g, c.logprobs, 0);
            } else {
                g.writeNullField("logprobs");
            }
            writeFinishReason(g, c.finish);
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeFieldName("usage");
        writeUsage(g, usage);
        g.writeEndObject();
    }

    /** Writes the logprobs object of {@code tokens}; returns the text offset after them. */
    private int writeLogprobs(JsonGenerator g, List<TokenLogprob> tokens, int offset) throws IOException {
        g.writeStartObject();
        g.writeArrayFieldStart("tokens");
        for (TokenLogprob t : tokens) {
            g.writeString(model.tokenText(t.token()));
        }
        g.writeEndArray();
        g.writeArrayFieldStart("token_logprobs");
        for (TokenLogprob t : tokens) {
            g.writeNumber(printable(t.logprob()));
        }
        g.writeEndArray();
        g.writeArrayFieldStart("top_logprobs");
        for (TokenLogprob t : tokens) {
            g.writeStartObject();
            for (int r = 0; r < t.topIds().length; r++) {
                g.writeNumberField(model.tokenText(t.topIds()[r]), printable(t.topLogprobs()[r]));
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("text_offset");
        for (TokenLogprob t : tokens) {
            g.writeNumber(offset);
            offset += model.tokenText(t.token()).length();
        }
        g.writeEndArray();
        g.writeEndObject();
        return offset;
    }

    @Override
    public void writeToolCallsChunk(JsonGenerator g, int index, List<ChoiceToolCall> calls) {
        throw new IllegalStateException("completions requests offer no tools, so they make no calls");
    }
}
