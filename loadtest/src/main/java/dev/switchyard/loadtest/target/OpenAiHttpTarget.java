package dev.switchyard.loadtest.target;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.loadtest.workload.TokenCounter;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OpenAI-compatible HTTP server ({@code /v1/completions} or {@code /v1/chat/completions}, streamed as
 * server-sent events), driven with the JDK's HTTP client.
 *
 * <p>Streams are asynchronous: the client's one selector thread reads every connection, and the body
 * lines are handed to a small fixed pool of callback threads, so a thousand open streams cost a thousand
 * sockets but no thread each. HTTP/1.1 is forced because each stream is then its own connection, as with
 * the Python clients vLLM's numbers come from, and cancelling a request closes its connection, which is
 * how the server learns the client left.
 */
public final class OpenAiHttpTarget implements Target {

    /** For the few calls outside the measured streams (models, tokenize); the streams' own limit is the runner's. */
    private static final Duration CONTROL_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);
    /** Answers meaning "no such endpoint": the server has no tokenizer to offer. */
    private static final Set<Integer> NO_ENDPOINT = Set.of(404, 405, 501);

    private final String base;
    private final ApiKind api;
    private final ExecutorService callbacks;
    private final HttpClient client;
    private final ObjectMapper json = new ObjectMapper();
    private final RequestBodies bodies = new RequestBodies(json);
    private final ChunkReader chunks;
    /** Presented on every request; null for none. */
    private final String apiKey;

    /**
     * @param url the server's base URL, e.g. {@code http://localhost:8000} (a path prefix is kept)
     * @param callbackThreads threads that run the stream callbacks, shared by all streams
     */
    public OpenAiHttpTarget(URI url, ApiKind api, int callbackThreads) {
        this(url, api, callbackThreads, null);
    }

    /** The same, presenting {@code apiKey} (null for none) on every request. */
    public OpenAiHttpTarget(URI url, ApiKind api, int callbackThreads, String apiKey) {
        this.apiKey = apiKey;
        if (callbackThreads < 1) {
            throw new IllegalArgumentException("callbackThreads must be at least 1, got " + callbackThreads);
        }
        this.base = url.toString().replaceAll("/+$", "");
        this.api = api;
        this.chunks = new ChunkReader(json, api);
        this.callbacks = Executors.newFixedThreadPool(callbackThreads, daemonThreads("loadtest-http-"));
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .executor(callbacks)
                .build();
    }

    @Override
    public String describe() {
        return base + " (" + api.label() + ")";
    }

    @Override
    public String modelsEndpoint() {
        return "/v1/models";
    }

    @Override
    public String tokenizeEndpoint() {
        return "POST /tokenize";
    }

    @Override
    public List<String> models() throws IOException, InterruptedException {
        HttpResponse<String> answer = client.send(ApiKeyHeader.apply(HttpRequest.newBuilder(endpoint("/v1/models")), apiKey)
                .timeout(CONTROL_TIMEOUT).header("Accept", "application/json").GET().build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        if (answer.statusCode() != 200) {
            throw new IOException("GET /v1/models answered " + answer.statusCode() + ": " + Failures.httpBody(answer.body()));
        }
        JsonNode data = readJson(answer.body(), "/v1/models").path("data");
        if (!data.isArray()) {
            throw new IOException("GET /v1/models answered without a \"data\" list: " + Failures.excerpt(answer.body()));
        }
        List<String> ids = new ArrayList<>();
        for (JsonNode model : data) {
            if (model.path("id").isTextual()) {
                ids.add(model.path("id").asText());
            }
        }
        return List.copyOf(ids);
    }

    /**
     * Asks the server's tokenizer once, so that a server without {@code POST /tokenize} is found before
     * calibration starts rather than in the middle of it.
     */
    @Override
    public Optional<TokenCounter> tokenCounter(String model) throws IOException, InterruptedException {
        HttpResponse<String> probe = tokenize(model, "hello world");
        if (NO_ENDPOINT.contains(probe.statusCode())) {
            return Optional.empty();
        }
        tokenCount(probe);
        return Optional.of(text -> tokenCount(tokenize(model, text)));
    }

    @Override
    public InFlight send(StreamRequest request, StreamListener listener) {
        StreamExchange exchange = new StreamExchange(listener, chunks);
        HttpRequest http = ApiKeyHeader.apply(HttpRequest.newBuilder(endpoint(api.path())), apiKey)
                .header("Content-Type", "application/json")
                .header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bodies.generation(api, request)))
                .build();
        // A 2xx body is streamed line by line into the exchange as it arrives; any other answer is read
        // whole (it is short) so the failure can say what the server said.
        CompletableFuture<HttpResponse<String>> answer = client.sendAsync(http, info -> info.statusCode() / 100 == 2
                ? BodySubscribers.fromLineSubscriber(exchange, e -> null, StandardCharsets.UTF_8, null)
                : BodySubscribers.ofString(StandardCharsets.UTF_8));
        exchange.attach(answer);
        answer.whenComplete(exchange::responseEnded);
        return exchange;
    }

    /** Abandons whatever is still open; after a run nothing should be. */
    @Override
    public void close() {
        client.shutdownNow();
        try {
            client.awaitTermination(Duration.ofSeconds(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            callbacks.shutdownNow();
        }
    }

    private HttpResponse<String> tokenize(String model, String text) throws IOException, InterruptedException {
        return client.send(ApiKeyHeader.apply(HttpRequest.newBuilder(endpoint("/tokenize")), apiKey)
                .timeout(CONTROL_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bodies.tokenize(model, text)))
                .build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    /** vLLM answers {@code {"count": N, "tokens": [...]}}; either field is enough. */
    private int tokenCount(HttpResponse<String> answer) throws IOException {
        if (answer.statusCode() != 200) {
            throw new IOException("POST /tokenize answered " + answer.statusCode() + ": " + Failures.httpBody(answer.body())
                    + " (--no-tokenize skips it)");
        }
        JsonNode body = readJson(answer.body(), "/tokenize");
        if (body.path("count").canConvertToInt()) {
            return body.path("count").asInt();
        }
        if (body.path("tokens").isArray()) {
            return body.path("tokens").size();
        }
        throw new IOException("POST /tokenize answered without \"count\" or \"tokens\": " + Failures.excerpt(answer.body()));
    }

    private JsonNode readJson(String body, String what) throws IOException {
        try {
            JsonNode node = json.readTree(body);
            if (node == null || !node.isObject()) {
                throw new IOException(what + " answered something other than a JSON object: " + Failures.excerpt(body));
            }
            return node;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(what + " answered invalid JSON: " + Failures.excerpt(body), e);
        }
    }

    private URI endpoint(String path) {
        return URI.create(base + path);
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
