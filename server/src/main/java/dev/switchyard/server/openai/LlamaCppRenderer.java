package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.sampling.SamplerExtras;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.server.serving.ChoiceToolCall;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.TokenLogprob;
import dev.switchyard.server.serving.Usage;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A reply of llama.cpp's {@code /completion}: {@code content}, {@code stop}, {@code stop_type}
 * ({@code eos}, {@code word} with the {@code stopping_word}, {@code limit}), the token counts, the
 * {@code generation_settings} the reply was made with and its {@code timings}; {@code tokens} and
 * {@code completion_probabilities} (each token's id, text, bytes and log-probability, with its
 * {@code top_logprobs}) when asked for. Streamed, every token is a {@code data:} chunk with its
 * text and {@code "stop": false}, and a last chunk with {@code "stop": true} carries the rest of
 * the fields, as llama-server streams (no {@code [DONE]}). A reply cut short (the request timeout
 * passed, the server is shutting down) ends with {@code stop_type} {@code none}, and unstreamed is an
 * error instead.
 */
final class LlamaCppRenderer implements ResponseRenderer {

    private final ServedModel model;
    private final LlamaCppRequest request;
    private final long started = System.nanoTime();
    /** One per prompt: a request of several prompts is answered with one reply each. */
    private final Reply[] replies;

    /** What one prompt's reply has come to. */
    private static final class Reply {
        long firstToken;
        long ended;
        final StringBuilder content = new StringBuilder();
        final List<TokenLogprob> tokens = new ArrayList<>();
        int predicted;
        FinishReason finish;
        String stoppingWord;

        void token(String text, TokenLogprob logprob) {
            if (predicted++ == 0) {
                firstToken = System.nanoTime();
            }
            content.append(text);
            if (logprob != null) {
                tokens.add(logprob);
            }
        }

        void finish(String text, FinishReason reason) {
            content.append(text);
            finish = reason;
            ended = System.nanoTime();
            if (predicted == 0) {
                firstToken = ended;
            }
        }

        /** eos, word, limit; none for a reply cut short. */
        String stopType() {
            if (finish == null || finish == FinishReason.ABORT) {
                return "none";
            }
            if (stoppingWord != null) {
                return "word";
            }
            return finish == FinishReason.LENGTH ? "limit" : "eos";
        }
    }

    LlamaCppRenderer(ServedModel model, LlamaCppRequest request) {
        this.model = model;
        this.request = request;
        this.replies = new Reply[request.request().spec().prompts().size()];
        for (int i = 0; i < replies.length; i++) {
            replies[i] = new Reply();
        }
    }

    @Override
    public OpenAiRequest request() {
        return request.request();
    }

    // ---- ResponseRenderer ----

    @Override
    public void openStream(EventStream out) {
        // llama-server's stream opens with the first token
    }

    @Override
    public void streamToken(EventStream out, int index, String reasoning, String text, TokenLogprob logprob) {
        Reply reply = replies[index];
        reply.token(text, logprob);
        int predicted = reply.predicted;
        out.send(null, g -> {
            g.writeStartObject();
            g.writeNumberField("index", index);
            g.writeStringField("content", text);
            writeTokens(g, logprob == null ? List.of() : List.of(logprob));
            g.writeBooleanField("stop", false);
            g.writeNumberField("id_slot", -1);
            g.writeNumberField("tokens_predicted", predicted);
            g.writeNumberField("tokens_evaluated", promptTokens(index));
            g.writeEndObject();
        });
    }

    @Override
    public void streamToolCalls(EventStream out, int index, List<ChoiceToolCall> calls) {
        // this API offers no tools
    }

    @Override
    public void streamFinish(EventStream out, int index, String reasoning, String text, FinishReason reason) {
        replies[index].finish(text, reason);
        if (!text.isEmpty()) {
            out.send(null, g -> {
                g.writeStartObject();
                g.writeNumberField("index", index);
                g.writeStringField("content", text);
                g.writeBooleanField("stop", false);
                g.writeEndObject();
            });
        }
    }

    @Override
    public void streamFailure(EventStream out, ApiError error) {
        out.send(null, error::write);
    }

