package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.switchyard.server.ToolCallingModelFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The official Node SDKs (the versions pinned in {@code src/test/sdk/package.json}) against a real
 * server. The openai SDK: listing models, completions and chat, streamed and not, the SDK's stream
 * helper, seeded sampling, structured output, tool calls (whole, joined from a stream by the SDK's
 * helper, sent back in the next turn, and forced by a named tool_choice), the Responses API (whole,
 * rebuilt from its events by the SDK's stream helper, a function call and its output sent back),
 * and its typed errors (unknown model, validation, unsupported field, a stored response asked for,
 * context length, wrong API key); the checks are in {@code src/test/sdk/openai_sdk_check.mjs}. Its
 * version 6, for the Conversations API that version 4 lacks: conversations and their items, and
 * responses made in one ({@code openai_conversations_check.mjs}); and the Files and Batch APIs: an
 * input uploaded, a batch run and its results read, batches listed and cancelled, files deleted
 * ({@code openai_batches_check.mjs}). The
 * Anthropic SDK: messages whole, through its stream helper and as raw events, stop sequences,
 * count_tokens, a prefill, tool use (whole, streamed, its result sent back, forced), its typed
 * errors, and message batches (made, polled, their results read through {@code results_url}, listed,
 * deleted, cancelled); in {@code src/test/sdk/anthropic_sdk_check.mjs}.
 *
 * <p>Needs Node.js and the SDKs installed next to the scripts ({@code ./switchyard test} runs
 * {@code npm ci} there when npm is present); skipped with the reason otherwise.
 */
class OfficialNodeSdksTest {

    private static final Path SDK_DIR = Path.of("src/test/sdk");
    private static final String KEY = "sk-sdk-check";

    @Test
    void officialOpenAiSdkWorksAgainstTheServer() throws Exception {
        assertSdkChecksPass("openai", "openai_sdk_check.mjs", "/v1", 26);
    }

    @Test
    void officialOpenAiSdkSixKeepsConversations() throws Exception {
        assertSdkChecksPass("openai-v6", "openai_conversations_check.mjs", "/v1", 5);
    }

    @Test
    void officialOpenAiSdkSixRunsBatches() throws Exception {
        assertSdkChecksPass("openai-v6", "openai_batches_check.mjs", "/v1", 5);
    }

    @Test
    void officialAnthropicSdkWorksAgainstTheServer() throws Exception {
        assertSdkChecksPass("@anthropic-ai/sdk", "anthropic_sdk_check.mjs", "", 13);
    }

    /**
     * Runs {@code script} against a server requiring {@link #KEY} and a tool-calling one, the SDK's
     * base URLs being theirs plus {@code path}; it must print {@code checks} "ok" lines and "all ok".
     */
    private static void assertSdkChecksPass(String sdk, String script, String path, int checks) throws Exception {
        assumeTrue(Files.isRegularFile(SDK_DIR.resolve("node_modules/" + sdk + "/package.json")),
                "the " + sdk + " Node SDK is not installed in " + SDK_DIR.toAbsolutePath()
                        + " (npm ci there; ./switchyard test does it when npm is present)");
        assumeTrue(nodeRuns(), "node is not on PATH");
        try (ServerFixture server = ServerFixture.start(ServerFixture.engine(8, 0, 64),
                HttpServerConfig.loopback(0).withApiKey(KEY));
             ServerFixture tools = ServerFixture.serving(ToolCallingModelFile.path(), null)) {
            Process node = new ProcessBuilder("node", script,
                    "http://127.0.0.1:" + server.port() + path, ServerFixture.MODEL_NAME, KEY,
                    "http://127.0.0.1:" + tools.port() + path, ServerFixture.MODEL_NAME,
                    String.valueOf(ToolCallingModelFile.tokenAfterTheCall()))
                    .directory(SDK_DIR.toFile()).redirectErrorStream(true).start();
            node.getOutputStream().close();
            boolean done = node.waitFor(120, TimeUnit.SECONDS);
            if (!done) {
                node.destroyForcibly();
            }
            String output = new String(node.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(done).as("the SDK check finished within 120 s; output so far:%n%s", output).isTrue();
            assertThat(node.exitValue()).as(output).isZero();
            assertThat(output.lines().filter(l -> l.startsWith("ok ")).toList()).as(output).hasSize(checks);
            assertThat(output.lines().toList()).as(output).endsWith("all ok");
        }
    }

    private static boolean nodeRuns() {
        try {
            Process p = new ProcessBuilder(List.of("node", "--version")).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
