package dev.switchyard.loadtest.target;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseLineDecoderTest {

    private final List<String> events = new ArrayList<>();
    private final SseLineDecoder decoder = new SseLineDecoder(events::add);

    private void feed(String... lines) {
        for (String line : lines) {
            decoder.line(line);
        }
    }

    @Test
    void aBlankLineDispatchesTheDataLinesBeforeIt() {
        feed("data: {\"a\":1}", "");
        assertThat(events).containsExactly("{\"a\":1}");
        feed("data:[DONE]", "");
        assertThat(events).containsExactly("{\"a\":1}", "[DONE]");
    }

    @Test
    void commentsOtherFieldsAndStrayBlankLinesAreSkipped() {
        feed(": keep-alive", "", "event: message", "id: 7", "retry: 100", "data: x", "", "");
        assertThat(events).containsExactly("x");
    }

    @Test
    void severalDataLinesMakeOnePayloadJoinedByNewlines() {
        feed("data: one", "data:  two", "");
        assertThat(events).containsExactly("one\n two");
    }

    @Test
    void aLastEventWithoutItsBlankLineIsDeliveredAtTheEnd() {
        feed("data: [DONE]");
        assertThat(events).isEmpty();
        decoder.finish();
        assertThat(events).containsExactly("[DONE]");
    }
}
