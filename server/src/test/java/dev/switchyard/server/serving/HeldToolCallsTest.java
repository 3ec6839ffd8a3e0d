package dev.switchyard.server.serving;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.chat.ChatMessage;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.moe.DispatchConfig;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.engine.structured.JsonSchema;
import dev.switchyard.engine.structured.JsonSchemaCompiler;
import dev.switchyard.engine.tools.ToolSchemas;
import dev.switchyard.server.ToolCallingModelFile;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Under {@code tool_choice} auto, a call the reply opens is held to the tool's schema while the text
 * around it runs free: the model whose greedy reply calls {@code get_weather(city="Paris")}
 * ({@link ToolCallingModelFile}) is held here to a schema that only takes a unit, and its call comes
 * back with one, where unheld it came back with the city. The prompt is the same (the schema held
 * is set on the generation, not shown to the model), so every token up to the call's opening is too.
 */
class HeldToolCallsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private record Heard(String content, List<ChoiceToolCall> calls, FinishReason finish, List<Integer> ids) {
    }

    @Test
    void aCallOpenedUnderAutoIsHeldToTheSchemaAndTheTextAroundItRunsFree() throws Exception {
        DispatchConfig dispatch = DispatchConfig.defaults(true);
        EngineConfig engine = new EngineConfig(1, 2, EngineConfig.defaultBatchTokens(2, dispatch), 0, 4, Duration.ZERO,
                dispatch);
        try (ServedModel served = ServedModel.open(ToolCallingModelFile.path(), "held", engine)) {
            int[] prompt = served.prompts().chat(List.of(ChatMessage.user(ToolCallingModelFile.QUESTION)),
                    ToolCallingModelFile.tools(), Map.of(), "messages");
            ToolSchemas schemas = ToolSchemas.of(ToolCallingModelFile.tools());
            Heard free = generate(served, prompt, new ToolUse(schemas, true));
            JsonSchema unitOnly = JsonSchemaCompiler.compile(JSON.readTree("{\"type\":\"object\",\"properties\":{\"unit\":"
                    + "{\"enum\":[\"celsius\",\"fahrenheit\"]}},\"required\":[\"unit\"],\"additionalProperties\":false}"));
            Heard held = generate(served, prompt, new ToolUse(schemas, true,
                    new ToolUse.HeldCalls(List.of("get_weather"), List.of(unitOnly)), false));
            assertThat(held.calls()).hasSize(1);
            assertThat(held.calls().getFirst().name()).isEqualTo("get_weather");
            assertThat(JSON.readTree(held.calls().getFirst().arguments()).get("unit").asText())
                    .isIn("celsius", "fahrenheit");
            int opened = 0;
            while (!served.tokenizer().decode(new int[] {free.ids().get(opened)}).startsWith("<tool_call>")) {
                opened++;
            }
            String before = served.tokenizer().decode(free.ids().subList(0, opened).stream().mapToInt(Integer::intValue)
                    .toArray());
            assertThat(opened).isPositive();
            assertThat(held.ids().subList(0, opened + 1)).as("up to the call's opening, the model's own tokens")
                    .isEqualTo(free.ids().subList(0, opened + 1));
            assertThat(held.content()).startsWith(before);
        }
    }

    private static Heard generate(ServedModel served, int[] prompt, ToolUse tools) throws InterruptedException {
        StringBuilder content = new StringBuilder();
        List<Integer> ids = new ArrayList<>();
        List<ChoiceToolCall> calls = new ArrayList<>();
        FinishReason[] finish = new FinishReason[1];
        CountDownLatch done = new CountDownLatch(1);
        SamplingParams greedy = SamplingParams.builder().temperature(0).ignoreEos(true)
                .stopTokenIds(ToolCallingModelFile.tokenAfterTheCall()).build();
        served.generate(new GenerationSpec(List.of(prompt), null, 1, greedy, 200, List.of(), "messages", "max_tokens",
                false, null, tools, null), new GenerationListener() {
                    @Override
                    public void onToken(int index, int token, String reasoning, String text, TokenLogprob logprob) {
                        content.append(text);
                        ids.add(token);
                    }

                    @Override
                    public void onToolCalls(int index, List<ChoiceToolCall> made) {
                        calls.addAll(made);
                    }

                    @Override
                    public void onChoiceFinished(int index, FinishReason reason, String reasoning, String text) {
                        content.append(text);
                        finish[0] = reason;
                    }

                    @Override
                    public void onChoiceFailed(int index, RuntimeException error) {
                        content.append("failed: ").append(error.getMessage());
                    }

                    @Override
                    public void onComplete(Usage usage) {
                        done.countDown();
                    }
                });
        assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
        return new Heard(content.toString(), calls, finish[0], ids);
    }
}
