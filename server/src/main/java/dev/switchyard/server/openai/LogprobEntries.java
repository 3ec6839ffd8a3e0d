package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.TokenLogprob;
import java.io.IOException;
import java.util.List;

/**
 * A token's logprob entry as chat completions and responses both write it: the token's text, its
 * logprob, its bytes, and its best alternatives the same way.
 */
final class LogprobEntries {

    /** JSON has no infinities: a token the model rules out entirely is shown as vLLM shows it. */
    static final double MIN_LOGPROB = -9999.0;

    private LogprobEntries() {
    }

    /**
     * Writes the fields of {@code t}'s entry into the object {@code g} has open, each token named as
     * {@code labels} says.
     */
    static void writeFields(JsonGenerator g, ServedModel model, TokenLogprob t, TokenLabel labels) throws IOException {
        writeToken(g, model, t.token(), t.logprob(), labels);
        g.writeArrayFieldStart("top_logprobs");
        for (int r = 0; r < t.topIds().length; r++) {
            g.writeStartObject();
            writeToken(g, model, t.topIds()[r], t.topLogprobs()[r], labels);
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /** A token's {@code token}, {@code logprob} and {@code bytes} fields. */
    static void writeToken(JsonGenerator g, ServedModel model, int token, double logprob, TokenLabel labels)
            throws IOException {
        g.writeStringField("token", labels.label(model, token));
        g.writeNumberField("logprob", printable(logprob));
        writeBytes(g, model, token);
    }

    /** A token's {@code bytes} field: its UTF-8 bytes, which need not be whole characters. */
    static void writeBytes(JsonGenerator g, ServedModel model, int token) throws IOException {
        g.writeArrayFieldStart("bytes");
        for (byte b : model.tokenBytes(token)) {
            g.writeNumber(b & 0xff);
        }
        g.writeEndArray();
    }

    /**
     * vLLM's {@code prompt_logprobs}: per prompt token, null for the first (nothing predicts it), else
     * an object keyed by token id holding the token's own entry and then its {@code top} most probable
     * alternatives, each with its {@code logprob}, {@code rank} (1 for the most probable) and
     * {@code decoded_token}.
     */
    static void writePromptLogprobs(JsonGenerator g, ServedModel model, List<TokenLogprob> prompt, int top,
                                    TokenLabel labels) throws IOException {
        g.writeStartArray();
        for (TokenLogprob t : prompt) {
            if (!t.scored()) {
                g.writeNull();
                continue;
            }
            g.writeStartObject();
            writePromptEntry(g, model, t.token(), t.logprob(), t.rank(), labels);
            int shown = Math.min(top, t.topIds().length);
            for (int r = 0; r < shown; r++) {
                if (t.topIds()[r] != t.token()) {
                    writePromptEntry(g, model, t.topIds()[r], t.topLogprobs()[r], r + 1, labels);
                }
            }
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static void writePromptEntry(JsonGenerator g, ServedModel model, int token, double logprob, int rank,
                                         TokenLabel labels) throws IOException {
        g.writeObjectFieldStart(Integer.toString(token));
        g.writeNumberField("logprob", printable(logprob));
        g.writeNumberField("rank", rank);
        g.writeStringField("decoded_token", labels.text(model, token));
        g.writeEndObject();
    }

    static double printable(double logprob) {
        return Double.isFinite(logprob) ? logprob : MIN_LOGPROB;
    }
}
