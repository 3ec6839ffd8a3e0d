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
import java.util.concurrent.ThreadLocalRandom;

/**
 * Writes one request's response in OpenAI's shapes: either SSE chunks as events arrive, or, without
 * streaming, the whole object once every choice has ended (events are collected meanwhile). One
 * instance per request, used from one thread at a time.
 */
public abstract sealed class CompletionRenderer implements ResponseRenderer
        permits TextCompletionRenderer, ChatCompletionRenderer {

    protected final String id;
    protected final long created;
    protected final ServedModel model;
    protected final OpenAiRequest request;
    protected final Choice[] choices;

    /** What a choice produced so far. */
    protected static final class Choice {
        final StringBuilder text = new StringBuilder();
        /** Reasoning set apart from the text (chat only); empty when there is none. */
        final StringBuilder reasoning = new StringBuilder();
        final List<TokenLogprob> logprobs = new ArrayList<>();
        /** Tool calls made (chat with tools only), collected or, when streaming, sent. */
        final List<ChoiceToolCall> calls = new ArrayList<>();
        FinishReason finish;
        /** Characters of token texts sent so far, for {@code text_offset} in streamed chunks. */
        int tokenTextOffset;
        /** The prompt's tokens with their log-probabilities, when asked for (null until they come). */
        List<TokenLogprob> prompt;
        /** Whether a streamed chunk has carried {@link #prompt} already. */
        boolean promptStreamed;
    }

    protected CompletionRenderer(String idPrefix, ServedModel model, OpenAiRequest request) {
        this.id = idPrefix + Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE)
                + Long.toHexString(ThreadLocalRandom.current().nextLong() | Long.MIN_VALUE);
        this.created = System.currentTimeMillis() / 1000;
        this.model = model;
        this.request = request;
        this.choices = new Choice[request.spec().choices()];
        for (int i = 0; i < choices.length; i++) {
            choices[i] = new Choice();
        }
    }

    public static CompletionRenderer completions(ServedModel model, OpenAiRequest request) {
        return new TextCompletionRenderer(model, request);
    }

    public static CompletionRenderer chat(ServedModel model, OpenAiRequest request) {
        return new ChatCompletionRenderer(model, request);
    }

    @Override
    public OpenAiRequest request() {
        return request;
    }

    // ---- streaming: chunks as data-only events, ended by [DONE] ----

    @Override
    public void openStream(EventStream out) {
        for (int i = 0; hasOpeningChunk() && i < choices.length; i++) {
            int index = i;
            out.send(null, g -> writeOpeningChunk(g, index));
        }
    }

    @Override
    public void streamToken(EventStream out, int index, String reasoning, String text, TokenLogprob logprob) {
        out.send(null, g -> writeTokenChunk(g, index, reasoning, text, logprob));
    }

    @Override
    public void streamToolCalls(EventStream out, int index, List<ChoiceToolCall> calls) {
        out.send(null, g -> writeToolCallsChunk(g, index, calls));
    }

    @Override
    public void streamFinish(EventStream out, int index, String reasoning, String text, FinishReason reason) {
        out.send(null, g -> writeFinishChunk(g, index, reasoning, text, reason));
    }

    @Override
    public void streamFailure(EventStream out, ApiError error) {
        out.send(null, error::write);
    }

    @Override
    public void closeStream(EventStream out, Usage usage, boolean failed) {
        if (request.includeUsage() && !failed) {
            out.send(null, g -> writeUsageChunk(g, usage));
        }
        out.sendDone();
    }

    public int choiceCount() {
        return choices.length;
    }

    // ---- streaming: each method writes one chunk object ----

    /** Whether each choice's stream opens with a chunk of its own (chat's role delta). */
    public abstract boolean hasOpeningChunk();

    /** The chunk that opens choice {@code index}, when {@link #hasOpeningChunk()}. */
    public abstract void writeOpeningChunk(JsonGenerator g, int index) throws IOException;

    /** A token's chunk: the reasoning and text it released (either possibly empty) and its logprob (or null). */
    public abstract void writeTokenChunk(JsonGenerator g, int index, String reasoning, String text, TokenLogprob logprob)
            throws IOException;

    public abstract void writeFinishChunk(JsonGenerator g, int index, String reasoning, String text, FinishReason reason)
            throws IOException;

    /** A chunk with tool calls choice {@code index} completed (chat requests with tools only). */
    public abstract void writeToolCallsChunk(JsonGenerator g, int index, List<ChoiceToolCall> calls) throws IOException;

    /** The last chunk with {@code stream_options.include_usage}: no choices, the usage. */
    public void writeUsageChunk(JsonGenerator g, Usage usage) throws IOException {
        startChunk(g);
        g.writeArrayFieldStart("choices");
        g.writeEndArray();
        g.writeFieldName("usage");
        writeUsage(g, usage);
        g.writeEndObject();
    }

    // ---- collected: the whole response at the end ----

    @Override
    public void collect(int index, String reasoning, String text, TokenLogprob logprob) {
        Choice c = choices[index];
        c.reasoning.append(reasoning);
        c.text.append(text);
        if (logprob != null) {
            c.logprobs.add(logprob);
        }
    }

    @Override
    public void promptLogprobs(int index, List<TokenLogprob> prompt) {
        choices[index].prompt = prompt;
    }

    @Override
    public void collectToolCalls(int index, List<ChoiceToolCall> calls) {
        choices[index].calls.addAll(calls);
    }

    @Override
    public void collectFinish(int index, String reasoning, String text, FinishReason reason) {
        choices[index].reasoning.append(reasoning);
        choices[index].text.append(text);
        choices[index].finish = reason;
    }

    @Override
    public abstract void writeResponse(JsonGenerator g, Usage usage) throws IOException;

    // ---- shared pieces ----

    protected abstract String chunkObject();

    protected void startChunk(JsonGenerator g) throws IOException {
        startObject(g, chunkObject());
    }

    /** Opens a chunk or a whole response: id, object, created, model. */
    protected void startObject(JsonGenerator g, String object) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", id);
        g.writeStringField("object", object);
        g.writeNumberField("created", created);
        g.writeStringField("model", model.nameFor(request.spec()));
    }

    /** Closes a chunk that has choices: {@code "usage": null} when the stream ends with usage, as OpenAI does. */
    protected void endChunk(JsonGenerator g) throws IOException {
        if (request.includeUsage()) {
            g.writeNullField("usage");
        }
        g.writeEndObject();
    }

    protected static void writeUsage(JsonGenerator g, Usage usage) throws IOException {
        g.writeStartObject();
        g.writeNumberField("prompt_tokens", usage.promptTokens());
        g.writeNumberField("completion_tokens", usage.completionTokens());
        g.writeNumberField("total_tokens", usage.totalTokens());
        // OpenAI's shape for prompt tokens served from the prefix cache
        g.writeObjectFieldStart("prompt_tokens_details");
        g.writeNumberField("cached_tokens", usage.cachedTokens());
        g.writeEndObject();
        if (usage.prediction() != null) {
            // OpenAI's shape for a request with a predicted output
            g.writeObjectFieldStart("completion_tokens_details");
            g.writeNumberField("accepted_prediction_tokens", usage.prediction().accepted());
            g.writeNumberField("rejected_prediction_tokens", usage.prediction().rejected());
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    protected static void writeFinishReason(JsonGenerator g, FinishReason reason) throws IOException {
        writeFinishReason(g, reason, false);
    }

    /** As OpenAI words it: a reply that ended by itself after calling tools ended for {@code tool_calls}. */
    protected static void writeFinishReason(JsonGenerator g, FinishReason reason, boolean madeCalls) throws IOException {
        if (reason == null) {
            g.writeNullField("finish_reason");
        } else {
            g.writeStringField("finish_reason", madeCalls && reason == FinishReason.STOP ? "tool_calls" : reason.apiName());
        }
    }

    protected static double printable(double logprob) {
        return LogprobEntries.printable(logprob);
    }
}