    @Override
    public void closeStream(EventStream out, Usage usage, boolean failed) {
        if (!failed) {
            for (int i = 0; i < replies.length; i++) {
                int index = i;
                out.send(null, g -> writeEnded(g, index, usage, ""));
            }
        }
    }

    @Override
    public void collect(int index, String reasoning, String text, TokenLogprob logprob) {
        replies[index].token(text, logprob);
    }

    @Override
    public void collectToolCalls(int index, List<ChoiceToolCall> calls) {
        // this API offers no tools
    }

    @Override
    public void collectFinish(int index, String reasoning, String text, FinishReason reason) {
        replies[index].finish(text, reason);
    }

    @Override
    public void stopSequence(int index, String stop) {
        replies[index].stoppingWord = stop;
    }

    @Override
    public ApiError endedAsError() {
        boolean cut = java.util.Arrays.stream(replies).anyMatch(r -> r.finish == FinishReason.ABORT);
        return cut ? new ApiError(504, "timeout_error", "the reply was stopped before it "
                + "finished: the server's request timeout passed, or it is shutting down", null, "request_timeout") : null;
    }

    @Override
    public void writeResponse(JsonGenerator g, Usage usage) throws IOException {
        if (replies.length == 1) {
            writeEnded(g, 0, usage, replies[0].content.toString());
            return;
        }
        g.writeStartArray(); // several prompts: one reply each, in order, as llama-server answers them
        for (int i = 0; i < replies.length; i++) {
            writeEnded(g, i, usage, replies[i].content.toString());
        }
        g.writeEndArray();
    }

    // ---- JSON ----

    private int promptTokens(int index) {
        return request.request().spec().prompts().get(index).length;
    }

    /**
     * Prompt tokens of reply {@code index} the prefix cache held: the request's count where it has one
     * prompt; per prompt it is not kept apart, so 0 where it has several.
     */
    private int cachedTokens(int index, Usage usage) {
        return replies.length == 1 ? usage.cachedTokens() : 0;
    }

    /** The ended reply {@code index}: its whole content (a stream's last chunk: none, the chunks held it). */
    private void writeEnded(JsonGenerator g, int index, Usage usage, String text) throws IOException {
        Reply reply = replies[index];
        boolean whole = !request.request().stream();
        g.writeStartObject();
        g.writeNumberField("index", index);
        g.writeStringField("content", text);
        writeTokens(g, whole ? reply.tokens : List.of());
        g.writeNumberField("id_slot", -1);
        g.writeBooleanField("stop", true);
        g.writeStringField("model", model.nameFor(request.request().spec()));
        g.writeNumberField("tokens_predicted", reply.predicted);
        g.writeNumberField("tokens_evaluated", promptTokens(index));
        writeSettings(g);
        g.writeStringField("prompt", request.promptTexts().get(index));
        g.writeBooleanField("has_new_line", reply.content.indexOf("\n") >= 0);
        g.writeBooleanField("truncated", request.truncated());
        g.writeStringField("stop_type", reply.stopType());
        g.writeStringField("stopping_word", reply.stoppingWord == null ? "" : reply.stoppingWord);
        g.writeNumberField("tokens_cached", cachedTokens(index, usage));
        writeTimings(g, index, usage);
        g.writeEndObject();
    }

