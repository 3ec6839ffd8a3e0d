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
 * {@code text_completion} objects, with the legacy logprobs shape (tokens, token_logprobs,
 * top_logprobs, text_offset). With {@code echo}, the logprobs begin with the prompt's tokens, the
 * first of which has none ({@code null}, as OpenAI wrote it), streamed with the first chunk; vLLM's
 * {@code prompt_logprobs} comes per choice in its own shape.
 */
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
        Choice c = choices[index];
        List<TokenLogprob> entries = new ArrayList<>(2);
        if (request.echoesPromptLogprobs() && !c.promptStreamed && c.prompt != null) {
            entries.addAll(c.prompt);
            c.promptStreamed = true;
        }
        if (logprob != null) {
            entries.add(logprob);
        }
        if (!entries.isEmpty()) {
            g.writeFieldName("logprobs");
            c.tokenTextOffset = writeLogprobs(g, entries, c.tokenTextOffset);
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
                List<TokenLogprob> entries = c.logprobs;
                if (request.echoesPromptLogprobs() && c.prompt != null) {
                    entries = new ArrayList<>(c.prompt);
                    entries.addAll(c.logprobs);
                }
                writeLogprobs(g, entries, 0);
            } else {
                g.writeNullField("logprobs");
            }
            if (request.promptLogprobs() >= 0 && c.prompt != null) {
                g.writeFieldName("prompt_logprobs");
                LogprobEntries.writePromptLogprobs(g, model, c.prompt, request.promptLogprobs(), request.labels());
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
            g.writeString(request.labels().label(model, t.token()));
        }
        g.writeEndArray();
        g.writeArrayFieldStart("token_logprobs");
        for (TokenLogprob t : tokens) {
            if (t.scored()) {
                g.writeNumber(printable(t.logprob()));
            } else {
                g.writeNull(); // a prompt's first token: nothing came before to predict it
            }
        }
        g.writeEndArray();
        g.writeArrayFieldStart("top_logprobs");
        int top = Math.max(0, request.logprobs());
        for (TokenLogprob t : tokens) {
            if (!t.scored()) {
                g.writeNull();
                continue;
            }
            g.writeStartObject();
            // prompt tokens may carry more alternatives (for prompt_logprobs) than logprobs shows
            for (int r = 0; r < Math.min(top, t.topIds().length); r++) {
                g.writeNumberField(request.labels().label(model, t.topIds()[r]),
                        printable(t.topLogprobs()[r]));
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeArrayFieldStart("text_offset");
        for (TokenLogprob t : tokens) {
            g.writeNumber(offset);
            offset += request.labels().text(model, t.token()).length();
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
