package dev.switchyard.loadtest.target;

/**
 * What a target reports of one streamed request, as events arrive. Calls for one request never overlap,
 * and at most one of {@link #onDone()} and {@link #onError} is made, as the last call. Implementations
 * should be quick: they run on the target's few callback threads, which serve every open stream.
 */
public interface StreamListener {

    /** A chunk carrying generated text arrived (a chunk without text, such as chat's role delta, is not reported). */
    void onContent(String text);

    /** The server's usage report for the request ({@code stream_options.include_usage}, or gRPC's {@code complete.usage}). */
    void onUsage(int promptTokens, int completionTokens);

    /** The stream ended normally ({@code data: [DONE]}, or gRPC's {@code complete}). */
    void onDone();

    /**
     * The request failed. {@code kind} is one of the failure kinds of RESULTS.md: {@code http_NNN},
     * {@code grpc_CODE}, {@code connect}, {@code timeout}, {@code io}, {@code stream_error},
     * {@code bad_chunk}, {@code incomplete_stream}; {@code detail} is a short human-readable reason.
     */
    void onError(String kind, String detail);
}
