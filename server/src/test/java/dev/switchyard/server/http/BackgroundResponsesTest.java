package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A background response ({@code background: true}) answers at once, {@code queued}, and is made
 * apart from its request: polled by id until it ends, it holds what the same request made in the
 * foreground holds; cancelled, it stops and is kept as {@code cancelled}; deleted while it runs, it
 * stops and is not kept.
 */
class BackgroundResponsesTest {

    private static ServerFixture server;
    /** Room for replies long enough to be cancelled while they run. */
    private static ServerFixture longer;

    @BeforeAll
    static void start() throws Exception {
        server = ServerFixture.start();
        longer = ServerFixture.serving(dev.switchyard.server.TinyModelFile.longContext(), null);
    }

    @AfterAll
    static void stop() {
        server.close();
        longer.close();
    }

    private static JsonNode poll(String id) throws InterruptedException {
        return poll(server, id);
    }

    private static JsonNode poll(ServerFixture server, String id) throws InterruptedException {
        for (int i = 0; i < 600; i++) {
            HttpResponse<String> got = server.get("/v1/responses/" + id);
            assertThat(got.statusCode()).as(got.body()).isEqualTo(200);
            JsonNode r = ServerFixture.parse(got.body());
            if (!r.get("status").asText().equals("queued") && !r.get("status").asText().equals("in_progress")) {
                return r;
            }
            Thread.sleep(50);
        }
        throw new AssertionError("response " + id + " never ended");
    }

    @Test
    void aBackgroundResponseEndsAsTheSameRequestInTheForeground() throws Exception {
        String body = "\"input\":\"Hello there\",\"max_output_tokens\":24,\"temperature\":0,\"ignore_eos\":true";
        JsonNode queued = server.ok("/v1/responses", "{" + body + ",\"background\":true}");
        assertThat(queued.get("status").asText()).isEqualTo("queued");
        assertThat(queued.get("background").asBoolean()).isTrue();
        assertThat(queued.get("output")).isEmpty();
        String id = queued.get("id").asText();
        JsonNode ended = poll(id);
        JsonNode foreground = server.ok("/v1/responses", "{" + body + "}");
        assertThat(ended.get("status").asText()).isEqualTo(foreground.get("status").asText()).isEqualTo("incomplete");
        assertThat(ended.at("/output/0/content/0/text").asText()).isEqualTo(foreground.at("/output/0/content/0/text").asText())
                .isNotEmpty();
        assertThat(ended.at("/usage/output_tokens")).isEqualTo(foreground.at("/usage/output_tokens"));
        assertThat(ended.at("/usage/input_tokens")).isEqualTo(foreground.at("/usage/input_tokens"));
        assertThat(server.ok("/v1/responses/" + id + "/cancel", "{}")).as("cancelling an ended one: as kept")
                .isEqualTo(ended);
        JsonNode next = server.ok("/v1/responses", "{\"input\":\"And again\",\"previous_response_id\":\"" + id
                + "\",\"max_output_tokens\":4,\"ignore_eos\":true}");
        assertThat(next.get("status").asText()).as("it is continued as any kept response").isEqualTo("incomplete");
    }

    @Test
    void cancellingStopsItAndKeepsWhatItWrote() throws Exception {
        String body = "{\"input\":\"Tell me everything\",\"max_output_tokens\":900,\"ignore_eos\":true,"
                + "\"background\":true}";
        String id = longer.ok("/v1/responses", body).get("id").asText();
        JsonNode cancelled = longer.ok("/v1/responses/" + id + "/cancel", "{}");
        assertThat(cancelled.get("status").asText()).isEqualTo("cancelled");
        JsonNode ended = poll(longer, id);
        assertThat(ended.get("status").asText()).isEqualTo("cancelled");
        assertThat(ended.at("/usage/output_tokens").asInt()).isLessThan(900);

        String gone = longer.ok("/v1/responses", body).get("id").asText();
        HttpResponse<String> delete = longer.send(java.net.http.HttpRequest.newBuilder(longer.uri("/v1/responses/" + gone))
                .DELETE().build());
        assertThat(delete.statusCode()).isEqualTo(200);
        for (int i = 0; i < 100 && longer.get("/v1/responses/" + gone).statusCode() == 200; i++) {
            Thread.sleep(50); // answers in_progress until it has stopped
        }
        assertThat(longer.get("/v1/responses/" + gone).statusCode()).as("stopped and not kept").isEqualTo(404);
    }

