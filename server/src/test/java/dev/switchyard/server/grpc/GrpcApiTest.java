package dev.switchyard.server.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.proto.v1.ChatMessage;
import dev.switchyard.proto.v1.ChatMessages;
import dev.switchyard.proto.v1.ChoiceResult;
import dev.switchyard.proto.v1.Complete;
import dev.switchyard.proto.v1.DetokenizeRequest;
import dev.switchyard.proto.v1.EmbedInput;
import dev.switchyard.proto.v1.EmbedRequest;
import dev.switchyard.proto.v1.EmbedResponse;
import dev.switchyard.proto.v1.FinishReason;
import dev.switchyard.proto.v1.GenerateRequest;
import dev.switchyard.proto.v1.GenerateResponse;
import dev.switchyard.proto.v1.GenerationGrpc;
import dev.switchyard.proto.v1.GetModelInfoRequest;
import dev.switchyard.proto.v1.GetServerInfoRequest;
import dev.switchyard.proto.v1.ModelInfo;
import dev.switchyard.proto.v1.SamplingParams;
import dev.switchyard.proto.v1.TokenIds;
import dev.switchyard.proto.v1.TokenizeRequest;
import dev.switchyard.proto.v1.TokenizeResponse;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every RPC on a real Netty server with a real channel, checked against the HTTP API's answers. */
class GrpcApiTest {

    private static GrpcFixture server;

    @BeforeAll
    static void start() throws Exception {
        server = GrpcFixture.start();
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
    }

    private static GenerateRequest.Builder text(String prompt, SamplingParams.Builder sampling) {
        return GenerateRequest.newBuilder().setText(prompt).setSampling(sampling);
    }

    private static SamplingParams.Builder greedy(int maxTokens) {
        return SamplingParams.newBuilder().setTemperature(0).setMaxTokens(maxTokens).setIgnoreEos(true);
    }

    /** Streams a request; returns its responses, checking that exactly one complete comes last. */
    private static List<GenerateResponse> stream(GenerateRequest request) {
        List<GenerateResponse> all = new ArrayList<>();
        server.blocking().generate(request).forEachRemaining(all::add);
        assertThat(all.getLast().hasComplete()).as("last message is complete: %s", all.getLast()).isTrue();
        assertThat(all.stream().filter(GenerateResponse::hasComplete)).hasSize(1);
        return all;
    }

    private static String streamedText(List<GenerateResponse> responses, int index) {
        StringBuilder sb = new StringBuilder();
        responses.stream().filter(GenerateResponse::hasChunk).map(GenerateResponse::getChunk)
                .filter(c -> c.getIndex() == index).forEach(c -> sb.append(c.getText()));
        return sb.toString();
    }

    private static List<Integer> streamedTokens(List<GenerateResponse> responses, int index) {
        List<Integer> ids = new ArrayList<>();
        responses.stream().filter(GenerateResponse::hasChunk).map(GenerateResponse::getChunk)
                .filter(c -> c.getIndex() == index).forEach(c -> ids.addAll(c.getTokenIdsList()));
        return ids;
    }

    @Test
    void streamedGenerateEqualsTheHttpCompletion() {
        List<GenerateResponse> responses = stream(text("The switchyard", greedy(12)).setRequestId("r1").build());
        JsonNode http = server.httpPost("/v1/completions",
                "{\"prompt\":\"The switchyard\",\"max_tokens\":12,\"temperature\":0,\"ignore_eos\":true}");
        assertThat(streamedText(responses, 0)).isEqualTo(http.get("choices").get(0).get("text").asText());
        assertThat(streamedTokens(responses, 0)).hasSize(12);
        assertThat(responses).allSatisfy(r -> assertThat(r.getRequestId()).isEqualTo("r1"));
        Complete complete = responses.getLast().getComplete();
        assertThat(complete.getChoices(0).getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_LENGTH);
        assertThat(complete.getUsage().getPromptTokens()).isEqualTo(http.get("usage").get("prompt_tokens").asInt());
        assertThat(complete.getUsage().getCompletionTokens()).isEqualTo(12);
        assertThat(complete.getUsage().getTotalTokens()).isEqualTo(http.get("usage").get("total_tokens").asInt());
    }

