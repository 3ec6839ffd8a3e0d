package dev.switchyard.server.openai;

import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.server.serving.ChoiceToolCall;
import dev.switchyard.server.serving.EmbeddingNorm;
import dev.switchyard.server.serving.TokenLogprob;
import dev.switchyard.server.serving.Usage;
import java.util.List;

/**
 * What every reply built of embeddings shares: the vectors collected as they come (scaled as
 * {@code norm} says), an error instead where a request was cut short (its timeout passed, the server
 * shutting down), and no streaming, since nothing is worth sending before all are in.
 */
abstract class EmbeddingReplies implements ResponseRenderer {

    private final OpenAiRequest request;
    private final int norm;
    /** Values kept of each pooled vector, before it is scaled. */
    private final int dimensions;
    /** One per input, in order; null until its embedding comes. */
    final float[][] vectors;
    private boolean cutShort;

    EmbeddingReplies(OpenAiRequest request, int norm) {
        this(request, norm, Integer.MAX_VALUE);
    }

    /** Each vector cut to its first {@code dimensions} values (Matryoshka embeddings) before it is scaled. */
    EmbeddingReplies(OpenAiRequest request, int norm, int dimensions) {
        this.request = request;
        this.norm = norm;
        this.dimensions = dimensions;
        this.vectors = new float[request.spec().prompts().size()][];
    }

    @Override
    public OpenAiRequest request() {
        return request;
    }

    @Override
    public void collectEmbedding(int index, float[] embedding) {
        float[] kept = embedding.length > dimensions ? java.util.Arrays.copyOf(embedding, dimensions) : embedding;
        vectors[index] = EmbeddingNorm.scaled(kept, norm);
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
    public void collect(int index, String reasoning, String text, TokenLogprob logprob) {
        // an embedding samples no token
    }

    @Override
    public void collectToolCalls(int index, List<ChoiceToolCall> calls) {
        // nor calls a tool
    }

    // ---- never streamed ----

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
}
