package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * OpenAI's Conversations API: a conversation is created, read, updated and deleted; its items are
 * added, paged, read and deleted in OpenAI's shapes; a response made in a conversation reads its
 * items as the earlier turns (answering as chat does for the same turns) and adds its own turn.
 */
class ConversationsApiTest {

    private static ServerFixture tiny;

    @BeforeAll
    static void start() throws Exception {
        tiny = ServerFixture.start();
    }

    @AfterAll
    static void stop() {
        tiny.close();
    }

    private static HttpResponse<String> delete(String path) {
        return tiny.send(HttpRequest.newBuilder(tiny.uri(path)).DELETE().build());
    }

    private static JsonNode read(String path) {
        HttpResponse<String> r = tiny.get(path);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return ServerFixture.parse(r.body());
    }

    private static void assertError(HttpResponse<String> r, int status, String param, String fragment) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode error = ServerFixture.parse(r.body()).get("error");
        if (param != null) {
            assertThat(error.get("param").asText()).isEqualTo(param);
        }
        assertThat(error.get("message").asText()).contains(fragment);
    }

    private static List<String> texts(JsonNode list) {
        List<String> texts = new ArrayList<>();
        list.get("data").forEach(item -> texts.add(item.path("role").asText() + ": " + item.at("/content/0/text").asText()));
        return texts;
    }

    @Test
    void aConversationIsCreatedReadUpdatedAndDeleted() {
        JsonNode made = tiny.ok("/v1/conversations", "{\"metadata\":{\"topic\":\"trains\"},"
                + "\"items\":[{\"role\":\"user\",\"content\":\"Hello there\"}]}");
        String id = made.get("id").asText();
        assertThat(id).startsWith("conv_");
        assertThat(made.get("object").asText()).isEqualTo("conversation");
        assertThat(made.get("created_at").asLong()).isPositive();
        assertThat(made.at("/metadata/topic").asText()).isEqualTo("trains");
        assertThat(read("/v1/conversations/" + id)).isEqualTo(made);

        JsonNode updated = tiny.ok("/v1/conversations/" + id, "{\"metadata\":{\"topic\":\"yards\",\"run\":\"2\"}}");
        assertThat(updated.get("metadata").size()).isEqualTo(2);
        assertThat(read("/v1/conversations/" + id).at("/metadata/topic").asText()).isEqualTo("yards");

        HttpResponse<String> deleted = delete("/v1/conversations/" + id);
        assertThat(deleted.statusCode()).isEqualTo(200);
        JsonNode gone = ServerFixture.parse(deleted.body());
        assertThat(gone.get("object").asText()).isEqualTo("conversation.deleted");
        assertThat(gone.get("deleted").asBoolean()).isTrue();
        assertError(tiny.get("/v1/conversations/" + id), 404, null, id);
        assertThat(tiny.ok("/v1/conversations", "{}").get("metadata").size()).as("no metadata: empty").isZero();
    }

    @Test
    void itemsAreAddedPagedReadAndDeletedAsOpenAiListsThem() {
        String id = tiny.ok("/v1/conversations", "{\"items\":[{\"role\":\"user\",\"content\":\"one\"},"
                + "{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"two\"}]}").get("id").asText();
        String items = "/v1/conversations/" + id + "/items";
        JsonNode added = tiny.ok(items, "{\"items\":[{\"id\":\"msg_mine\",\"role\":\"user\",\"content\":"
                + "[{\"type\":\"input_text\",\"text\":\"three\"}]},{\"role\":\"assistant\",\"content\":\"four\"}]}");
        assertThat(added.get("object").asText()).isEqualTo("list");
        assertThat(texts(added)).containsExactly("user: three", "assistant: four");
        assertThat(added.at("/data/0/id").asText()).isEqualTo("msg_mine");
        assertThat(added.get("has_more").asBoolean()).isFalse();

        JsonNode all = read(items);
        assertThat(texts(all)).as("the last first, by default")
                .containsExactly("assistant: four", "user: three", "assistant: two", "user: one");
        JsonNode two = all.at("/data/2");
        assertThat(two.get("type").asText()).isEqualTo("message");
        assertThat(two.get("id").asText()).startsWith("msg_");
        assertThat(two.get("status").asText()).isEqualTo("completed");
        assertThat(two.at("/content/0/type").asText()).as("an assistant's text").isEqualTo("output_text");
        assertThat(all.at("/data/3/content/0/type").asText()).isEqualTo("input_text");

        JsonNode page = read(items + "?order=asc&limit=3");
        assertThat(texts(page)).containsExactly("user: one", "assistant: two", "user: three");
        assertThat(page.get("has_more").asBoolean()).isTrue();
        assertThat(texts(read(items + "?order=asc&after=" + page.get("last_id").asText()))).containsExactly("assistant: four");

        assertThat(read(items + "/msg_mine").at("/content/0/text").asText()).isEqualTo("three");
        HttpResponse<String> removed = delete(items + "/msg_mine");
        assertThat(removed.statusCode()).isEqualTo(200);
        assertThat(ServerFixture.parse(removed.body()).get("id").asText()).as("answers the conversation").isEqualTo(id);
        assertThat(texts(read(items + "?order=asc"))).containsExactly("user: one", "assistant: two", "assistant: four");
        assertError(tiny.get(items + "/msg_mine"), 404, null, "msg_mine");
        assertError(delete(items + "/msg_mine"), 404, null, "msg_mine");
    }

    @Test
    void aResponseInAConversationReadsItsItemsAndAddsItsTurn() {
        String id = tiny.ok("/v1/conversations", "{}").get("id").asText();
        JsonNode first = tiny.ok("/v1/responses", "{\"conversation\":\"" + id + "\",\"input\":\"Hello there\","
                + "\"max_output_tokens\":6,\"temperature\":0,\"ignore_eos\":true}");
        assertThat(first.at("/conversation/id").asText()).isEqualTo(id);
        String answer = first.at("/output/0/content/0/text").asText();

        JsonNode next = tiny.ok("/v1/responses", "{\"conversation\":{\"id\":\"" + id + "\"},\"input\":\"And then?\","
                + "\"max_output_tokens\":6,\"temperature\":0,\"ignore_eos\":true}");
        JsonNode chat = tiny.ok("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hello there\"},"
                + "{\"role\":\"assistant\",\"content\":" + ServerFixture.JSON.valueToTree(answer) + "},"
                + "{\"role\":\"user\",\"content\":\"And then?\"}],\"max_tokens\":6,\"temperature\":0,\"ignore_eos\":true}");
        assertThat(next.at("/usage/input_tokens").asInt()).isEqualTo(chat.at("/usage/prompt_tokens").asInt());
        assertThat(next.at("/output/0/content/0/text").asText()).isEqualTo(chat.at("/choices/0/message/content").asText());

        JsonNode items = read("/v1/conversations/" + id + "/items?order=asc");
        assertThat(texts(items)).containsExactly("user: Hello there", "assistant: " + answer, "user: And then?",
                "assistant: " + next.at("/output/0/content/0/text").asText());
        assertThat(items.at("/data/1/id").asText()).as("the output item as returned")
                .isEqualTo(first.at("/output/0/id").asText());

        // a streamed response adds its turn too
        List<JsonNode> events = tiny.namedEvents("/v1/responses", "{\"conversation\":\"" + id + "\",\"input\":\"More?\","
                + "\"max_output_tokens\":3,\"temperature\":0,\"ignore_eos\":true,\"stream\":true}");
        assertThat(events.getLast().at("/response/conversation/id").asText()).isEqualTo(id);
        assertThat(read("/v1/conversations/" + id + "/items").get("data")).hasSize(6);
    }

    @Test
    void whatIsMissingOrMalformedIsRefusedByName() {
        assertError(tiny.post("/v1/responses", "{\"conversation\":\"conv_none\",\"input\":\"hi\"}"), 404, "conversation",
                "conv_none");
        String id = tiny.ok("/v1/conversations", "{}").get("id").asText();
        String kept = tiny.ok("/v1/responses", "{\"input\":\"hi\",\"max_output_tokens\":1}").get("id").asText();
        assertError(tiny.post("/v1/responses", "{\"conversation\":\"" + id + "\",\"previous_response_id\":\"" + kept
                + "\",\"input\":\"hi\"}"), 400, "conversation", "cannot both");
        assertError(tiny.post("/v1/responses", "{\"conversation\":7,\"input\":\"hi\"}"), 400, "conversation", "id");
        assertError(tiny.post("/v1/conversations", "{\"items\":[{\"role\":\"user\",\"content\":[{\"type\":"
                + "\"input_image\"}]}]}"), 400, "items[0].content[0].type", "input_image");
        assertError(tiny.post("/v1/conversations", "{\"items\":[{\"type\":\"function_call_output\",\"output\":\"x\"}]}"),
                400, "items[0].call_id", "is required");
        StringBuilder many = new StringBuilder("{\"items\":[");
        for (int i = 0; i < 21; i++) {
            many.append(i == 0 ? "" : ",").append("{\"role\":\"user\",\"content\":\"x\"}");
        }
        assertError(tiny.post("/v1/conversations", many + "]}"), 400, "items", "1 to 20");
        assertError(tiny.post("/v1/conversations", "{\"metadata\":{\"n\":1}}"), 400, "metadata.n", "strings");
        assertError(tiny.post("/v1/conversations/" + id, "{}"), 400, "metadata", "required");
        assertError(tiny.post("/v1/conversations/" + id + "/items", "{}"), 400, "items", "required");
        assertError(tiny.get("/v1/conversations/conv_none/items"), 404, null, "conv_none");
        assertThat(tiny.send(HttpRequest.newBuilder(tiny.uri("/v1/conversations/" + id + "/items"))
                .DELETE().build()).statusCode()).isEqualTo(405);
        assertThat(tiny.get("/v1/conversations/" + id + "/other").statusCode()).isEqualTo(404);
        assertThat(tiny.get("/v1/conversations").statusCode()).isEqualTo(405);
    }
}
