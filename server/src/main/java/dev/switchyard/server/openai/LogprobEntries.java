package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.TokenLogprob;
import java.io.IOException;

/**
 * A token's logprob entry as chat completions and responses both write it: the token's text, its
 * logprob, its bytes, and its best alternatives the same way.
 */
final class LogprobEntries {

    /** JSON has no infinities: a token the model rules out entirely is shown as vLLM shows it. */
    static final double MIN_LOGPROB = -9999.0;

    private LogprobEntries() {
    }

    /** Writes the fields of {@code t}'s entry into the object {@code g} has open. */
    static void writeFields(JsonGenerator g, ServedModel model, TokenLogprob t) throws IOException {
        writeToken(g, model, t.token(), t.logprob());
        g.writeArrayFieldStart("top_logprobs");
        for (int r = 0; r < t.topIds().length; r++) {
            g.writeStartObject();
            writeToken(g, model, t.topIds()[r], t.topLogprobs()[r]);
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    private static void writeToken(JsonGenerator g, ServedModel model, int token, double logprob) throws IOException {
        g.writeStringField("token", model.tokenText(token));
        g.writeNumberField("logprob", printable(logprob));
        g.writeArrayFieldStart("bytes");
        for (byte b : model.tokenBytes(token)) {
            g.writeNumber(b & 0xff);
        }
        g.writeEndArray();
    }

    static double printable(double logprob) {
        return Double.isFinite(logprob) ? logprob : MIN_LOGPROB;
    }
}
