package dev.switchyard.server.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DecodeClockTest {

    /** A clock that reads the time the test sets. */
    private static final class Now {
        long nanos;
    }

    @Test
    void timesOnlyTheTokensAfterEverySequenceHasStarted() {
        Now now = new Now();
        DecodeClock clock = new DecodeClock(3, () -> now.nanos);
        // sequence 0 starts first and decodes while the others' prompts are still being read
        now.nanos = 1_000;
        clock.onToken(0, 5, null);
        now.nanos = 2_000;
        clock.onToken(0, 6, null);
        clock.onToken(1, 7, null);
        now.nanos = 3_000;
        clock.onToken(0, 8, null);
        clock.onToken(1, 9, null);
        clock.onToken(2, 10, null);   // the last first token: decoding of all three starts here
        for (int step = 1; step <= 4; step++) {
            now.nanos = 3_000 + step * 1_000_000L;
            for (int r = 0; r < 3; r++) {
                clock.onToken(r, 11, null);
            }
        }
        assertThat(clock.decodedTokens()).isEqualTo(12);
        assertThat(clock.tokensPerSecond()).isEqualTo(12 / 4e-3);
    }

    @Test
    void aRunWithoutADecodeStepHasNoRate() {
        DecodeClock clock = new DecodeClock(2, () -> 7);
        clock.onToken(0, 1, null);
        clock.onToken(1, 1, null);
        assertThatThrownBy(clock::tokensPerSecond).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("at least 2 tokens");
    }
}
