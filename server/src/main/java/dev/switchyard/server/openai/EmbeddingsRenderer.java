package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.server.serving.ChoiceToolCall;
import dev.switchyard.server.serving.EmbeddingNorm;
import dev.switchyard.server.serving.TokenLogprob;
import dev.switchyard.server.serving.Usage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;

/**
 * An embeddings reply, as OpenAI writes it: {@code {"object": "list", "data": [{"object":
 * "embedding", "index", "embedding"}], "model", "usage"}}, each vector unit length (L2) unless the
 * request asked otherwise, as floats or as base64 of little-endian float32; or as llama-server's own
 * {@code /embedding} writes it: {@code [{"index", "embedding": [[...]]}]}. Never streamed; a request
 * cut short (its timeout passed, the server shutting down) is an error instead.
 */
final class EmbeddingsRenderer implements ResponseRenderer {

    private final OpenAiRequest request;
    private final String model;
    private final boolean base64;
    private final int norm;
    private final boolean llamaCpp;
    private final float[][] vectors;
    private boolean cutShort;

    /**
     * @param norm     how each vector is scaled ({@link EmbeddingNorm})
     * @param llamaCpp whether to answer in llama-server's own {@code /embedding} shape
     */
    EmbeddingsRenderer(OpenAiRequest request, String model, boolean base64, int norm, boolean llamaCpp) {
        this.request = request;
        this.model = model;
        this.base64 = base64;
        this.norm = norm;
        this.llamaCpp = llamaCpp;
        this.vectors = new float[request.spec().prompts().size()][];
    }

    @Override
    public OpenAiRequest request() {
        return request;
    }

    @Override
    public void collectEmbedding(int index, float[] embedding) {
        vectors[index] = EmbeddingNorm.scaled(embedding, norm);
    }

    @Override
    public void collectFinish(int index, String reasoning, String text, FinishReason reason) {
        if (reason == FinishReason.ABORT || vectors[index] == null) {
            cutShort = true;
        }
    }

    @Override
    public ApiError endedAsError() {
        return cutShort ? new ApiError(504, "timeout_error", "the embeddings were stopped before they finished: the "
                + "server's request timeout passed, or it is shutting down", null, "request_timeout") : null;
    }

    @Override
    public void writeResponse(JsonGenerator g, Usage usage) throws IOException {
        if (llamaCpp) {
            g.writeStartArray();
            for (int i = 0; i < vectors.length; i++) {
                g.writeStartObject();
                g.writeNumberField("index", i);
                g.writeArrayFieldStart("embedding");
                writeFloats(g, vectors[i]); // one pooled vector: llama-server's list of one
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
            return;
        }
        g.writeStartObject();
        g.writeStringField("object", "list");
        g.writeArrayFieldStart("data");
        for (int i = 0; i < vectors.length; i++) {
            g.writeStartObject();
            g.writeStringField("object", "embedding");
            g.writeNumberField("index", i);
            if (base64) {
                ByteBuffer bytes = ByteBuffer.allocate(vectors[i].length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (float x : vectors[i]) {
                    bytes.putFloat(x);
                }
                g.writeStringField("embedding", Base64.getEncoder().encodeToString(bytes.array()));
            } else {
                g.writeFieldName("embedding");
                writeFloats(g, vectors[i]);
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeStringField("model", model);
        g.writeObjectFieldStart("usage");
        g.writeNumberField("prompt_tokens", usage.promptTokens());
        g.writeNumberField("total_tokens", usage.promptTokens());
        g.writeEndObject();
        g.writeEndObject();
    }

    private static void writeFloats(JsonGenerator g, float[] v) throws IOException {
        g.writeStartArray();
        for (float x : v) {
            g.writeNumber(x);
        }
        g.writeEndArray();
    }

    // ---- never streamed, and nothing but embeddings comes ----

    @Override
    public void openStream(EventStream out) {
        throw new IllegalStateException("embeddings are not streamed");
    }

    @Override
    public void streamToken(EventStream out, int index, String reasoning, String text, TokenLogprob logprob) {
        throw new IllegalStateException("embeddings are not streamed");
    }

    @Override
    public void streamToolCalls(EventStream out, int index, List<ChoiceToolCall> calls) {
        throw new IllegalStateException("embeddings are not streamed");
    }

    @Override
    public void streamFinish(EventStream out, int index, String reasoning, String text, FinishReason reason) {
        throw new IllegalStateException("embeddings are not streamed");
    }

    @Override
    public void streamFailure(EventStream out, ApiError error) {
        throw new IllegalStateException("embeddings are not streamed");
    }

    @Override
    public void closeStream(EventStream out, Usage usage, boolean failed) {
        throw new IllegalStateException("embeddings are not streamed");
    }

    @Override
    public void collect(int index, String reasoning, String text, TokenLogprob logprob) {
        // an embedding request samples no token
    }

    @Override
    public void collectToolCalls(int index, List<ChoiceToolCall> calls) {
        // nor calls a tool
    }
}
