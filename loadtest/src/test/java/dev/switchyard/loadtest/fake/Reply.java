package dev.switchyard.loadtest.fake;

/** What the scripted server does with one generation request. */
public sealed interface Reply {

    /**
     * A 200 SSE stream: {@code chunks} token chunks, the first after {@code firstMs}, the rest {@code gapMs}
     * apart; then a usage chunk claiming {@code usageTokens} output tokens (none when negative) and
     * {@code [DONE]}. {@code errorAfter >= 0} sends an error event after that many chunks instead of
     * finishing; {@code truncateAfter >= 0} closes the stream after that many chunks without [DONE].
     */
    record Stream(long firstMs, int chunks, long gapMs, int usageTokens, int errorAfter, int truncateAfter) implements Reply {
        public static Stream of(long firstMs, int chunks, long gapMs, int usageTokens) {
            return new Stream(firstMs, chunks, gapMs, usageTokens, -1, -1);
        }
    }

    /** A plain HTTP error answer. */
    record Status(int code, String body) implements Reply {
    }
}
