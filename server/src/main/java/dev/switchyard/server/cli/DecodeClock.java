package dev.switchyard.server.cli;

import dev.switchyard.engine.generate.TokenListener;
import dev.switchyard.engine.sampling.TokenLogprobs;
import java.util.function.LongSupplier;

/**
 * The decode rate of one batch run, read from the tokens as they come: the tokens emitted after
 * every sequence has its first one (all prefills done), over the time from that moment to the
 * last token. Measured inside the run, so no prefill time is subtracted from another run's (which
 * two noisy runs of a long prompt can leave at zero or below).
 */
final class DecodeClock implements TokenListener {

    private final LongSupplier nanos;
    private final boolean[] started;
    private int startedCount;
    private long decodeStart;
    private long last;
    private long decoded;

    DecodeClock(int sequences) {
        this(sequences, System::nanoTime);
    }

    DecodeClock(int sequences, LongSupplier nanos) {
        this.started = new boolean[sequences];
        this.nanos = nanos;
    }

    @Override
    public void onToken(int request, int token, TokenLogprobs logprobs) {
        long now = nanos.getAsLong();
        if (!started[request]) {
            started[request] = true;
            if (++startedCount == started.length) {
                decodeStart = now;
            }
            return;
        }
        if (startedCount == started.length) {
            decoded++;
            last = now;
        }
    }

    /** Tokens emitted once every sequence had started. */
    long decodedTokens() {
        return decoded;
    }

    /**
     * Decoded tokens per second.
     *
     * @throws IllegalStateException when no token came after the last sequence's first one
     */
    double tokensPerSecond() {
        if (decoded == 0 || last <= decodeStart) {
            throw new IllegalStateException("no decode step after every sequence started: generate at least 2 tokens");
        }
        return decoded * 1e9 / (last - decodeStart);
    }
}
