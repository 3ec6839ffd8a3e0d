package dev.switchyard.server.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.chat.ChatMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The kept responses: found by id until deleted or pushed out by newer ones past the memory given;
 * with a directory, read back by the next store as they were, and gone from it when forgotten.
 */
class ResponseStoreTest {

    private static ResponseStore.Stored response(int chars) {
        return new ResponseStore.Stored("{\"x\":\"" + "a".repeat(chars) + "\"}", "[]", List.of(ChatMessage.of("user", "hi")), false, null);
    }

    @Test
    void aKeptResponseIsFoundUntilDeleted() {
        ResponseStore store = new ResponseStore(1 << 20);
        assertThat(store.keeps()).isTrue();
        store.put("resp_1", response(10));
        assertThat(store.json("resp_1")).contains("aaaaaaaaaa");
        assertThat(store.get("resp_1").conversation()).hasSize(1);
        assertThat(store.delete("resp_1")).isTrue();
        assertThat(store.json("resp_1")).isNull();
        assertThat(store.delete("resp_1")).isFalse();
    }

    @Test
    void itNeverHoldsMoreThanItsMemory() {
        ResponseStore store = new ResponseStore(100_000);
        for (int i = 0; i < 100; i++) {
            store.put("resp_" + i, response(5_000)); // about 10 KB each
        }
        long kept = 0;
        for (int i = 0; i < 100; i++) {
            if (store.json("resp_" + i) != null) {
                kept++;
            }
        }
        assertThat(kept).isBetween(1L, 10L);
    }

    @Test
    void aStoreOfNoMemoryKeepsNothing() {
        ResponseStore store = new ResponseStore(0);
        assertThat(store.keeps()).isFalse();
        store.put("resp_1", response(1));
        assertThat(store.json("resp_1")).isNull();
        assertThatThrownBy(() -> new ResponseStore(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aDirectoryKeepsResponsesForTheNextStoreAsTheyWere(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        ChatMessage call = ChatMessage.assistantToolCalls("let me look", List.of(java.util.Map.of("id", "call_1",
                "type", "function", "function", java.util.Map.of("name", "lookup", "arguments", "{\"q\":1}"))));
        ChatMessage thought = new ChatMessage("assistant", "done", null, null, null,
                java.util.Map.of("reasoning_content", "first the tool"));
        ResponseStore.Stored kept = new ResponseStore.Stored("{\"id\":\"resp_a\",\"status\":\"completed\"}",
                "[{\"id\":\"msg_1\"}]", List.of(ChatMessage.system("be brief"), ChatMessage.user("hi"), call,
                ChatMessage.toolResult("call_1", "lookup", "42"), thought), true, "alice");
        ResponseStore first = new ResponseStore(1 << 20, dir);
        first.put("resp_a", kept);
        first.put("resp_b", response(3));
        assertThat(first.delete("resp_b")).isTrue();
        java.nio.file.Files.writeString(dir.resolve("resp_bad.json"), "{not json");

        ResponseStore next = new ResponseStore(1 << 20, dir);
        assertThat(next.get("resp_a")).isEqualTo(kept);
        assertThat(next.madeInBackground("resp_a")).isTrue();
        assertThat(next.visibleTo("resp_a", "alice")).as("its key is kept with it").isTrue();
        assertThat(next.visibleTo("resp_a", "bob")).isFalse();
        assertThat(next.visibleTo("resp_a", null)).as("where requests need no key").isTrue();
        assertThat(next.visibleTo("resp_none", "bob")).as("nothing to hide").isTrue();
        assertThat(next.json("resp_b")).as("deleted before the restart").isNull();
        assertThat(next.json("resp_bad")).isNull();

        ResponseStore small = new ResponseStore(30_000, dir); // pushes out what does not fit, from disk too
        for (int i = 0; i < 20; i++) {
            small.put("resp_" + i, response(5_000));
        }
        try (var files = java.nio.file.Files.list(dir)) {
            long onDisk = files.filter(p -> p.getFileName().toString().startsWith("resp_")
                    && !p.getFileName().toString().equals("resp_bad.json")).count();
            long inMemory = java.util.stream.IntStream.range(0, 20).filter(i -> small.json("resp_" + i) != null).count()
                    + (small.json("resp_a") != null ? 1 : 0);
            assertThat(onDisk).as("the directory holds what memory holds").isEqualTo(inMemory).isLessThan(6);
        }
    }
}
