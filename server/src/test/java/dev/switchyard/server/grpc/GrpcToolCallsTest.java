package dev.switchyard.server.grpc;

import static dev.switchyard.server.ToolCallingModelFile.MAX_TOKENS;
import static dev.switchyard.server.ToolCallingModelFile.MESSAGES_JSON;
import static dev.switchyard.server.ToolCallingModelFile.TOOLS_JSON;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.proto.v1.ChatMessage;
import dev.switchyard.proto.v1.ChatMessages;
import dev.switchyard.proto.v1.ChoiceResult;
import dev.switchyard.proto.v1.Choices;
import dev.switchyard.proto.v1.FinishReason;
import dev.switchyard.proto.v1.GenerateRequest;
import dev.switchyard.proto.v1.GenerateResponse;
import dev.switchyard.proto.v1.OutputFormat;
import dev.switchyard.proto.v1.SamplingParams;
import dev.switchyard.proto.v1.Tool;
import dev.switchyard.proto.v1.ToolCall;
import dev.switchyard.proto.v1.ToolChoice;
import dev.switchyard.proto.v1.ToolChoiceMode;
import dev.switchyard.server.ToolCallingModelFile;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Generate with chat messages and tools returns the calls apart from the text, as the HTTP API does;
 * an output format holds the reply as response_format does.
 */
class GrpcToolCallsTest {

    private static GrpcFixture server;

