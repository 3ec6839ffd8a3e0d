package dev.switchyard.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The conversations this server keeps (OpenAI's Conversations API): each one's items, in order, and
 * its metadata, in memory and bounded like the {@link ResponseStore} (Caffeine evicts the least used
 * past {@code maxBytes}, counted from the items' JSON). A conversation is immutable; every change
 * replaces it atomically, so a response appending its turn and a client adding items never lose one
 * another's items. Ids are 128 random bits. An evicted or deleted conversation is a 404, as one
 * never made, and so is another key's (see {@link ConversationsApi#requireVisible}).
 */
public final class ConversationStore {

    /** What a conversation or an item costs beyond its JSON's characters, roughly. */
    private static final int OVERHEAD = 256;

    /**
     * A kept conversation.
     *
     * @param metadata an object of strings
     * @param items    each with its {@code id} and {@code type} ({@link ConversationItems#normalized})
     * @param owner    the name of the key that made it, which alone reaches it (null: no key)
     */
    record Conversation(String id, long createdAt, JsonNode metadata, List<JsonNode> items, String owner) {

        Conversation {
            items = List.copyOf(items);
        }

        int weight() {
            long bytes = OVERHEAD + 2L * metadata.toString().length();
            for (JsonNode item : items) {
                bytes += OVERHEAD + 2L * item.toString().length();
            }
            return (int) Math.min(Integer.MAX_VALUE, bytes);
        }

        Conversation withItems(List<JsonNode> changed) {
            return new Conversation(id, createdAt, metadata, changed, owner);
        }

        Conversation withMetadata(JsonNode changed) {
            return new Conversation(id, createdAt, changed, items, owner);
        }

        Conversation plus(List<JsonNode> added) {
            List<JsonNode> all = new ArrayList<>(items.size() + added.size());
            all.addAll(items);
            all.addAll(added);
            return withItems(all);
        }

        /** The item with this id, or null. */
        JsonNode item(String itemId) {
            for (JsonNode item : items) {
                if (itemId.equals(item.path("id").asText())) {
                    return item;
                }
            }
            return null;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Cache<String, Conversation> conversations;
    /** Where conversations are kept across restarts; null for memory only. */
    private final KeptOnDisk disk;

    public ConversationStore(long maxBytes) {
        this(maxBytes, null);
    }

    /**
     * A store of {@code maxBytes} in memory, kept in {@code dir} across restarts too (null: memory
     * only): each conversation written as it is made or changed, deleted as it is deleted or evicted.
     */
    public ConversationStore(long maxBytes, java.nio.file.Path dir) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("the conversation store's size must be 0 or more, got " + maxBytes);
        }
        this.disk = maxBytes == 0 || dir == null ? null : new KeptOnDisk(dir, JSON);
        this.conversations = KeptOnDisk.boundedCache(maxBytes, (String id, Conversation c) -> c.weight(), disk);
        if (disk != null) {
            for (KeptOnDisk.Kept kept : disk.readAll()) {
                JsonNode e = kept.entry();
                if (e.path("items").isArray() && e.path("metadata").isObject()) {
                    List<JsonNode> items = new ArrayList<>();
                    e.get("items").forEach(items::add);
                    conversations.put(kept.id(), new Conversation(kept.id(), e.path("created_at").asLong(),
                            e.get("metadata"), items, e.path("owner").isTextual() ? e.get("owner").asText() : null));
                }
            }
        }
    }

    /** Writes a conversation to the directory, where there is one. */
    private Conversation kept(Conversation c) {
        if (disk != null && c != null) {
            com.fasterxml.jackson.databind.node.ObjectNode entry = JSON.createObjectNode().put("created_at", c.createdAt())
                    .put("owner", c.owner());
            entry.set("metadata", c.metadata());
            entry.putArray("items").addAll(c.items());
            disk.write(c.id(), entry);
        }
        return c;
    }

    /** Whether conversations are kept at all. */
    public boolean keeps() {
        return conversations != null;
    }

    Conversation create(JsonNode metadata, List<JsonNode> items, String owner) {
        Conversation c = new Conversation("conv_" + ResponsesRenderer.hex(), System.currentTimeMillis() / 1000, metadata,
                items, owner);
        conversations.put(c.id(), kept(c));
        return c;
    }

    /** The kept conversation, or null. */
    Conversation get(String id) {
        return conversations == null ? null : conversations.getIfPresent(id);
    }

    /** Replaces a kept conversation by {@code change} of it; the result, or null when none is kept under {@code id}. */
    Conversation change(String id, UnaryOperator<Conversation> change) {
        return conversations == null ? null : conversations.asMap().computeIfPresent(id, (k, c) -> kept(change.apply(c)));
    }

    /** Forgets a conversation; whether it was kept. */
    boolean delete(String id) {
        return conversations != null && conversations.asMap().remove(id) != null;
    }
}
