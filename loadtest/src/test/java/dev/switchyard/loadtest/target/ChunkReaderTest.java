package dev.switchyard.loadtest.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

class ChunkReaderTest {

    private final ChunkReader completions = new ChunkReader(new ObjectMapper(), ApiKind.COMPLETIONS);
    private final ChunkReader chat = new ChunkReader(new ObjectMapper(), ApiKind.CHAT);

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
    void aPayloadThatIsNoJsonObjectIsABadChunk() {
        assertThatThrownBy(() -> completions.read("{not json")).isInstanceOf(ChunkReader.BadChunkException.class);
        assertThatThrownBy(() -> completions.read("[1,2]")).isInstanceOf(ChunkReader.BadChunkException.class);
    }
}