    @Test
    void aStreamedBackgroundResponseCanBeReadAgainFromAnyEvent() throws Exception {
        String body = "\"input\":\"Hello there\",\"max_output_tokens\":24,\"temperature\":0,\"ignore_eos\":true";
        List<JsonNode> events = server.namedEvents("/v1/responses", "{" + body + ",\"background\":true,\"stream\":true}");
        for (int i = 0; i < events.size(); i++) {
            assertThat(events.get(i).get("sequence_number").asInt()).as("numbered without gaps").isEqualTo(i);
        }
        assertThat(events.get(0).get("type").asText()).isEqualTo("response.created");
        assertThat(events.get(0).at("/response/status").asText()).as("made in the background: queued first").isEqualTo("queued");
        assertThat(events.get(1).get("type").asText()).isEqualTo("response.queued");
        assertThat(events.get(2).get("type").asText()).isEqualTo("response.in_progress");
        JsonNode last = events.getLast();
        assertThat(last.get("type").asText()).isEqualTo("response.incomplete");
        String id = events.get(0).at("/response/id").asText();
        assertThat(ServerFixture.parse(server.get("/v1/responses/" + id).body())).isEqualTo(last.get("response"));
        JsonNode foreground = server.ok("/v1/responses", "{" + body + "}");
        assertThat(last.at("/response/output/0/content/0/text")).isEqualTo(foreground.at("/output/0/content/0/text"));

        List<JsonNode> again = ServerFixture.namedEvents(server.get("/v1/responses/" + id + "?stream=true"));
        assertThat(again).as("read again whole").isEqualTo(events);
        List<JsonNode> tail = ServerFixture.namedEvents(server.get("/v1/responses/" + id + "?stream=true&starting_after=5"));
        assertThat(tail).as("read again after event 5").isEqualTo(events.subList(6, events.size()));
    }

    @Test
    void aReaderMayLeaveAndAnotherJoinWhileItRunsAndNothingStops() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest post = HttpRequest.newBuilder(longer.uri("/v1/responses")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"input\":\"Tell me everything\",\"max_output_tokens\":400,"
                        + "\"temperature\":0,\"ignore_eos\":true,\"background\":true,\"stream\":true}")).build();
        String id;
        HttpResponse<Stream<String>> first = client.send(post, HttpResponse.BodyHandlers.ofLines());
        try (Stream<String> lines = first.body()) {
            String data = lines.filter(l -> l.startsWith("data: ")).findFirst().orElseThrow();
            id = ServerFixture.parse(data.substring("data: ".length())).at("/response/id").asText();
        } // the first reader leaves after one event
        List<JsonNode> rest = ServerFixture.namedEvents(longer.get("/v1/responses/" + id + "?stream=true&starting_after=2"));
        for (int i = 0; i < rest.size(); i++) {
            assertThat(rest.get(i).get("sequence_number").asInt()).isEqualTo(3 + i);
        }
        assertThat(rest.getLast().get("type").asText()).as("it ran to its end").isEqualTo("response.incomplete");
        assertThat(rest.getLast().at("/response/usage/output_tokens").asInt()).isEqualTo(400);
        assertThat(poll(longer, id).get("status").asText()).isEqualTo("incomplete");
    }

    @Test
    void onlyAStreamedBackgroundResponseIsStreamedAgain() {
        JsonNode foreground = server.ok("/v1/responses", "{\"input\":\"Hi\",\"max_output_tokens\":2}");
        HttpResponse<String> notStreamed = server.get("/v1/responses/" + foreground.get("id").asText() + "?stream=true");
        assertThat(notStreamed.statusCode()).isEqualTo(400);
        assertThat(ServerFixture.parse(notStreamed.body()).at("/error/param").asText()).isEqualTo("stream");
        assertThat(server.get("/v1/responses/resp_nothing?stream=true").statusCode()).isEqualTo(404);
        HttpResponse<String> badPoint = server.get("/v1/responses/resp_nothing?stream=true&starting_after=x");
        assertThat(badPoint.statusCode()).isEqualTo(400);
        assertThat(ServerFixture.parse(badPoint.body()).at("/error/param").asText()).isEqualTo("starting_after");
    }

    @Test
    void whatCannotRunInTheBackgroundIsRefusedByName() {
        HttpResponse<String> unstored = server.post("/v1/responses", "{\"input\":\"Hi\",\"background\":true,\"store\":false}");
        assertThat(unstored.statusCode()).isEqualTo(400);
        assertThat(ServerFixture.parse(unstored.body()).at("/error/message").asText()).contains("store");
        JsonNode foreground = server.ok("/v1/responses", "{\"input\":\"Hi\",\"max_output_tokens\":2}");
        HttpResponse<String> cancel = server.post("/v1/responses/" + foreground.get("id").asText() + "/cancel", "{}");
        assertThat(cancel.statusCode()).isEqualTo(400);
        assertThat(ServerFixture.parse(cancel.body()).at("/error/message").asText()).contains("only a background response");
        assertThat(server.post("/v1/responses/resp_nothing/cancel", "{}").statusCode()).isEqualTo(404);
    }
}