    @Test
    void aPredictionChangesNoReplyAndItsKeptTokensAreCounted() {
        List<GenerateResponse> plain = stream(text("The switchyard", greedy(24)).build());
        String reply = streamedText(plain, 0);
        assertThat(plain.getLast().getComplete().getUsage().getAcceptedPredictionTokens()).isZero();
        List<GenerateResponse> predicted = stream(text("The switchyard", greedy(24)).setPrediction(reply).build());
        assertThat(streamedTokens(predicted, 0)).isEqualTo(streamedTokens(plain, 0));
        assertThat(predicted.getLast().getComplete().getUsage().getAcceptedPredictionTokens()).isPositive();
        assertThat(predicted.getLast().getComplete().getUsage().getCompletionTokens()).isEqualTo(24);
    }

    @Test
    void aRepeatedPromptReportsItsCachedTokensUnderItsSalt() {
        String prompt = "The yard keeps its salted trains apart. ".repeat(6);
        Complete first = stream(text(prompt, greedy(4)).setCacheSalt("grpc-a").build()).getLast().getComplete();
        Complete other = stream(text(prompt, greedy(4)).setCacheSalt("grpc-b").build()).getLast().getComplete();
        Complete again = stream(text(prompt, greedy(4)).setCacheSalt("grpc-a").build()).getLast().getComplete();
        assertThat(first.getUsage().getCachedTokens()).isZero();
        assertThat(other.getUsage().getCachedTokens()).as("another salt").isZero();
        assertThat(again.getUsage().getCachedTokens()).as("the same salt")
                .isEqualTo((again.getUsage().getPromptTokens() - 1) / 16 * 16).isPositive();
    }

    @Test
    void unaryWithNChoicesAndLogprobsEqualsStreamingAndSeedsChoiceIWithSeedPlusI() {
        SamplingParams.Builder sampled = SamplingParams.newBuilder().setTemperature(0.9).setTopP(0.95).setSeed(40)
                .setN(2).setMaxTokens(10).setIgnoreEos(true).setLogprobs(2);
        GenerateRequest request = text("Once upon", sampled).build();
        Iterator<GenerateResponse> unary = server.blocking().generate(request.toBuilder().setUnary(true).build());
        GenerateResponse only = unary.next();
        assertThat(unary.hasNext()).isFalse();
        assertThat(only.hasComplete()).isTrue();
        List<GenerateResponse> streamed = stream(request);
        for (int i = 0; i < 2; i++) {
            ChoiceResult choice = only.getComplete().getChoices(i);
            assertThat(choice.getIndex()).isEqualTo(i);
            assertThat(choice.getText()).isEqualTo(streamedText(streamed, i));
            assertThat(choice.getTokenIdsList()).isEqualTo(streamedTokens(streamed, i)).hasSize(10);
            assertThat(choice.getLogprobsList()).hasSize(10).allSatisfy(lp -> {
                assertThat(lp.getTopList()).hasSize(2);
                assertThat(lp.getLogprob()).isLessThanOrEqualTo(0);
            });
            JsonNode http = server.httpPost("/v1/completions", "{\"prompt\":\"Once upon\",\"max_tokens\":10,"
                    + "\"temperature\":0.9,\"top_p\":0.95,\"ignore_eos\":true,\"seed\":" + (40 + i) + "}");
            assertThat(choice.getText()).as("choice %d equals HTTP with seed %d", i, 40 + i)
                    .isEqualTo(http.get("choices").get(0).get("text").asText());
        }
    }

    @Test
    void chatMessagesAndTokenIdsMatchTheHttpApi() {
        GenerateRequest chat = GenerateRequest.newBuilder().setMessages(ChatMessages.newBuilder()
                        .addMessages(ChatMessage.newBuilder().setRole("system").setContent("Be brief."))
                        .addMessages(ChatMessage.newBuilder().setRole("user").setContent("Hello!")))
                .setSampling(greedy(8)).build();
        JsonNode http = server.httpPost("/v1/chat/completions", "{\"messages\":[{\"role\":\"system\",\"content\":"
                + "\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hello!\"}],\"max_tokens\":8,\"temperature\":0,"
                + "\"ignore_eos\":true}");
        assertThat(streamedText(stream(chat), 0))
                .isEqualTo(http.get("choices").get(0).get("message").get("content").asText());

        TokenizeResponse ids = server.blocking().tokenize(TokenizeRequest.newBuilder().setText("The switchyard").build());
        assertThat(ids.getCount()).isEqualTo(ids.getTokenIdsCount()).isPositive();
        assertThat(ids.getMaxModelLen()).isEqualTo(256);
        GenerateRequest byIds = GenerateRequest.newBuilder()
                .setTokenIds(TokenIds.newBuilder().addAllIds(ids.getTokenIdsList())).setSampling(greedy(12)).build();
        assertThat(streamedText(stream(byIds), 0))
                .isEqualTo(streamedText(stream(text("The switchyard", greedy(12)).build()), 0));
        String decoded = server.blocking().detokenize(DetokenizeRequest.newBuilder()
                .addAllTokenIds(ids.getTokenIdsList()).build()).getText();
        assertThat(decoded).endsWith("The switchyard");
    }