    /** {@code tokens} (when asked for) and {@code completion_probabilities} (with n_probs) of these tokens. */
    private void writeTokens(JsonGenerator g, List<TokenLogprob> entries) throws IOException {
        g.writeArrayFieldStart("tokens");
        if (request.returnTokens()) {
            for (TokenLogprob t : entries) {
                g.writeNumber(t.token());
            }
        }
        g.writeEndArray();
        if (request.nProbs() > 0) {
            // post_sampling_probs: probabilities of the distribution drawn from, as llama-server names them
            boolean post = request.request().spec().sampling().postSamplingLogprobs();
            g.writeArrayFieldStart("completion_probabilities");
            for (TokenLogprob t : entries) {
                g.writeStartObject();
                writeToken(g, t.token(), t.logprob(), post);
                g.writeArrayFieldStart(post ? "top_probs" : "top_logprobs");
                for (int r = 0; r < t.topIds().length; r++) {
                    g.writeStartObject();
                    writeToken(g, t.topIds()[r], t.topLogprobs()[r], post);
                    g.writeEndObject();
                }
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndArray();
        }
    }

    private void writeToken(JsonGenerator g, int id, double logprob, boolean asProbability) throws IOException {
        g.writeNumberField("id", id);
        if (!asProbability) {
            LogprobEntries.writeToken(g, model, id, logprob, TokenLabel.TEXT);
            return;
        }
        g.writeStringField("token", TokenLabel.TEXT.label(model, id));
        LogprobEntries.writeBytes(g, model, id);
        g.writeNumberField("prob", Math.exp(logprob));
    }

    /** What the reply was made with, under llama.cpp's names. */
    private void writeSettings(JsonGenerator g) throws IOException {
        SamplingParams p = request.request().spec().sampling();
        SamplerExtras x = p.extras();
        g.writeObjectFieldStart("generation_settings");
        g.writeNumberField("n_predict", request.nPredict());
        if (p.seed() != null) {
            g.writeNumberField("seed", p.seed());
        } else {
            g.writeNumberField("seed", 0xFFFFFFFFL);
        }
        g.writeNumberField("temperature", p.temperature());
        g.writeNumberField("dynatemp_range", x.dynamicTemperature().range());
        g.writeNumberField("dynatemp_exponent", x.dynamicTemperature().exponent());
        g.writeNumberField("top_k", p.topK());
        g.writeNumberField("top_p", p.topP());
        g.writeNumberField("min_p", p.minP());
        g.writeNumberField("top_n_sigma", x.topNSigma() > 0 ? x.topNSigma() : -1);
        g.writeNumberField("xtc_probability", x.xtcProbability());
        g.writeNumberField("xtc_threshold", x.xtcThreshold());
        g.writeNumberField("typical_p", x.typicalP());
        g.writeNumberField("repeat_last_n", x.penaltyLastN());
        g.writeNumberField("repeat_penalty", p.repetitionPenalty());
        g.writeNumberField("presence_penalty", p.presencePenalty());
        g.writeNumberField("frequency_penalty", p.frequencyPenalty());
        g.writeNumberField("dry_multiplier", x.dry().multiplier());
        g.writeNumberField("dry_base", x.dry().base());
        g.writeNumberField("dry_allowed_length", x.dry().allowedLength());
        g.writeNumberField("dry_penalty_last_n", x.dry().lastN() == 0 ? -1 : x.dry().lastN());
        g.writeNumberField("mirostat", x.mirostat().version());
        g.writeNumberField("mirostat_tau", x.mirostat().tau());
        g.writeNumberField("mirostat_eta", x.mirostat().eta());
        g.writeArrayFieldStart("stop");
        for (String s : request.request().spec().stop()) {
            g.writeString(s);
        }
        g.writeEndArray();
        g.writeBooleanField("ignore_eos", p.ignoreEos());
        g.writeBooleanField("stream", request.request().stream());
        g.writeNumberField("n_probs", request.nProbs());
        g.writeEndObject();
    }

    /** llama-server's timings: the prompt's part (what the cache did not hold) and the reply's. */
    private void writeTimings(JsonGenerator g, int index, Usage usage) throws IOException {
        Reply reply = replies[index];
        int promptN = promptTokens(index) - cachedTokens(index, usage);
        double promptMs = (reply.firstToken - started) / 1e6;
        double predictedMs = (reply.ended - reply.firstToken) / 1e6;
        int predictedN = reply.predicted;
        g.writeObjectFieldStart("timings");
        g.writeNumberField("prompt_n", promptN);
        g.writeNumberField("prompt_ms", promptMs);
        g.writeNumberField("prompt_per_token_ms", promptN > 0 ? promptMs / promptN : 0);
        g.writeNumberField("prompt_per_second", promptMs > 0 ? promptN * 1000 / promptMs : 0);
        g.writeNumberField("predicted_n", predictedN);
        g.writeNumberField("predicted_ms", predictedMs);
        g.writeNumberField("predicted_per_token_ms", predictedN > 0 ? predictedMs / predictedN : 0);
        g.writeNumberField("predicted_per_second", predictedMs > 0 ? predictedN * 1000 / predictedMs : 0);
        g.writeEndObject();
    }
}
