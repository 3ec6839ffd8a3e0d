package dev.switchyard.server.openai;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.switchyard.engine.chat.ChatMessage;
import java.util.List;
import java.util.Map;

/**
 * The responses this server keeps ({@code store: true}, the Responses API's default), in memory and
 * bounded: each response as it was returned, for {@code GET /v1/responses/{id}}, and the
 * conversation it ended (its input after the earlier turns, then its output as the assistant's turn),
 * which a later request continues by naming it in {@code previous_response_id}. Caffeine evicts
 * past {@code maxBytes} (counted from the texts kept); an evicted or deleted response is a 404, as
 * one never made. Ids are 128 random bits, so only whoever was given one can read or continue it.
 * A store of 0 bytes keeps nothing, and responses then say {@code "store": false}.
 */
public final class ResponseStore {

    public static final long DEFAULT_BYTES = 64L << 20;
    /** What a kept message or response costs beyond its characters, roughly. */
    private static final int OVERHEAD = 256;

    /**
     * A kept response: its JSON, its input items (a JSON array, each with an id), the conversation
     * up to and including its output, and whether it was made in the background.
     */
    record Stored(String json, String inputItems, List<ChatMessage> conversation, boolean background) {

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

    private final Cache<String, Stored> responses;

    public ResponseStore(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("the response store's size must be 0 or more, got " + maxBytes);
        }
        this.responses = maxBytes == 0 ? null
                : Caffeine.newBuilder().maximumWeight(maxBytes).<String, Stored>weigher((id, r) -> r.weight())
                        // evict on the writer's thread: the bound holds as soon as a response is kept
                        .executor(Runnable::run).build();
    }

    /** Whether responses are kept at all. */
    public boolean keeps() {
        return responses != null;
    }

    void put(String id, Stored response) {
        if (responses != null) {
            responses.put(id, response);
        }
    }

    /** The kept response, or null. */
    Stored get(String id) {
        return responses == null ? null : responses.getIfPresent(id);
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
