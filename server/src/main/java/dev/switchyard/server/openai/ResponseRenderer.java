package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.server.serving.ChoiceToolCall;
import dev.switchyard.server.serving.TokenLogprob;
import dev.switchyard.server.serving.Usage;
import java.io.IOException;
import java.util.List;

/**
 * Shapes one request's output as one of the OpenAI APIs returns it: either as events while it is
 * generated ({@code stream*}, called on the connection's executor in the order they happened), or
 * collected as it comes ({@code collect*}, on the scheduler's thread) and written whole at the end.
 * One instance per request.
 */
public interface ResponseRenderer {

    OpenAiRequest request();

    /** The events that open a stream, before any token. */
    void openStream(EventStream out);

    /** What a token released: reasoning and text (either possibly empty), and its logprob (or null). */
    void streamToken(EventStream out, int index, String reasoning, String text, TokenLogprob logprob);

    /** Tool calls choice {@code index} completed. */
    void streamToolCalls(EventStream out, int index, List<ChoiceToolCall> calls);

    /** Choice {@code index} ended, with the rest of its reasoning and text. */
    void streamFinish(EventStream out, int index, String reasoning, String text, FinishReason reason);

    /** The generation failed: the stream says so, and ends with {@link #closeStream}. */
    void streamFailure(EventStream out, ApiError error);

    /** The events that end a stream; {@code failed} after {@link #streamFailure}. */
    void closeStream(EventStream out, Usage usage, boolean failed);

    void collect(int index, String reasoning, String text, TokenLogprob logprob);

    /**
     * The prompt's own log-probabilities for choice {@code index}, before its first token or its end
     * (requests that ask for them only); called where {@link #collect} or the stream's calls are.
     */
    default void promptLogprobs(int index, List<TokenLogprob> prompt) {
    }

    void collectToolCalls(int index, List<ChoiceToolCall> calls);

    /** The embedding of prompt {@code index}, not normalized (embedding requests only), before its finish. */
    default void collectEmbedding(int index, float[] embedding) {
    }

    void collectFinish(int index, String reasoning, String text, FinishReason reason);

    /** The whole response, once every choice has ended. */
    void writeResponse(JsonGenerator g, Usage usage) throws IOException;

    /**
     * Choice {@code index} ended on the stop string {@code stop} (before its finish, in the same
     * order as the other calls, streamed or collected alike). Only APIs that name it take note.
     */
    default void stopSequence(int index, String stop) {
    }

    /** An error response of this API's shape; OpenAI's by default. */
    default void writeError(JsonGenerator g, ApiError error) throws IOException {
        error.write(g);
    }

    /**
     * The error an unstreamed response is instead, once every choice has ended, or null to write it
     * ({@link #writeResponse}): for APIs that have no way to say that a reply was cut short.
     */
    default ApiError endedAsError() {
        return null;
    }
}
