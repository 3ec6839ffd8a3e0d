package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import dev.switchyard.engine.chat.ChatMessage;
import dev.switchyard.server.serving.KeyOwnership;
import java.util.List;
import java.util.Map;

/**
 * The responses this server keeps ({@code store: true}, the Responses API's default), in memory and
 * bounded: each response as it was returned, for {@code GET /v1/responses/{id}}, and the
 * conversation it ended (its input after the earlier turns, then its output as the assistant's turn),
 * which a later request continues by naming it in {@code previous_response_id}. Caffeine evicts
 * past {@code maxBytes} (counted from the texts kept); an evicted or deleted response is a 404, as
 * one never made. Ids are 128 random bits, so only whoever was given one can read or continue it.
 * A response made with a key belongs to that key ({@link #visibleTo}): another key finds nothing
 * under its id, as where none was made.
 * A store of 0 bytes keeps nothing, and responses then say {@code "store": false}. Given a directory
 * ({@code --responses-dir}), the store also keeps each response there as it is made and reads them
 * back when the server starts, so that a restart does not break a client's chain of
 * {@code previous_response_id}s; the memory bound still holds, and what it evicts is deleted there.
 */
public final class ResponseStore {

    public static final long DEFAULT_BYTES = 64L << 20;
    /** What a kept message or response costs beyond its characters, roughly. */
    private static final int OVERHEAD = 256;

    /**
     * A kept response: its JSON, its input items (a JSON array, each with an id), the conversation
     * up to and including its output, whether it was made in the background, and the name of the
     * key that made it (null where requests need no key).
     */
    record Stored(String json, String inputItems, List<ChatMessage> conversation, boolean background, String owner) {

        int weight() {
            long bytes = 2L * (json.length() + inputItems.length()) + OVERHEAD;
            for (ChatMessage m : conversation) {
                bytes += OVERHEAD + 2L * (m.content() == null ? 0 : m.content().length());
                if (m.toolCalls() != null) {
                    for (Map<String, Object> call : m.toolCalls()) {
                        bytes += OVERHEAD + 2L * call.toString().length();
                    }
                }
            }
            return (int) Math.min(Integer.MAX_VALUE, bytes);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Cache<String, Stored> responses;
    /** Where responses are kept across restarts; null for memory only. */
    private final KeptOnDisk disk;

    public ResponseStore(long maxBytes) {
        this(maxBytes, null);
    }

    /** A store of {@code maxBytes} in memory, kept in {@code dir} across restarts too (null: memory only). */
    public ResponseStore(long maxBytes, java.nio.file.Path dir) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("the response store's size must be 0 or more, got " + maxBytes);
        }
        this.disk = maxBytes == 0 || dir == null ? null : new KeptOnDisk(dir, JSON);
        // evicts on the writer's thread: the bound holds as soon as a response is kept
        this.responses = KeptOnDisk.boundedCache(maxBytes, (String id, Stored r) -> r.weight(), disk);
        if (disk != null) {
            for (KeptOnDisk.Kept kept : disk.readAll()) {
                try {
                    responses.put(kept.id(), stored(kept.entry()));
                } catch (RuntimeException e) {
                    java.util.logging.Logger.getLogger(ResponseStore.class.getName()).warning("skipping the kept "
                            + "response " + kept.id() + ": " + e.getMessage());
                }
            }
        }
    }

    /** A kept response as its file holds it. */
    private static ObjectNode entry(Stored r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("response", r.json());
        n.put("input_items", r.inputItems());
        n.put("background", r.background());
        n.put("owner", r.owner());
        ArrayNode conversation = n.putArray("conversation");
        for (ChatMessage m : r.conversation()) {
            ObjectNode message = conversation.addObject().put("role", m.role());
            message.put("content", m.content());
            message.put("name", m.name());
            message.set("tool_calls", JSON.valueToTree(m.toolCalls()));
            message.put("tool_call_id", m.toolCallId());
            message.set("extra", JSON.valueToTree(m.extra()));
        }
        return n;
    }

    private static Stored stored(com.fasterxml.jackson.databind.JsonNode n) {
        List<ChatMessage> conversation = new java.util.ArrayList<>();
        for (var m : n.path("conversation")) {
            conversation.add(new ChatMessage(m.get("role").asText(), text(m, "content"), text(m, "name"),
                    m.path("tool_calls").isArray() ? JSON.convertValue(m.get("tool_calls"),
                            new TypeReference<List<Map<String, Object>>>() { }) : null,
                    text(m, "tool_call_id"),
                    m.path("extra").isObject() ? JSON.convertValue(m.get("extra"),
                            new TypeReference<Map<String, Object>>() { }) : Map.of()));
        }
        if (!n.path("response").isTextual() || !n.path("input_items").isTextual()) {
            throw new IllegalArgumentException("no response or input items");
        }
        return new Stored(n.get("response").asText(), n.get("input_items").asText(), List.copyOf(conversation),
                n.path("background").asBoolean(), text(n, "owner"));
    }

    private static String text(com.fasterxml.jackson.databind.JsonNode n, String field) {
        return n.path(field).isTextual() ? n.get(field).asText() : null;
    }

    /** Whether responses are kept at all. */
    public boolean keeps() {
        return responses != null;
    }

    void put(String id, Stored response) {
        if (responses != null) {
            if (disk != null) {
                disk.write(id, entry(response));
            }
            responses.put(id, response);
        }
    }

    /** The kept response, or null. */
    Stored get(String id) {
        return responses == null ? null : responses.getIfPresent(id);
    }

    /**
     * Whether the client of the key named {@code caller} may reach response {@code id}: true where
     * none is kept under it (the caller then finds nothing), or it is the caller's, or either side
     * has no key.
     */
    public boolean visibleTo(String id, String caller) {
        Stored r = get(id);
        return r == null || KeyOwnership.visible(r.owner(), caller);
    }

    /** Forgets a response; whether it was kept. */
    public boolean delete(String id) {
        return responses != null && responses.asMap().remove(id) != null;
    }

    /** The JSON of a kept response, or null. */
    public String json(String id) {
        Stored r = get(id);
        return r == null ? null : r.json();
    }

    /** Whether a kept response was made in the background (and so may be asked to cancel). */
    public boolean madeInBackground(String id) {
        Stored r = get(id);
        return r != null && r.background();
    }

    /** The input items of a kept response as a JSON array, or null. */
    public String inputItems(String id) {
        Stored r = get(id);
        return r == null ? null : r.inputItems();
    }
}
