package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.forward.ExpertOffload;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.server.TinyModelFile;
import dev.switchyard.server.serving.EngineConfig;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.ServerHealth;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real server on a loopback port over a tiny generated Mixtral (2 layers, context 256, the
 * generator's ChatML template), and a real HTTP client to talk to it.
 */
final class ServerFixture implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String MODEL_NAME = "tiny";

    final ServerHealth health = new ServerHealth();
    final HttpServer server;
    final ServedModel served;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();
    private final String base;

    private ServerFixture(EngineConfig engine, HttpServerConfig http, ExpertOffload offload) throws Exception {
        this(TinyModelFile.path(), engine, http, offload);
    }

    private ServerFixture(Path model, EngineConfig engine, HttpServerConfig http, ExpertOffload offload) throws Exception {
        served = engine == null ? null : ServedModel.open(model, MODEL_NAME, engine,
                new CpuBackend(engine.threads()), offload);
        server = new HttpServer(http, health, HttpTransport.nio());
        server.start();
        if (served != null) {
            health.ready(served);
        }
        base = "http://127.0.0.1:" + server.port();
    }

    static EngineConfig engine(int maxSeqs, long kvBytes, int maxQueue) {
        DispatchConfig dispatch = DispatchConfig.defaults(true);
        return new EngineConfig(1, maxSeqs, EngineConfig.defaultBatchTokens(maxSeqs, dispatch), kvBytes, maxQueue,
                Duration.ZERO, dispatch);
    }

    static ServerFixture start() throws Exception {
        return start(engine(8, 0, 64), HttpServerConfig.loopback(0));
    }

    static ServerFixture start(EngineConfig engine, HttpServerConfig http) throws Exception {
        return new ServerFixture(engine, http, null);
    }

    /** The default server with the routed experts offloaded as {@code offload} says. */
    static ServerFixture offloaded(ExpertOffload offload) throws Exception {
        return new ServerFixture(engine(8, 0, 64), HttpServerConfig.loopback(0), offload);
    }

    /** A server of {@code model} (served as "tiny"), its routed experts offloaded as {@code offload} says (null: in place). */
    static ServerFixture serving(Path model, ExpertOffload offload) throws Exception {
        return new ServerFixture(model, engine(8, 0, 64), HttpServerConfig.loopback(0), offload);
    }

    /** A server of {@code model} (served as "tiny") run as {@code engine} says. */
    static ServerFixture servingWith(Path model, EngineConfig engine) throws Exception {
        return new ServerFixture(model, engine, HttpServerConfig.loopback(0), null);
    }

    /** As above, with {@code http}'s settings (keys, batches...). */
    static ServerFixture servingWith(Path model, EngineConfig engine, HttpServerConfig http) throws Exception {
        return new ServerFixture(model, engine, http, null);
    }

    /** A server whose model never finishes loading. */
    static ServerFixture loading() throws Exception {
        return new ServerFixture(null, HttpServerConfig.loopback(0), null);
    }

    URI uri(String path) {
        return URI.create(base + path);
    }

    int port() {
        return server.port();
    }

    HttpResponse<String> post(String path, String body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET().build());
    }

    HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** POSTs and returns the JSON body, which must come with 200. */
    JsonNode ok(String path, String body) {
        HttpResponse<String> r = post(path, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return parse(r.body());
    }

    /** POSTs a streaming request; returns its chunks, checking the stream is SSE and ends with [DONE]. */
    List<JsonNode> stream(String path, String body) {
        HttpResponse<String> r = post(path, body);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        return chunks(r.body());
    }

    /**
     * POSTs a streaming request of an API whose events are named (the Responses and Messages APIs):
     * returns their data, each checked to be named by its {@code type}, with no {@code [DONE]}.
     */
    List<JsonNode> namedEvents(String path, String body) {
        return namedEvents(post(path, body));
    }

    /** The named events of a streamed response, checked as {@link #namedEvents(String, String)} checks them. */
    static List<JsonNode> namedEvents(HttpResponse<String> r) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        List<JsonNode> events = new ArrayList<>();
        for (String event : r.body().split("\n\n")) {
            assertThat(event).as("no [DONE] in these APIs").doesNotContain("[DONE]");
            String[] lines = event.split("\n", 2);
            assertThat(lines[0]).startsWith("event: ");
            assertThat(lines[1]).startsWith("data: ");
            JsonNode data = parse(lines[1].substring("data: ".length()));
            assertThat(data.get("type").asText()).isEqualTo(lines[0].substring("event: ".length()));
            events.add(data);
        }
        return events;
    }

    static List<JsonNode> chunks(String sse) {
        List<JsonNode> chunks = new ArrayList<>();
        String[] events = sse.split("\n\n");
        assertThat(events[events.length - 1]).isEqualTo("data: [DONE]");
        for (int i = 0; i < events.length - 1; i++) {
            assertThat(events[i]).startsWith("data: ");
            chunks.add(parse(events[i].substring("data: ".length())));
        }
        return chunks;
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Concatenated text of choice {@code index} in completions or chat chunks. */
    static String streamedText(List<JsonNode> chunks, int index) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode c : chunks) {
            for (JsonNode choice : c.path("choices")) {
                if (choice.get("index").asInt() != index) {
                    continue;
                }
                if (choice.has("text")) {
                    sb.append(choice.get("text").asText());
                } else if (choice.path("delta").has("content")) {
                    sb.append(choice.path("delta").get("content").asText());
                }
            }
        }
        return sb.toString();
    }

    static String finishReason(List<JsonNode> chunks, int index) {
        String reason = null;
        for (JsonNode c : chunks) {
            for (JsonNode choice : c.path("choices")) {
                if (choice.get("index").asInt() == index && !choice.get("finish_reason").isNull()) {
                    assertThat(reason).as("one finish_reason per choice").isNull();
                    reason = choice.get("finish_reason").asText();
                }
            }
        }
        return reason;
    }

    /** The value of a metric line, e.g. {@code switchyard_kv_usage_ratio{model="tiny"}}. */
    double metric(String series) {
        for (String line : get("/metrics").body().split("\n")) {
            if (line.startsWith(series + " ")) {
                return Double.parseDouble(line.substring(series.length() + 1).trim());
            }
        }
        throw new AssertionError("no metric " + series);
    }

    @Override
    public void close() {
        if (served != null) {
            served.close(); // first, so that no more events reach the closing server
        }
        server.close();
    }
}
