package dev.switchyard.loadtest.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ChunkReaderTest {

    private final ChunkReader completions = new ChunkReader(new ObjectMapper(), ApiKind.COMPLETIONS);
    private final ChunkReader chat = new ChunkReader(new ObjectMapper(), ApiKind.CHAT);
    private final ChunkReader responses = new ChunkReader(new ObjectMapper(), ApiKind.RESPONSES);
    private final ChunkReader messages = new ChunkReader(new ObjectMapper(), ApiKind.MESSAGES);

    @Test
    void completionTextIsTheFirstChoicesText() throws Exception {
        ChunkReader.Chunk c = completions.read("{\"choices\":[{\"index\":0,\"text\":\" hi\",\"finish_reason\":null}],\"usage\":null}");
        assertThat(c.text()).isEqualTo(" hi");
        assertThat(c.hasUsage()).isFalse();
        assertThat(c.isError()).isFalse();
        assertThat(completions.read("{\"choices\":[{\"index\":0,\"text\":\"\"}]}").hasText()).isFalse();
    }

    @Test
    void chatTextIsTheDeltaContentAndTheRoleDeltaCarriesNone() throws Exception {
        assertThat(chat.read("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}").hasText()).isFalse();
        assertThat(chat.read("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}").hasText()).isFalse();
        assertThat(chat.read("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"}}]}").text()).isEqualTo("ok");
    }

    @Test
    void theUsageChunkGivesBothCounts() throws Exception {
        ChunkReader.Chunk c = completions.read("{\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":9,\"total_tokens\":21}}");
        assertThat(c.hasText()).isFalse();
        assertThat(c.hasUsage()).isTrue();
        assertThat(c.promptTokens()).isEqualTo(12);
        assertThat(c.completionTokens()).isEqualTo(9);
    }

    @Test
    void errorsInTheStreamAreRecognisedInBothShapes() throws Exception {
        assertThat(completions.read("{\"error\":{\"message\":\"scripted failure\",\"type\":\"server_error\"}}").error())
                .isEqualTo("scripted failure");
        assertThat(chat.read("{\"object\":\"error\",\"message\":\"out of memory\",\"code\":500}").error())
                .isEqualTo("out of memory");
    }

    @Test
    void aResponsesTextIsItsOutputTextDeltasAndItsLastEventCarriesTheCountsAndTheEnd() throws Exception {
        assertThat(responses.read("{\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"usage\":null}}")
                .hasText()).isFalse();
        assertThat(responses.read("{\"type\":\"response.reasoning_text.delta\",\"delta\":\"hmm\"}").hasText())
                .as("reasoning is no answer text").isFalse();
        ChunkReader.Chunk delta = responses.read("{\"type\":\"response.output_text.delta\",\"delta\":\" hi\"}");
        assertThat(delta.text()).isEqualTo(" hi");
        assertThat(delta.last()).isFalse();
        assertThat(responses.read("{\"type\":\"response.output_text.delta\",\"delta\":\"\"}").hasText()).isFalse();
        for (String end : new String[] {"response.completed", "response.incomplete"}) {
            ChunkReader.Chunk last = responses.read("{\"type\":\"" + end + "\",\"response\":{\"usage\":"
                    + "{\"input_tokens\":12,\"output_tokens\":9,\"total_tokens\":21}}}");
            assertThat(last.last()).isTrue();
            assertThat(last.promptTokens()).isEqualTo(12);
            assertThat(last.completionTokens()).isEqualTo(9);
        }
    }

    @Test
    void aFailedResponseIsAnErrorInTheStream() throws Exception {
        assertThat(responses.read("{\"type\":\"response.failed\",\"response\":{\"status\":\"failed\",\"error\":"
                + "{\"code\":\"server_error\",\"message\":\"generation failed\"}}}").error()).isEqualTo("generation failed");
        assertThat(responses.read("{\"type\":\"error\",\"code\":\"x\",\"message\":\"bad\"}").error()).isEqualTo("bad");
    }

    @Test
    void aMessagesTextIsItsTextDeltasItsCountsInMessageDeltaAndItsEndMessageStop() throws Exception {
        assertThat(messages.read("{\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":9,"
                + "\"output_tokens\":0}}}").hasUsage()).as("no counts before the end").isFalse();
        assertThat(messages.read("{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":"
                + "\"text\",\"text\":\"\"}}").hasText()).isFalse();
        assertThat(messages.read("{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
                + "\"thinking_delta\",\"thinking\":\"hmm\"}}").hasText()).as("thinking is no text").isFalse();
        assertThat(messages.read("{\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":"
                + "\"text_delta\",\"text\":\" hi\"}}").text()).isEqualTo(" hi");
        ChunkReader.Chunk delta = messages.read("{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
                + "\"max_tokens\"},\"usage\":{\"input_tokens\":3,\"cache_read_input_tokens\":6,\"output_tokens\":8}}");
        assertThat(delta.promptTokens()).as("cache reads are prompt tokens too").isEqualTo(9);
        assertThat(delta.completionTokens()).isEqualTo(8);
        assertThat(delta.last()).isFalse();
        assertThat(messages.read("{\"type\":\"message_stop\"}").last()).isTrue();
        assertThat(messages.read("{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":"
                + "\"busy\"}}").error()).isEqualTo("busy");
    }

    @Test
    void aPayloadThatIsNoJsonObjectIsABadChunk() {
        assertThatThrownBy(() -> completions.read("{not json")).isInstanceOf(ChunkReader.BadChunkException.class);
        assertThatThrownBy(() -> completions.read("[1,2]")).isInstanceOf(ChunkReader.BadChunkException.class);
    }
}
