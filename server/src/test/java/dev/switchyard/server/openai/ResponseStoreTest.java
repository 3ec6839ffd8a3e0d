package dev.switchyard.server.openai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.chat.ChatMessage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The kept responses: found by id until deleted or pushed out by newer ones past the memory given. */
class ResponseStoreTest {

    private static ResponseStore.Stored response(int chars) {
        return new ResponseStore.Stored("{\"x\":\"" + "a".repeat(chars) + "\"}", "[]", List.of(ChatMessage.of("user", "hi")), false);
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
}
