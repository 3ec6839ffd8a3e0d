package dev.switchyard.server.serving;

import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.sampling.TokenLogprobs;
import dev.switchyard.engine.schedule.SequenceSink;
import dev.switchyard.engine.tokenizer.StreamingDetokenizer;

/**
 * One choice's tokens turned into text on the scheduler's thread: the detokenizer releases whole
 * characters, the stop strings hold back what may begin one, and the result goes to the listener.
 * A matched stop string ends the sequence at once (no further token is computed).
 */
final class ChoiceSink implements SequenceSink {

    private final int index;
    private final StreamingDetokenizer detokenizer;
    private final StopStrings stops;
    private final boolean wantLogprobs;
    private final GenerationListener listener;
    private final Generation owner;
    /** Echoed prompt text, sent with the first event and then dropped. */
    private String echo;
    private int tokens;

    ChoiceSink(int index, StreamingDetokenizer detokenizer, StopStrings stops, boolean wantLogprobs, String echo,
               GenerationListener listener, Generation owner) {
        this.index = index;
        this.detokenizer = detokenizer;
        this.stops = stops;
        this.wantLogprobs = wantLogprobs;
        this.echo = echo;
        this.listener = listener;
        this.owner = owner;
    }

    @Override
    public boolean onToken(int token, TokenLogprobs logprobs) {
        tokens++;
        String text = withEcho(stops.push(detokenizer.push(token)));
        listener.onToken(index, token, text, wantLogprobs ? TokenLogprob.copyOf(logprobs) : null);
        return !stops.matched();
    }

    @Override
    public void onFinish(FinishReason reason) {
        String rest = "";
        FinishReason why = reason;
        if (!stops.matched()) {
            rest = stops.push(detokenizer.finish());
            if (stops.matched()) {
                why = FinishReason.STOP; // the last characters completed a stop string
            } else {
                rest += stops.flush();
            }
        }
        try {
            listener.onChoiceFinished(index, why, withEcho(rest));
        } finally {
            owner.choiceDone(tokens);
        }
    }

    @Override
    public void onFailure(RuntimeException error) {
        try {
            listener.onChoiceFailed(index, error);
        } finally {
            owner.choiceDone(tokens);
        }
    }

    private String withEcho(String text) {
        if (echo == null) {
            return text;
        }
        String out = echo + text;
        echo = null;
        return out;
    }
}