    @Test
    void textAndTokenIdsCanBeLeftOut() {
        List<GenerateResponse> r = stream(text("Hi", greedy(4)).setIncludeTokenIds(false).build());
        assertThat(streamedTokens(r, 0)).isEmpty();
        assertThat(streamedText(r, 0)).isNotEmpty();
        List<GenerateResponse> ids = stream(text("Hi", greedy(4)).setIncludeText(false).build());
        assertThat(streamedText(ids, 0)).isEmpty();
        assertThat(streamedTokens(ids, 0)).hasSize(4);
    }

    @Test
    void modelAndServerInfo() {
        ModelInfo info = server.blocking().getModelInfo(GetModelInfoRequest.getDefaultInstance());
        assertThat(info.getId()).isEqualTo("tiny");
        assertThat(info.getArchitecture()).isEqualTo("llama");
        assertThat(info.getContextLength()).isEqualTo(256);
        assertThat(info.getLayers()).isEqualTo(2);
        assertThat(info.getExperts()).isPositive();
        assertThat(info.getExpertsPerToken()).isPositive();
        assertThat(info.getWeightType()).isEqualTo("Q8_0");
        assertThat(info.getEmbeddingLength()).isEqualTo(server.httpPost("/v1/embeddings", "{\"input\":\"x\"}")
                .at("/data/0/embedding").size());
        assertThat(info.getPooling()).isEqualTo("last");
        var serverInfo = server.blocking().getServerInfo(GetServerInfoRequest.getDefaultInstance());
        assertThat(serverInfo.getVersion()).isEqualTo("test");
        assertThat(serverInfo.getMaxSequences()).isEqualTo(8);
        assertThat(serverInfo.getBackend()).isEqualTo("cpu");
        assertThat(serverInfo.getDraining()).isFalse();
    }

    @Test
    void promptLogprobsEqualTheHttpApisAndComeBeforeTheTokens() {
        SamplingParams.Builder scoring = greedy(3).setPromptLogprobs(2);
        GenerateRequest request = text("The switchyard sorts", scoring).build();
        List<GenerateResponse> streamed = stream(request);
        assertThat(streamed.getFirst().getChunk().getPromptLogprobsList()).as("the first chunk").isNotEmpty();
        assertThat(streamed.getFirst().getChunk().getTokenIdsList()).isEmpty();
        List<dev.switchyard.proto.v1.TokenLogprob> prompt = streamed.getFirst().getChunk().getPromptLogprobsList();
        GenerateResponse unary = server.blocking().generate(request.toBuilder().setUnary(true).build()).next();
        assertThat(unary.getComplete().getChoices(0).getPromptLogprobsList()).isEqualTo(prompt);
        JsonNode http = server.httpPost("/v1/completions", "{\"prompt\":\"The switchyard sorts\",\"max_tokens\":3,"
                + "\"temperature\":0,\"ignore_eos\":true,\"prompt_logprobs\":2}").at("/choices/0/prompt_logprobs");
        assertThat(prompt).hasSize(http.size() - 1); // HTTP's first entry is the first token's null
        for (int i = 0; i < prompt.size(); i++) {
            dev.switchyard.proto.v1.TokenLogprob lp = prompt.get(i);
            JsonNode own = http.get(i + 1).get(Integer.toString(lp.getTokenId()));
            assertThat(lp.getLogprob()).isEqualTo(own.get("logprob").asDouble());
            assertThat(lp.getRank()).isEqualTo(own.get("rank").asInt()).isPositive();
            assertThat(lp.getTopList()).hasSize(2);
        }
        // with nothing to generate, the prompt's scores are the whole answer
        GenerateResponse scoredOnly = server.blocking().generate(text("The switchyard sorts", greedy(0).setPromptLogprobs(2))
                .setUnary(true).build()).next();
        assertThat(scoredOnly.getComplete().getChoices(0).getPromptLogprobsList()).isEqualTo(prompt);
        assertThat(scoredOnly.getComplete().getChoices(0).getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_LENGTH);
        assertThat(scoredOnly.getComplete().getUsage().getCompletionTokens()).isZero();
    }