    @BeforeAll
    static void start() throws Exception {
        server = GrpcFixture.start(ToolCallingModelFile.path());
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static GenerateRequest.Builder chat() {
        return GrpcFixture.userChat(ToolCallingModelFile.QUESTION)
                .addTools(Tool.newBuilder().setName("get_weather").setDescription("The weather now in a city")
                        .setParametersJson("{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}},"
                                + "\"required\":[\"city\"]}"))
                .setSampling(SamplingParams.newBuilder().setTemperature(0).setMaxTokens(MAX_TOKENS).setIgnoreEos(true)
                        .addStopTokenIds(ToolCallingModelFile.tokenAfterTheCall()));
    }

    private static JsonNode httpMessage() {
        return server.httpPost("/v1/chat/completions", "{\"messages\":" + MESSAGES_JSON + ",\"tools\":" + TOOLS_JSON
                + ",\"max_tokens\":" + MAX_TOKENS + ",\"temperature\":0,\"ignore_eos\":true,\"stop_token_ids\":["
                + ToolCallingModelFile.tokenAfterTheCall() + "]}").at("/choices/0/message");
    }

    private static void assertTheCall(ToolCall call, JsonNode http) {
        assertThat(call.getId()).startsWith("call_");
        assertThat(call.getName()).isEqualTo(http.at("/tool_calls/0/function/name").asText());
        assertThat(call.getArgumentsJson()).isEqualTo(http.at("/tool_calls/0/function/arguments").asText());
    }

    @Test
    void callsComeApartFromTheTextAsOverHttp() {
        JsonNode http = httpMessage();
        ChoiceResult unary = server.blocking().generate(chat().setUnary(true).build()).next().getComplete().getChoices(0);
        assertThat(unary.getToolCallsList()).hasSize(1);
        assertTheCall(unary.getToolCalls(0), http);
        assertThat(unary.getText()).isEqualTo(http.get("content").asText());
        assertThat(unary.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_TOOL_CALLS);

        List<GenerateResponse> streamed = new ArrayList<>();
        server.blocking().generate(chat().build()).forEachRemaining(streamed::add);
        List<ToolCall> calls = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        streamed.stream().filter(GenerateResponse::hasChunk).map(GenerateResponse::getChunk).forEach(c -> {
            calls.addAll(c.getToolCallsList());
            text.append(c.getText());
        });
        assertThat(calls).hasSize(1);
        assertTheCall(calls.getFirst(), http);
        assertThat(text.toString()).isEqualTo(unary.getText());
        assertThat(streamed.getLast().getComplete().getChoices(0).getFinishReason())
                .isEqualTo(FinishReason.FINISH_REASON_TOOL_CALLS);
    }

    @Test
    void aPastCallAndItsResultGoBackThroughTheTemplate() {
        GenerateRequest next = chat().setUnary(true).setMessages(ChatMessages.newBuilder()
                .addMessages(ChatMessage.newBuilder().setRole("user").setContent(ToolCallingModelFile.QUESTION))
                .addMessages(ChatMessage.newBuilder().setRole("assistant").addToolCalls(ToolCall.newBuilder()
                        .setId("call_1").setName("get_weather").setArgumentsJson("{\"city\": \"Paris\"}")))
                .addMessages(ChatMessage.newBuilder().setRole("tool").setToolCallId("call_1")
                        .setContent("18 C and sunny"))).build();
        GenerateResponse r = server.blocking().generate(next).next();
        int first = server.blocking().generate(chat().setUnary(true).build()).next().getComplete().getUsage()
                .getPromptTokens();
        assertThat(r.getComplete().getUsage().getPromptTokens()).isGreaterThan(first + 10);
    }

    @Test
    void badToolsAreInvalidArguments() {
        for (GenerateRequest bad : List.of(
                chat().addTools(Tool.newBuilder().setName("get_weather")).build(),
                chat().addTools(Tool.newBuilder().setName("no spaces")).build(),
                chat().addTools(Tool.newBuilder().setName("f").setParametersJson("[1]")).build(),
                chat().addTools(Tool.newBuilder().setName("g").setParametersJson("{")).build(),
                GenerateRequest.newBuilder().setText("Hi").addTools(Tool.newBuilder().setName("f")).build())) {
            assertThatThrownBy(() -> server.blocking().generate(bad).next())
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).contains("tools");
                    });
        }
    }

    @Test
    void anOutputFormatHoldsTheReplyAsResponseFormatDoes() {
        GenerateRequest json = GrpcFixture.userChat(ToolCallingModelFile.QUESTION).setUnary(true)
                .setOutputFormat(OutputFormat.newBuilder().setJsonSchema("{\"type\":\"object\",\"properties\":"
                        + "{\"sunny\":{\"type\":\"boolean\"}},\"required\":[\"sunny\"],\"additionalProperties\":false}"))
                .setSampling(SamplingParams.newBuilder().setTemperature(0).setMaxTokens(200)).build();
        ChoiceResult r = server.blocking().generate(json).next().getComplete().getChoices(0);
        assertThat(r.getText()).matches("\\s*\\{\\s*\"sunny\"\\s*:\\s*(true|false)\\s*}");
        assertThat(r.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_STOP);
        for (GenerateRequest bad : List.of(
                json.toBuilder().setOutputFormat(OutputFormat.newBuilder().setJsonSchema("{\"type\":\"string\"}")).build(),
                json.toBuilder().setOutputFormat(OutputFormat.newBuilder().setJsonSchema("{")).build(),
                chat().setOutputFormat(OutputFormat.newBuilder().setJsonObject(true)).build())) {
            assertThatThrownBy(() -> server.blocking().generate(bad).next())
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).contains("output_format");
                    });
        }
    }

    @Test
    void choiceRegexAndGrammarOutputFormatsHoldTheReply() {
        GenerateRequest choice = GrpcFixture.userChat(ToolCallingModelFile.QUESTION).setUnary(true)
                .setOutputFormat(OutputFormat.newBuilder().setChoice(Choices.newBuilder()
                        .addTexts("sunny").addTexts("rain, later").addTexts("snow")))
                .setSampling(SamplingParams.newBuilder().setTemperature(1.2f).setSeed(4).setN(4).setMaxTokens(50))
                .build();
        for (ChoiceResult r : server.blocking().generate(choice).next().getComplete().getChoicesList()) {
            assertThat(r.getText()).isIn("sunny", "rain, later", "snow");
            assertThat(r.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_STOP);
        }
        GenerateRequest regex = choice.toBuilder().setOutputFormat(OutputFormat.newBuilder().setRegex("[0-9]{2}:[0-9]{2}"))
                .build();
        for (ChoiceResult r : server.blocking().generate(regex).next().getComplete().getChoicesList()) {
            assertThat(r.getText()).matches("[0-9]{2}:[0-9]{2}");
            assertThat(r.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_STOP);
        }
        GenerateRequest grammar = choice.toBuilder().setOutputFormat(OutputFormat.newBuilder().setGrammar(
                "root ::= hour \":\" [0-5] [0-9]\nhour ::= [01] [0-9] | \"2\" [0-3]")).build();
        for (ChoiceResult r : server.blocking().generate(grammar).next().getComplete().getChoicesList()) {
            assertThat(r.getText()).matches("([01][0-9]|2[0-3]):[0-5][0-9]");
            assertThat(r.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_STOP);
        }
        GenerateRequest undefined = choice.toBuilder().setOutputFormat(OutputFormat.newBuilder().setGrammar(
                "root ::= hour")).build();
        assertThatThrownBy(() -> server.blocking().generate(undefined).next())
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("output_format.grammar")
                            .contains("the rule 'hour' is used but never defined");
                });
        GenerateRequest prefix = choice.toBuilder().setOutputFormat(OutputFormat.newBuilder().setChoice(
                Choices.newBuilder().addTexts("rain").addTexts("rain, later"))).build();
        assertThatThrownBy(() -> server.blocking().generate(prefix).next())
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("output_format.choice.texts")
                            .contains("could not end");
                });
    }

    @Test
    void aNamedToolChoiceMakesTheReplyThatCall() throws Exception {
        GenerateRequest named = chat().setUnary(true)
                .addTools(Tool.newBuilder().setName("set_unit").setParametersJson("{\"type\":\"object\",\"properties\":"
                        + "{\"unit\":{\"enum\":[\"celsius\",\"fahrenheit\"]}},\"required\":[\"unit\"],"
                        + "\"additionalProperties\":false}"))
                .setToolChoice(ToolChoice.newBuilder().setFunction("set_unit"))
                .setSampling(SamplingParams.newBuilder().setTemperature(0).setMaxTokens(200)).build();
        ChoiceResult r = server.blocking().generate(named).next().getComplete().getChoices(0);
        assertThat(r.getToolCallsList()).hasSize(1);
        assertThat(r.getToolCalls(0).getName()).isEqualTo("set_unit");
        assertThat(GrpcFixture.JSON.readTree(r.getToolCalls(0).getArgumentsJson()).get("unit").asText())
                .isIn("celsius", "fahrenheit");
        assertThat(r.getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_TOOL_CALLS);
        for (GenerateRequest bad : List.of(
                named.toBuilder().setToolChoice(ToolChoice.newBuilder().setFunction("missing")).build(),
                named.toBuilder().clearTools().setToolChoice(ToolChoice.newBuilder()
                        .setMode(ToolChoiceMode.TOOL_CHOICE_MODE_REQUIRED)).build())) {
            assertThatThrownBy(() -> server.blocking().generate(bad).next())
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                        assertThat(e.getStatus().getDescription()).contains("tool_choice");
                    });
        }
    }
}
