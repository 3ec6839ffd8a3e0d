package dev.switchyard.server.grpc;

import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.generate.Pooling;
import dev.switchyard.proto.v1.EmbedResponse;
import dev.switchyard.proto.v1.Embedding;
import dev.switchyard.proto.v1.Usage;
import dev.switchyard.server.serving.ChoiceToolCall;
import dev.switchyard.server.serving.EmbeddingNorm;
import dev.switchyard.server.serving.GenerationListener;
import dev.switchyard.server.serving.TokenLogprob;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.List;

/**
 * One {@code Embed} call: collects each input's embedding from the scheduler's thread and answers
 * once all have come, or with the status that says why not (INTERNAL for a model failure,
 * DEADLINE_EXCEEDED when the server's request timeout or shutdown cut it short). Nothing is sent
 * once the client has gone.
 */
final class EmbedCall implements GenerationListener {

    private final ServerCallStreamObserver<EmbedResponse> out;
    private final float[][] vectors;
    private final int norm;
    private final Pooling pooling;
    private RuntimeException failure;
    private boolean cutShort;

    EmbedCall(ServerCallStreamObserver<EmbedResponse> out, int inputs, boolean normalize, Pooling pooling) {
        this.out = out;
        this.vectors = new float[inputs][];
        this.norm = normalize ? EmbeddingNorm.EUCLIDEAN : EmbeddingNorm.AS_POOLED;
        this.pooling = pooling;
    }

    @Override
    public void onEmbedding(int index, float[] embedding) {
        vectors[index] = EmbeddingNorm.scaled(embedding, norm);
    }

    @Override
    public void onChoiceFinished(int index, FinishReason reason, String reasoning, String text) {
        if (reason == FinishReason.ABORT || vectors[index] == null) {
            cutShort = true;
        }
    }

    @Override
    public void onChoiceFailed(int index, RuntimeException error) {
        if (failure == null) {
            failure = error;
        }
    }

    @Override
    public void onComplete(dev.switchyard.server.serving.Usage usage) {
        if (out.isCancelled()) {
            return;
        }
        if (failure != null) {
            out.onError(Status.INTERNAL.withDescription("embedding failed: " + failure.getMessage()).asRuntimeException());
            return;
        }
        if (cutShort) {
            out.onError(Status.DEADLINE_EXCEEDED.withDescription("the embeddings were stopped before they finished: the "
                    + "server's request timeout passed, or it is shutting down").asRuntimeException());
            return;
        }
        EmbedResponse.Builder b = EmbedResponse.newBuilder().setPooling(pooling.label())
                .setUsage(Usage.newBuilder().setPromptTokens(usage.promptTokens()).setTotalTokens(usage.promptTokens()));
        for (float[] v : vectors) {
            Embedding.Builder e = Embedding.newBuilder();
            for (float x : v) {
                e.addValues(x);
            }
            b.addEmbeddings(e);
        }
        out.onNext(b.build());
        out.onCompleted();
    }

    @Override
    public void onToken(int index, int token, String reasoning, String text, TokenLogprob logprob) {
        // an embedding samples no token
    }

    @Override
    public void onToolCalls(int index, List<ChoiceToolCall> calls) {
        // nor calls a tool
    }
}