    @Test
    void vllmsSamplingExtrasEqualTheHttpApis() {
        SamplingParams.Builder extras = greedy(10).setTemperature(1.1).setSeed(9).addAllAllowedTokenIds(List.of(40, 41, 42))
                .setMinTokens(4).addBadWords("yard");
        List<Integer> grpc = streamedTokens(stream(text("The switchyard", extras).build()), 0);
        JsonNode http = server.httpPost("/v1/completions", "{\"prompt\":\"The switchyard\",\"max_tokens\":10,"
                + "\"temperature\":1.1,\"seed\":9,\"ignore_eos\":true,\"allowed_token_ids\":[40,41,42],\"min_tokens\":4,"
                + "\"bad_words\":[\"yard\"],\"logprobs\":0,\"return_tokens_as_token_ids\":true}");
        List<Integer> expected = new java.util.ArrayList<>();
        http.at("/choices/0/logprobs/tokens").forEach(t -> expected.add(Integer.parseInt(t.asText().substring(9))));
        assertThat(grpc).isEqualTo(expected).hasSize(10).allSatisfy(id -> assertThat(id).isBetween(40, 42));
        assertStatus(() -> stream(text("x", greedy(4).setMinTokens(5)).build()), Status.Code.INVALID_ARGUMENT,
                "sampling.min_tokens");
        assertStatus(() -> stream(text("x", greedy(4).addAllowedTokenIds(999_999)).build()), Status.Code.INVALID_ARGUMENT,
                "sampling.allowed_token_ids[0]");
        assertStatus(() -> stream(text("x", greedy(4).addBadWords(" ")).build()), Status.Code.INVALID_ARGUMENT,
                "sampling.bad_words[0]");
    }

    @Test
    void controlTokensTextComesBackOnlyWhenSpecialTokensAreNotSkipped() {
        int start = -1;
        for (JsonNode p : server.httpPost("/tokenize", "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"with_pieces\":true}").get("tokens")) {
            if (p.get("piece").asText().equals("<|im_start|>")) {
                start = p.get("id").asInt();
            }
        }
        assertThat(start).as("the chat template's opening control token").isNotNegative();
        SamplingParams.Builder forced = greedy(3).putLogitBias(start, 100);
        assertThat(streamedText(stream(text("The switchyard", forced).build()), 0)).isEmpty();
        assertThat(streamedText(stream(text("The switchyard", forced).setSkipSpecialTokens(true).build()), 0)).isEmpty();
        assertThat(streamedText(stream(text("The switchyard", forced).setSkipSpecialTokens(false).build()), 0))
                .isEqualTo("<|im_start|>".repeat(3));
    }

