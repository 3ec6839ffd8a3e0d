package dev.switchyard.server.grpc;

import static dev.switchyard.server.ThinkingModelFile.MAX_TOKENS;
import static dev.switchyard.server.ThinkingModelFile.MESSAGES_JSON;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.proto.v1.ChoiceResult;
import dev.switchyard.proto.v1.GenerateRequest;
import dev.switchyard.proto.v1.GenerateResponse;
import dev.switchyard.proto.v1.ReasoningFormat;
import dev.switchyard.proto.v1.SamplingParams;
import dev.switchyard.server.ThinkingModelFile;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Generate with chat messages sets the reasoning apart in {@code reasoning_text}, as the HTTP API does. */
class GrpcReasoningTest {

    private static GrpcFixture server;

    @BeforeAll
    static void start() throws Exception {
        server = GrpcFixture.start(ThinkingModelFile.path());
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static GenerateRequest.Builder chat() {
        return GrpcFixture.userChat(ThinkingModelFile.QUESTION)
                .setSampling(SamplingParams.newBuilder().setTemperature(0).setMaxTokens(MAX_TOKENS).setIgnoreEos(true));
    }

    private static JsonNode httpMessage() {
        return server.httpPost("/v1/chat/completions", "{\"messages\":" + MESSAGES_JSON + ",\"max_tokens\":" + MAX_TOKENS
                + ",\"temperature\":0,\"ignore_eos\":true}").at("/choices/0/message");
    }

    @Test
    void chatReplyReasoningComesApartAsOverHttp() {
        JsonNode http = httpMessage();
        assertThat(http.get("reasoning_content").asText()).isNotEmpty();

        ChoiceResult unary = server.blocking().generate(chat().setUnary(true).build()).next().getComplete().getChoices(0);
        assertThat(unary.getReasoningText()).isEqualTo(http.get("reasoning_content").asText());
        assertThat(unary.getText()).isEqualTo(http.get("content").asText());
        assertThat(unary.getTokenIdsCount()).isEqualTo(MAX_TOKENS);

        List<GenerateResponse> streamed = new ArrayList<>();
        server.blocking().generate(chat().build()).forEachRemaining(streamed::add);
        StringBuilder reasoning = new StringBuilder();
        StringBuilder text = new StringBuilder();
        streamed.stream().filter(GenerateResponse::hasChunk).map(GenerateResponse::getChunk).forEach(c -> {
            reasoning.append(c.getReasoningText());
            text.append(c.getText());
        });
        assertThat(reasoning.toString()).isEqualTo(unary.getReasoningText());
        assertThat(text.toString()).isEqualTo(unary.getText());
    }

    @Test
    void aThinkingTokenBudgetHoldsAsOverHttp() {
        JsonNode http = server.httpPost("/v1/chat/completions", "{\"messages\":" + MESSAGES_JSON + ",\"max_tokens\":"
                + MAX_TOKENS + ",\"temperature\":0,\"ignore_eos\":true,\"thinking_token_budget\":2}")
                .at("/choices/0/message");
        ChoiceResult budgeted = server.blocking().generate(chat().setUnary(true).setThinkingTokenBudget(2).build()).next()
                .getComplete().getChoices(0);
        assertThat(budgeted.getReasoningText()).isEqualTo(http.get("reasoning_content").asText());
        assertThat(budgeted.getText()).isEqualTo(http.get("content").asText());
        assertThat(budgeted.getReasoningText().length()).isLessThan(httpMessage().get("reasoning_content").asText().length());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> server.blocking().generate(chat().setUnary(true)
                        .setThinkingTokenBudget(-3).build()).next())
                .isInstanceOfSatisfying(io.grpc.StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("thinking_token_budget");
                });
    }

    @Test
    void reasoningFormatNoneReturnsTheReplyAsGenerated() {
        ChoiceResult none = server.blocking().generate(chat().setUnary(true)
                .setReasoningFormat(ReasoningFormat.REASONING_FORMAT_NONE).build()).next().getComplete().getChoices(0);
        JsonNode http = httpMessage();
        assertThat(none.getReasoningText()).isEmpty();
        assertThat(none.getText()).contains("</think>").contains(http.get("content").asText())
                .contains(http.get("reasoning_content").asText());
    }
}
