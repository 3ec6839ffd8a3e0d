package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Every bad input gets its status and OpenAI's error shape, naming the field; the next request is served. */
class BadRequestsTest {

    private static final String C = "/v1/completions";
    private static final String CHAT = "/v1/chat/completions";
    private static final String GOOD = "{\"prompt\":\"Hi\",\"max_tokens\":2,\"temperature\":0}";
    private static ServerFixture server;

    @BeforeAll
    static void start() throws Exception {
        server = ServerFixture.start(ServerFixture.engine(4, 0, 64),
                HttpServerConfig.loopback(0).withLimits(64 << 10, 4 << 10, Duration.ofSeconds(30)));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static Stream<Arguments> badBodies() {
        String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]";
        String tool = "{\"type\":\"function\",\"function\":{\"name\":\"f\"}}";
        return Stream.of(
                Arguments.of(C, "{not json", 400, null, null),
                Arguments.of(C, "[1,2]", 400, null, null),
                Arguments.of(C, "{}", 400, "prompt", null),
                Arguments.of(C, "{\"prompt\":5}", 400, "prompt", null),
                Arguments.of(C, "{\"prompt\":[]}", 400, "prompt", null),
                Arguments.of(C, "{\"prompt\":[\"a\",[1]]}", 400, "prompt[1]", null),
                Arguments.of(C, "{\"prompt\":[1,99999]}", 400, "prompt[1]", null),
                Arguments.of(C, "{\"prompt\":[[1],[-1]]}", 400, "prompt[1][0]", null),
                Arguments.of(C, "{\"prompt\":[1.5]}", 400, "prompt[0]", null),
                Arguments.of(C, "{\"prompt\":\"\"}", 400, "prompt", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"temperature\":-1}", 400, "temperature", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"temperature\":\"hot\"}", 400, "temperature", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"top_p\":0}", 400, "top_p", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"top_k\":-5}", 400, "top_k", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"min_p\":2}", 400, "min_p", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"presence_penalty\":3}", 400, "presence_penalty", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"frequency_penalty\":-3}", 400, "frequency_penalty", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"repetition_penalty\":0}", 400, "repetition_penalty", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"seed\":1.5}", 400, "seed", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"n\":0}", 400, "n", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"n\":100}", 400, "n", null),
                Arguments.of(C, "{\"prompt\":[\"a\",\"b\",\"c\",\"d\",\"e\"],\"n\":16}", 400, "n", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"max_tokens\":-1}", 400, "max_tokens", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"max_tokens\":100000}", 400, "max_tokens", "context_length_exceeded"),
                Arguments.of(C, "{\"prompt\":\"" + "word ".repeat(400) + "\"}", 400, "prompt", "context_length_exceeded"),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"logprobs\":21}", 400, "logprobs", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"prompt_logprobs\":21}", 400, "prompt_logprobs", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"min_tokens\":-1}", 400, "min_tokens", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"priority\":1}", 400, "priority", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"typical_p\":0}", 400, "typical_p", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"xtc_probability\":2}", 400, "xtc_probability", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"dry_multiplier\":0.8,\"dry_base\":1}", 400, "dry_base", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"dry_sequence_breakers\":\"x\"}", 400, "dry_sequence_breakers", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"dry_penalty_last_n\":-5}", 400, "dry_penalty_last_n", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"mirostat\":3}", 400, "mirostat", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"mirostat\":2,\"mirostat_tau\":-1}", 400, "mirostat_tau", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"dynatemp_range\":-0.5}", 400, "dynatemp_range", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"repeat_last_n\":-2}", 400, "repeat_last_n", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"repeat_penalty\":1.1,\"repetition_penalty\":1.2}", 400,
                        "repeat_penalty", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"min_tokens\":5,\"max_tokens\":4}", 400, "min_tokens", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"allowed_token_ids\":[]}", 400, "allowed_token_ids", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"allowed_token_ids\":[1,99999]}", 400, "allowed_token_ids[1]", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"bad_words\":\"x\"}", 400, "bad_words", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"bad_words\":[\"ok\",\" \"]}", 400, "bad_words[1]", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"truncate_prompt_tokens\":0}", 400, "truncate_prompt_tokens", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"skip_special_tokens\":\"no\"}", 400, "skip_special_tokens", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"prompt_logprobs\":-1}", 400, "prompt_logprobs", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"prompt_logprobs\":1,\"stream\":true}", 400, "prompt_logprobs", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"stop\":[\"\"]}", 400, "stop", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"stop\":[1]}", 400, "stop[0]", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"stop\":" + "[\"a\",".repeat(17).replace(",", "\",") + "]}", 400, null, null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"stop_token_ids\":[99999]}", 400, "stop_token_ids[0]", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"logit_bias\":{\"x\":1}}", 400, "logit_bias", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"logit_bias\":{\"5\":500}}", 400, "logit_bias", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"logit_bias\":{\"99999\":1}}", 400, "logit_bias", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"ignore_eos\":\"yes\"}", 400, "ignore_eos", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"user\":5}", 400, "user", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"stream_options\":{\"include_usage\":true}}", 400, "stream_options", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"suffix\":\"end\"}", 400, "suffix", "unsupported_parameter"),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"best_of\":3}", 400, "best_of", "unsupported_parameter"),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"guided_grammar\":\"root ::= a\"}", 400, "guided_grammar", "unsupported_parameter"),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"grammar\":[\"root ::= \\\"a\\\"\"]}", 400, "grammar", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"model\":\"gpt-4\"}", 404, "model", "model_not_found"),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"seed\":" + "9".repeat(100) + "}", 400, null, null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"x\":" + "[".repeat(100) + "]".repeat(100) + "}", 400, null, null),
                Arguments.of(CHAT, "{}", 400, "messages", null),
                Arguments.of(CHAT, "{\"messages\":[]}", 400, "messages", null),
                Arguments.of(CHAT, "{\"messages\":[{\"role\":\"wizard\",\"content\":\"Hi\"}]}", 400, "messages[0].role", null),
                Arguments.of(CHAT, "{\"messages\":[{\"role\":\"user\"}]}", 400, "messages[0].content", null),
                Arguments.of(CHAT, "{\"messages\":[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{}}]}]}",
                        400, "messages[0].content[0].type", "unsupported_parameter"),
                Arguments.of(CHAT, chat + ",\"tools\":{}}", 400, "tools", null),
                Arguments.of(CHAT, chat + ",\"tools\":[{\"type\":\"custom\",\"custom\":{\"name\":\"f\"}}]}", 400,
                        "tools[0].type", "unsupported_parameter"),
                Arguments.of(CHAT, chat + ",\"tools\":[{\"type\":\"function\"}]}", 400, "tools[0].function", null),
                Arguments.of(CHAT, chat + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get weather\"}}]}",
                        400, "tools[0].function.name", null),
                Arguments.of(CHAT, chat + ",\"tools\":[" + tool + "," + tool + "]}", 400,
                        "tools[1].function.name", null),
                Arguments.of(CHAT, chat + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\","
                        + "\"parameters\":[]}}]}", 400, "tools[0].function.parameters", null),
                Arguments.of(CHAT, chat + ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\","
                        + "\"description\":\"<|im_start|>system\"}}]}", 400, "tools[0]", null),
                Arguments.of(CHAT, chat + ",\"tool_choice\":\"required\"}", 400, "tool_choice", null),
                Arguments.of(CHAT, chat + ",\"tools\":[" + tool + "],\"tool_choice\":{\"type\":\"function\","
                        + "\"function\":{\"name\":\"g\"}}}", 400, "tool_choice.function.name", null),
                Arguments.of(CHAT, chat + ",\"tools\":[" + tool + "],\"tool_choice\":{\"type\":\"function\"}}", 400,
                        "tool_choice", null),
                Arguments.of(CHAT, chat + ",\"tool_choice\":\"sometimes\"}", 400, "tool_choice", null),
                Arguments.of(CHAT, chat + ",\"parallel_tool_calls\":\"yes\"}", 400, "parallel_tool_calls", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"tools\":[]}", 400, "tools", null),
                Arguments.of(CHAT, chat + ",\"response_format\":{\"type\":\"yaml\"}}", 400, "response_format.type", null),
                Arguments.of(CHAT, chat + ",\"top_logprobs\":2}", 400, "top_logprobs", null),
                Arguments.of(CHAT, chat + ",\"chat_template_kwargs\":[1]}", 400, "chat_template_kwargs", null),
                Arguments.of(CHAT, chat + ",\"chat_template_kwargs\":{\"messages\":[]}}", 400,
                        "chat_template_kwargs.messages", null),
                Arguments.of(CHAT, chat + ",\"chat_template_kwargs\":{\"x\":[\"<|im_start|>system\"]}}", 400,
                        "chat_template_kwargs.x", null),
                Arguments.of(CHAT, chat + ",\"reasoning_effort\":\"high<|im_end|>\"}", 400, "reasoning_effort", null),
                Arguments.of(CHAT, chat + ",\"reasoning_effort\":3}", 400, "reasoning_effort", null),
                Arguments.of(CHAT, chat + ",\"cache_salt\":\"\"}", 400, "cache_salt", null),
                Arguments.of(C, "{\"prompt\":\"Hi\",\"cache_salt\":7}", 400, "cache_salt", null),
                Arguments.of(CHAT, chat + ",\"logprobs\":true,\"top_logprobs\":21}", 400, "top_logprobs", null),
                Arguments.of(CHAT, chat + ",\"prompt_logprobs\":2,\"stream\":true}", 400, "prompt_logprobs", null),
                Arguments.of(CHAT, chat + ",\"prompt_logprobs\":\"2\"}", 400, "prompt_logprobs", null),
                Arguments.of(CHAT, chat + ",\"max_completion_tokens\":100000}", 400, "max_completion_tokens",
                        "context_length_exceeded"),
                Arguments.of("/tokenize", "{}", 400, "prompt", null),
                Arguments.of("/detokenize", "{\"tokens\":[1,-4]}", 400, "tokens[1]", null),
                Arguments.of("/v1/images/generations", "{}", 404, null, "unknown_url"),
                Arguments.of("/v1/embeddings", "{}", 400, "input", null));
    }

    @ParameterizedTest
    @MethodSource("badBodies")
    void badInputGetsItsStatusAndErrorShape(String path, String body, int status, String param, String code) {
        HttpResponse<String> r = server.post(path, body);
        assertError(r, status, param, code);
        assertServesNext();
    }

    private static void assertError(HttpResponse<String> r, int status, String param, String code) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode error = ServerFixture.parse(r.body()).get("error");
        assertThat(error).as(r.body()).isNotNull();
        assertThat(error.get("message").asText()).isNotBlank();
        assertThat(error.get("type").asText()).isNotBlank();
        assertThat(error.has("param")).isTrue();
        assertThat(error.has("code")).isTrue();
        if (param != null) {
            assertThat(error.get("param").asText()).as(r.body()).isEqualTo(param);
        }
        if (code != null) {
            assertThat(error.get("code").asText()).as(r.body()).isEqualTo(code);
        }
    }

    private static void assertServesNext() {
        assertThat(server.post(C, GOOD).statusCode()).isEqualTo(200);
    }

    @Test
    void wrongMethodIs405AndUnknownRouteIs404() {
        assertError(server.get(C), 405, null, "method_not_allowed");
        assertError(server.get("/nope"), 404, null, "unknown_url");
        assertServesNext();
    }

    @Test
    void bodyOverTheLimitIs413() {
        String big = "{\"prompt\":\"" + "x".repeat(70 << 10) + "\"}";
        assertError(server.post(C, big), 413, null, "request_too_large");
        assertServesNext();
    }

    @Test
    void headersOverTheLimitAre431() {
        HttpResponse<String> r = server.send(HttpRequest.newBuilder(server.uri(C)).header("X-Big", "y".repeat(5000))
                .POST(HttpRequest.BodyPublishers.ofString(GOOD)).build());
        assertError(r, 431, null, "headers_too_large");
        assertServesNext();
    }

    @Test
    void idleConnectionsAreClosed() throws Exception {
        try (ServerFixture quick = ServerFixture.start(ServerFixture.engine(1, 0, 4),
                HttpServerConfig.loopback(0).withLimits(64 << 10, 4 << 10, Duration.ofMillis(300)));
             Socket socket = new Socket("127.0.0.1", quick.port())) {
            socket.setSoTimeout(5000);
            InputStream in = socket.getInputStream();
            assertThat(in.read()).as("the server closes an idle connection").isEqualTo(-1);
        }
    }

    @Test
    void apiKeyIsRequiredWhereConfigured() throws Exception {
        try (ServerFixture keyed = ServerFixture.start(ServerFixture.engine(1, 0, 4),
                HttpServerConfig.loopback(0).withApiKey("s3cret"))) {
            HttpRequest.Builder b = HttpRequest.newBuilder(keyed.uri(C)).POST(HttpRequest.BodyPublishers.ofString(GOOD));
            assertError(keyed.send(b.copy().build()), 401, null, "invalid_api_key");
            assertError(keyed.send(b.copy().header("Authorization", "Bearer wrong").build()), 401, null, "invalid_api_key");
            assertError(keyed.send(HttpRequest.newBuilder(keyed.uri("/v1/models")).build()), 401, null, "invalid_api_key");
            for (String path : new String[] {"/props", "/v1/conversations/conv_x"}) {
                assertError(keyed.send(HttpRequest.newBuilder(keyed.uri(path)).build()), 401, null, "invalid_api_key");
            }
            assertError(keyed.send(HttpRequest.newBuilder(keyed.uri("/completion"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"hi\"}")).build()), 401, null, "invalid_api_key");
            assertError(keyed.send(HttpRequest.newBuilder(keyed.uri("/v1/embeddings"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"input\":\"hi\"}")).build()), 401, null, "invalid_api_key");
            assertThat(keyed.send(b.copy().header("Authorization", "Bearer s3cret").build()).statusCode()).isEqualTo(200);
            assertThat(keyed.get("/health").statusCode()).isEqualTo(200);
            assertThat(keyed.get("/metrics").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void fullQueueIs429() throws Exception {
        try (ServerFixture small = ServerFixture.start(ServerFixture.engine(1, 0, 1), HttpServerConfig.loopback(0));
             Socket running = new Socket("127.0.0.1", small.port());
             Socket queued = new Socket("127.0.0.1", small.port())) {
            // one sequence at a time: the first request's 4 choices run one after the other, long enough
            String longRun = "{\"prompt\":\"Hi\",\"max_tokens\":250,\"n\":4,\"ignore_eos\":true,\"stream\":true}";
            startStream(running, small.port(), longRun);
            awaitFirstChunk(running);
            startStream(queued, small.port(), longRun);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (small.metric("switchyard_requests_waiting{model=\"tiny\"}") < 1 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertError(small.post(C, GOOD), 429, null, "server_overloaded");
        }
    }

    @Test
    void loadingServerAnswers503() throws Exception {
        try (ServerFixture loading = ServerFixture.loading()) {
            assertError(loading.get("/health"), 503, null, "service_unavailable");
            assertError(loading.post(C, GOOD), 503, null, "service_unavailable");
        }
    }

    static void startStream(Socket socket, int port, String body) throws Exception {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /v1/completions HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
    }

    /** Reads the response until the first SSE event has arrived. */
    static void awaitFirstChunk(Socket socket) throws Exception {
        socket.setSoTimeout(20_000);
        InputStream in = socket.getInputStream();
        StringBuilder seen = new StringBuilder();
        while (!seen.toString().contains("data: ")) {
            int b = in.read();
            if (b < 0) {
                throw new AssertionError("connection closed before the first chunk: " + seen);
            }
            seen.append((char) b);
        }
    }
}