    @Test
    void embedEqualsTheHttpApisEmbeddings() {
        JsonNode http = server.httpPost("/v1/embeddings", "{\"input\":[\"The switchyard\",\"hello\"]}");
        JsonNode ids = server.httpPost("/tokenize", "{\"prompt\":\"The switchyard\"}").get("tokens");
        List<Integer> tokenIds = new ArrayList<>();
        ids.forEach(id -> tokenIds.add(id.asInt()));
        EmbedResponse r = server.blocking().embed(EmbedRequest.newBuilder()
                .addInputs(EmbedInput.newBuilder().setText("The switchyard"))
                .addInputs(EmbedInput.newBuilder().setText("hello"))
                .addInputs(EmbedInput.newBuilder().setTokenIds(TokenIds.newBuilder().addAllIds(tokenIds))).build());
        assertThat(r.getEmbeddingsCount()).isEqualTo(3);
        assertThat(r.getPooling()).isEqualTo("last");
        for (int i = 0; i < 3; i++) {
            JsonNode expected = http.at("/data/" + (i % 2) + "/embedding");
            List<Float> values = r.getEmbeddings(i).getValuesList();
            assertThat(values).hasSize(expected.size());
            for (int d = 0; d < values.size(); d++) {
                assertThat(values.get(d)).as("input %d value %d", i, d).isEqualTo(expected.get(d).floatValue());
            }
        }
        assertThat(r.getUsage().getPromptTokens()).isEqualTo(2 * ids.size()
                + server.httpPost("/tokenize", "{\"prompt\":\"hello\"}").get("tokens").size());
        EmbedResponse raw = server.blocking().embed(EmbedRequest.newBuilder().setNormalize(false)
                .addInputs(EmbedInput.newBuilder().setText("The switchyard")).build());
        double length = 0;
        for (float x : raw.getEmbeddings(0).getValuesList()) {
            length += (double) x * x;
        }
        assertThat(Math.sqrt(length)).isNotCloseTo(1, org.assertj.core.api.Assertions.within(1e-3));
        assertStatus(() -> server.blocking().embed(EmbedRequest.getDefaultInstance()), Status.Code.INVALID_ARGUMENT,
                "inputs");
        assertStatus(() -> server.blocking().embed(EmbedRequest.newBuilder().addInputs(EmbedInput.getDefaultInstance())
                .build()), Status.Code.INVALID_ARGUMENT, "inputs[0]: set text or token_ids");
        assertStatus(() -> server.blocking().embed(EmbedRequest.newBuilder().addInputs(EmbedInput.newBuilder()
                .setTokenIds(TokenIds.newBuilder().addIds(999_999))).build()), Status.Code.INVALID_ARGUMENT,
                "inputs[0].token_ids");
        assertStatus(() -> server.blocking().embed(EmbedRequest.newBuilder().setModel("nope")
                .addInputs(EmbedInput.newBuilder().setText("x")).build()), Status.Code.NOT_FOUND, "nope");
    }

    /** The 24 tokens an HTTP completion of "The switchyard" writes with {@code fields}. */
    private static List<Integer> httpTokens(String fields) {
        JsonNode http = server.httpPost("/v1/completions", "{\"prompt\":\"The switchyard\",\"max_tokens\":24,"
                + "\"ignore_eos\":true,\"logprobs\":0,\"return_tokens_as_token_ids\":true," + fields + "}");
        List<Integer> tokens = new java.util.ArrayList<>();
        http.at("/choices/0/logprobs/tokens").forEach(t -> tokens.add(Integer.parseInt(t.asText().substring(9))));
        return tokens;
    }

    @Test
    void llamaCppSamplersEqualTheHttpApis() {
        SamplingParams.Builder dry = greedy(24).setDryMultiplier(4).setDryAllowedLength(1).setTypicalP(0.9)
                .setTemperature(1).setSeed(3).setXtcProbability(0.5).setXtcThreshold(0.05).addDrySequenceBreakers("\n");
        assertThat(streamedTokens(stream(text("The switchyard", dry).build()), 0)).hasSize(24).isEqualTo(httpTokens(
                "\"temperature\":1,\"seed\":3,\"dry_multiplier\":4,\"dry_allowed_length\":1,\"typical_p\":0.9,"
                + "\"xtc_probability\":0.5,\"xtc_threshold\":0.05,\"dry_sequence_breakers\":[\"\\n\"]"));
        SamplingParams.Builder mirostat = greedy(24).setTemperature(0.9).setSeed(6).setMirostat(2).setMirostatTau(4)
                .setMirostatEta(0.2).setRepetitionPenalty(1.3).setRepeatLastN(8);
        assertThat(streamedTokens(stream(text("The switchyard", mirostat).build()), 0)).isEqualTo(httpTokens(
                "\"temperature\":0.9,\"seed\":6,\"mirostat\":2,\"mirostat_tau\":4,\"mirostat_eta\":0.2,"
                + "\"repeat_penalty\":1.3,\"repeat_last_n\":8"));
        SamplingParams.Builder dynamic = greedy(24).setTemperature(0.7).setSeed(6).setDynatempRange(0.4)
                .setDynatempExponent(1.5).setTopK(20);
        assertThat(streamedTokens(stream(text("The switchyard", dynamic).build()), 0)).isEqualTo(httpTokens(
                "\"temperature\":0.7,\"seed\":6,\"dynatemp_range\":0.4,\"dynatemp_exponent\":1.5,\"top_k\":20"));
        assertStatus(() -> stream(text("x", greedy(4).setTypicalP(0)).build()), Status.Code.INVALID_ARGUMENT,
                "sampling.typical_p");
        assertStatus(() -> stream(text("x", greedy(4).setDryMultiplier(1).setDryBase(0.5)).build()),
                Status.Code.INVALID_ARGUMENT, "sampling.dry_base");
    }

