package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.switchyard.server.serving.EmbeddingNorm;
import dev.switchyard.server.serving.Usage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

/**
 * An embeddings reply, as OpenAI writes it: {@code {"object": "list", "data": [{"object":
 * "embedding", "index", "embedding"}], "model", "usage"}}, each vector unit length (L2) unless the
 * request asked otherwise, as floats or as base64 of little-endian float32; or as llama-server's own
 * {@code /embedding} writes it: {@code [{"index", "embedding": [[...]]}]}. Never streamed; a request
 * cut short (its timeout passed, the server shutting down) is an error instead.
 */
final class EmbeddingsRenderer extends EmbeddingReplies {

    private final String model;
    private final boolean base64;
    private final boolean llamaCpp;

    /**
     * @param norm     how each vector is scaled ({@link EmbeddingNorm})
     * @param llamaCpp whether to answer in llama-server's own {@code /embedding} shape
     * @param dimensions values kept of each vector (its first), before it is scaled
     */
    EmbeddingsRenderer(OpenAiRequest request, String model, boolean base64, int norm, boolean llamaCpp,
                       int dimensions) {
        super(request, norm, dimensions);
        this.model = model;
        this.base64 = base64;
        this.llamaCpp = llamaCpp;
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
}
