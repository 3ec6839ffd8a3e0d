package dev.switchyard.server.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * The kept conversations: changes made at once from several threads (responses adding their turns,
 * clients adding items) all land; the store never holds more than its memory; with none it keeps
 * nothing and creating one is refused; with a directory the next store reads its conversations back
 * as they last were.
 */
class ConversationStoreTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode item(String text) {
        return ConversationItems.normalized(JSON.createObjectNode().put("role", "user").put("content", text));
    }

    @Test
    void changesFromManyThreadsAllLand() throws Exception {
        ConversationStore store = new ConversationStore(64 << 20);
        String id = store.create(JSON.createObjectNode(), List.of(), null).id();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 200; i++) {
                        JsonNode added = item(thread + ":" + i);
                        store.change(id, c -> c.plus(List.of(added)));
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        List<JsonNode> items = store.get(id).items();
        assertThat(items).hasSize(800);
        Set<String> ids = new HashSet<>();
        items.forEach(i -> ids.add(i.get("id").asText()));
        assertThat(ids).as("each item has an id of its own").hasSize(800);
        // each thread's items stay in the order it added them
        for (int t = 0; t < 4; t++) {
            String prefix = t + ":";
            List<Integer> order = items.stream().map(i -> i.at("/content/0/text").asText())
                    .filter(s -> s.startsWith(prefix)).map(s -> Integer.parseInt(s.substring(prefix.length()))).toList();
            assertThat(order).isSorted().hasSize(200);
        }
    }

    @Test
    void itNeverHoldsMoreThanItsMemory() {
        ConversationStore store = new ConversationStore(100_000);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            ids.add(store.create(JSON.createObjectNode(), List.of(item("a".repeat(5_000))), null).id()); // about 10 KB each
        }
        assertThat(ids.stream().filter(id -> store.get(id) != null).count()).isBetween(1L, 10L);
    }

    @Test
    void aStoreOfNoMemoryKeepsNothingAndRefusesToMakeOne() {
        ConversationStore store = new ConversationStore(0);
        assertThat(store.keeps()).isFalse();
        assertThat(store.get("conv_1")).isNull();
        assertThat(store.change("conv_1", c -> c)).isNull();
        ConversationsApi api = new ConversationsApi(store, JSON);
        assertThatThrownBy(() -> api.create(JSON.createObjectNode(), null)).isInstanceOf(ApiError.class)
                .hasMessageContaining("--responses-memory");
        assertThatThrownBy(() -> new ConversationStore(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDirectoryKeepsConversationsAsTheyLastWereForTheNextStore(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        ConversationStore first = new ConversationStore(1 << 20, dir);
        String kept = first.create(JSON.createObjectNode().put("topic", "trains"), List.of(item("one")), "alice").id();
        first.change(kept, c -> c.plus(List.of(item("two"))));
        String gone = first.create(JSON.createObjectNode(), List.of(item("x")), null).id();
        assertThat(first.delete(gone)).isTrue();

        ConversationStore next = new ConversationStore(1 << 20, dir);
        ConversationStore.Conversation back = next.get(kept);
        assertThat(back).isEqualTo(first.get(kept));
        assertThat(back.items()).extracting(i -> i.at("/content/0/text").asText()).containsExactly("one", "two");
        assertThat(back.metadata().get("topic").asText()).isEqualTo("trains");
        assertThat(back.owner()).as("its key is kept with it").isEqualTo("alice");
        assertThat(next.get(gone)).isNull();
    }
}