    @Test
    void invalidArgumentsNameTheirField() {
        assertStatus(() -> stream(text("x", greedy(4).setPromptLogprobs(21)).build()), Status.Code.INVALID_ARGUMENT,
                "sampling.prompt_logprobs");
        assertStatus(() -> stream(text("x", greedy(4).setTopP(2)).build()), Status.Code.INVALID_ARGUMENT, "sampling.top_p");
        assertStatus(() -> stream(text("x", greedy(4).setN(100)).build()), Status.Code.INVALID_ARGUMENT, "sampling.n");
        assertStatus(() -> stream(GenerateRequest.newBuilder().setSampling(greedy(4)).build()),
                Status.Code.INVALID_ARGUMENT, "input");
        assertStatus(() -> stream(GenerateRequest.newBuilder().setTokenIds(TokenIds.newBuilder().addIds(999_999))
                .setSampling(greedy(4)).build()), Status.Code.INVALID_ARGUMENT, "token_ids.ids[0]");
        assertStatus(() -> stream(text("x", greedy(400)).build()), Status.Code.INVALID_ARGUMENT, "sampling.max_tokens");
        assertStatus(() -> stream(text("x", greedy(4)).setCacheSalt("s".repeat(257)).build()), Status.Code.INVALID_ARGUMENT,
                "cache_salt");
        assertStatus(() -> stream(text("x", greedy(4)).setModel("gpt-4").build()), Status.Code.NOT_FOUND, "gpt-4");
        assertStatus(() -> stream(GenerateRequest.newBuilder().setMessages(ChatMessages.newBuilder()
                        .addMessages(ChatMessage.newBuilder().setRole("robot").setContent("hi"))).setSampling(greedy(4)).build()),
                Status.Code.INVALID_ARGUMENT, "messages[0].role");
        // and the server still serves
        assertThat(streamedTokens(stream(text("x", greedy(3)).build()), 0)).hasSize(3);
    }

    @Test
    void cancellingMidStreamAbortsAndFreesTheBlocks() throws Exception {
        Context.CancellableContext context = Context.current().withCancellation();
        Iterator<GenerateResponse> it = context.call(() -> server.blocking()
                .generate(text("A long story", greedy(200)).build()));
        assertThat(it.next().hasChunk()).isTrue();
        assertThat(it.next().hasChunk()).isTrue();
        context.cancel(null);
        server.awaitKvEmpty();
        assertThat(streamedTokens(stream(text("after", greedy(3)).build()), 0)).hasSize(3);
    }

    @Test
    void aPassedDeadlineAbortsTheRequest() throws Exception {
        // well short of 240 tokens even on a fast machine: the deadline passes mid-generation
        GenerationGrpc.GenerationBlockingStub stub = server.blocking().withDeadlineAfter(50, TimeUnit.MILLISECONDS);
        assertStatus(() -> stub.generate(text("A long story", greedy(240)).build()).forEachRemaining(r -> { }),
                Status.Code.DEADLINE_EXCEEDED, "");
        server.awaitKvEmpty();
    }

    @Test
    void abortByRequestIdEndsTheStreamWithReasonAbort() throws Exception {
        Iterator<GenerateResponse> it = server.blocking().generate(text("A long story", greedy(200))
                .setRequestId("to-abort").build());
        assertThat(it.next().hasChunk()).isTrue();
        assertThat(server.blocking().abort(dev.switchyard.proto.v1.AbortRequest.newBuilder()
                .setRequestId("to-abort").build()).getFound()).isTrue();
        GenerateResponse last = null;
        while (it.hasNext()) {
            last = it.next();
        }
        assertThat(last.getComplete().getChoices(0).getFinishReason()).isEqualTo(FinishReason.FINISH_REASON_ABORT);
        assertThat(server.blocking().abort(dev.switchyard.proto.v1.AbortRequest.newBuilder()
                .setRequestId("to-abort").build()).getFound()).isFalse();
        server.awaitKvEmpty();
    }

    @Test
    void healthReportsServingAndWorksWithoutAKey() {
        HealthCheckResponse health = HealthGrpc.newBlockingStub(server.channel)
                .check(HealthCheckRequest.getDefaultInstance());
        assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
    }

    static void assertStatus(Runnable call, Status.Code code, String messagePart) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code);
            assertThat(e.getStatus().getDescription()).contains(messagePart);
        });
    }
}
