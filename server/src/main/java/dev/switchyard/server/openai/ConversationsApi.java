package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.chat.ChatMessage;
import dev.switchyard.server.serving.KeyOwnership;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's Conversations API over a {@link ConversationStore}: create, retrieve, update (metadata)
 * and delete a conversation; add, list, retrieve and delete its items. A response made with
 * {@code conversation} reads the conversation's items as its earlier turns and, once it completes,
 * appends its input and output items ({@link #append}). Items are validated as the Responses API's
 * input items are (messages, function calls and their outputs, reasoning), at most
 * {@value #MAX_ITEMS_AT_ONCE} at a time, as OpenAI takes them.
 */
public final class ConversationsApi {

    static final int MAX_ITEMS_AT_ONCE = 20;
    private static final int MAX_METADATA_KEYS = 16;
    private static final int MAX_METADATA_KEY = 64;
    private static final int MAX_METADATA_VALUE = 512;

    private final ConversationStore store;
    private final ObjectMapper mapper;

    public ConversationsApi(ConversationStore store, ObjectMapper mapper) {
        this.store = store;
        this.mapper = mapper;
    }

    public ConversationStore store() {
        return store;
    }

    /** {@code POST /v1/conversations}: {@code items} (optional) and {@code metadata} (optional). */
    public void create(JsonNode body, JsonGenerator g) throws IOException {
        create(body, null, g);
    }

    /** As above, the conversation belonging to the key named {@code owner} (null: no key). */
    public void create(JsonNode body, String owner, JsonGenerator g) throws IOException {
        if (!store.keeps()) {
            throw ApiError.invalid(null, "this server keeps no conversations (--responses-memory is 0)");
        }
        Fields f = new Fields(body);
        JsonNode items = f.node("items");
        List<JsonNode> normalized = items == null ? List.of() : checkedItems(items);
        writeConversation(g, store.create(metadata(f.node("metadata")), normalized, owner));
    }

    /**
     * @throws ApiError 404, as for a conversation never made, where conversation {@code id} is kept
     *                  for another key than the one named {@code caller} (a conversation made without
     *                  a key, or a caller without one, reaches any)
     */
    public void requireVisible(String id, String caller) {
        ConversationStore.Conversation c = store.get(id);
        if (c != null && !KeyOwnership.visible(c.owner(), caller)) {
            throw notFound(id);
        }
    }

    /** {@code GET /v1/conversations/{id}}. */
    public void retrieve(String id, JsonGenerator g) throws IOException {
        writeConversation(g, kept(id));
    }

    /** {@code POST /v1/conversations/{id}}: its metadata replaced by {@code metadata}. */
    public void update(String id, JsonNode body, JsonGenerator g) throws IOException {
        JsonNode given = new Fields(body).node("metadata");
        if (given == null) {
            throw ApiError.invalid("metadata", "metadata is required");
        }
        JsonNode metadata = metadata(given);
        writeConversation(g, changed(id, c -> c.withMetadata(metadata)));
    }

    /** {@code DELETE /v1/conversations/{id}}. */
    public void delete(String id, JsonGenerator g) throws IOException {
        if (!store.delete(id)) {
            throw notFound(id);
        }
        g.writeStartObject();
        g.writeStringField("id", id);
        g.writeStringField("object", "conversation.deleted");
        g.writeBooleanField("deleted", true);
        g.writeEndObject();
    }

    /** {@code POST /v1/conversations/{id}/items}: {@code items} appended; answers them as a list. */
    public void addItems(String id, JsonNode body, JsonGenerator g) throws IOException {
        JsonNode items = new Fields(body).node("items");
        if (items == null) {
            throw ApiError.invalid("items", "items is required");
        }
        List<JsonNode> added = checkedItems(items);
        changed(id, c -> c.plus(added));
        ResponsesApi.writeItemPage(g, added, "asc", String.valueOf(Math.max(1, added.size())), null);
    }

    /** {@code GET /v1/conversations/{id}/items}: a page, as the Responses API pages input items. */
    public void listItems(String id, String order, String limit, String after, JsonGenerator g) throws IOException {
        ResponsesApi.writeItemPage(g, kept(id).items(), order, limit, after);
    }

    /** {@code GET /v1/conversations/{id}/items/{item}}. */
    public void item(String id, String itemId, JsonGenerator g) throws IOException {
        JsonNode item = kept(id).item(itemId);
        if (item == null) {
            throw itemNotFound(id, itemId);
        }
        g.writeTree(item);
    }

    /** {@code DELETE /v1/conversations/{id}/items/{item}}: answers the conversation. */
    public void deleteItem(String id, String itemId, JsonGenerator g) throws IOException {
        boolean[] found = {false};
        ConversationStore.Conversation c = changed(id, conversation -> {
            List<JsonNode> rest = new ArrayList<>(conversation.items());
            found[0] = rest.removeIf(item -> itemId.equals(item.path("id").asText()));
            return found[0] ? conversation.withItems(rest) : conversation;
        });
        if (!found[0]) {
            throw itemNotFound(id, itemId);
        }
        writeConversation(g, c);
    }

    /**
     * The earlier turns a response made in conversation {@code id} continues: its items as the chat
     * template's messages; a 404 naming {@code conversation} when none is kept, or it is another
     * key's than {@code caller}'s.
     */
    List<ChatMessage> turns(String id, String caller) {
        ConversationStore.Conversation c = store.get(id);
        if (c == null || !KeyOwnership.visible(c.owner(), caller)) {
            throw new ApiError(404, "invalid_request_error", "no conversation '" + id + "' is kept here: it was never "
                    + "made, was deleted, or was evicted", "conversation", "conversation_not_found");
        }
        List<ChatMessage> turns = new ArrayList<>();
        ResponsesApi.items(mapper.valueToTree(c.items()), "conversation.items", mapper, turns);
        return turns;
    }

    /**
     * A completed response's turn, added to its conversation: its input items, then its output
     * items. A conversation deleted or evicted meanwhile takes nothing.
     */
    void append(String id, List<JsonNode> inputItems, List<JsonNode> outputItems) {
        List<JsonNode> added = new ArrayList<>(inputItems.size() + outputItems.size());
        inputItems.forEach(item -> added.add(ConversationItems.normalized(item)));
        outputItems.forEach(item -> added.add(ConversationItems.normalized(item)));
        store.change(id, c -> c.plus(added));
    }

    /** Items as sent: a list of 1 to {@value #MAX_ITEMS_AT_ONCE} valid input items, normalized. */
    private List<JsonNode> checkedItems(JsonNode items) {
        if (!items.isArray() || items.isEmpty() || items.size() > MAX_ITEMS_AT_ONCE) {
            throw ApiError.invalid("items", "items must be a list of 1 to " + MAX_ITEMS_AT_ONCE + " items");
        }
        ResponsesApi.items(items, "items", mapper, new ArrayList<>());
        List<JsonNode> normalized = new ArrayList<>(items.size());
        items.forEach(item -> normalized.add(ConversationItems.normalized(item)));
        return normalized;
    }

    /** {@code metadata}: at most 16 string values, keys up to 64 characters, values up to 512; empty when absent. */
    private JsonNode metadata(JsonNode metadata) {
        if (metadata == null || metadata.isNull()) {
            return mapper.createObjectNode();
        }
        if (!metadata.isObject() || metadata.size() > MAX_METADATA_KEYS) {
            throw ApiError.invalid("metadata", "metadata must be an object of at most " + MAX_METADATA_KEYS + " strings");
        }
        for (Map.Entry<String, JsonNode> e : metadata.properties()) {
            if (e.getKey().length() > MAX_METADATA_KEY || !e.getValue().isTextual()
                    || e.getValue().textValue().length() > MAX_METADATA_VALUE) {
                throw ApiError.invalid("metadata." + e.getKey(), "metadata keys have at most " + MAX_METADATA_KEY
                        + " characters and values are strings of at most " + MAX_METADATA_VALUE);
            }
        }
        return metadata.deepCopy();
    }

    private ConversationStore.Conversation kept(String id) {
        ConversationStore.Conversation c = store.get(id);
        if (c == null) {
            throw notFound(id);
        }
        return c;
    }

    private ConversationStore.Conversation changed(String id, java.util.function.UnaryOperator<ConversationStore.Conversation> change) {
        ConversationStore.Conversation c = store.change(id, change);
        if (c == null) {
            throw notFound(id);
        }
        return c;
    }

    private static ApiError notFound(String id) {
        return new ApiError(404, "invalid_request_error", "no conversation '" + id + "' is kept here", null,
                "conversation_not_found");
    }

    private static ApiError itemNotFound(String id, String itemId) {
        return new ApiError(404, "invalid_request_error", "conversation '" + id + "' has no item '" + itemId + "'", null,
                "item_not_found");
    }

    private static void writeConversation(JsonGenerator g, ConversationStore.Conversation c) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", c.id());
        g.writeStringField("object", "conversation");
        g.writeNumberField("created_at", c.createdAt());
        g.writeFieldName("metadata");
        g.writeTree(c.metadata());
        g.writeEndObject();
    }
}
