package dev.switchyard.loadtest.target;

import dev.switchyard.loadtest.workload.TokenCounter;
import java.io.IOException;
import java.util.List;
import java.util.Optional;

/** A server the load test drives: what it serves, how it counts tokens, and a streaming request. */
public interface Target extends AutoCloseable {

    /** How reports name the target, e.g. {@code http://localhost:8000 (completions)}. */
    String describe();

    /** The call {@link #models()} makes, as messages name it: {@code /v1/models}, {@code GetModelInfo}. */
    String modelsEndpoint();

    /** The call a {@link #tokenCounter} makes, as messages name it: {@code /tokenize}, {@code Tokenize}. */
    String tokenizeEndpoint();

    /** The model ids the server lists, in its order. */
    List<String> models() throws IOException, InterruptedException;

    /** The server's tokenizer for {@code model}, or empty when the server offers none. */
    Optional<TokenCounter> tokenCounter(String model) throws IOException, InterruptedException;

    /**
     * Sends {@code request} and returns at once; the stream's events go to {@code listener} on the
     * target's own threads. Failures, including a refused connection, arrive as {@link StreamListener#onError}.
     */
    InFlight send(StreamRequest request, StreamListener listener);

    /** Releases the connections and threads; requests still open are abandoned. */
    @Override
    void close();
}
