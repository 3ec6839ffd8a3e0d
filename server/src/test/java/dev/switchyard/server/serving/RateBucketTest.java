package dev.switchyard.server.serving;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * A key's per-minute allowance on a fake clock: full at first, refilled continuously at N a minute up
 * to N, a charge past what is left a debt that refuses until the refill pays it back, the waits it
 * reports exact, and durations written as OpenAI's reset headers write them.
 */
class RateBucketTest {

    private static final long SECOND = 1_000_000_000L;
    private static final long MINUTE = 60 * SECOND;
    private static final long T0 = 7 * MINUTE; // any start: only differences count

    @Test
    void aFullBucketLetsNInThenOneMoreEachNthOfAMinute() {
        RateBucket b = new RateBucket(2, T0);
        assertThat(b.remaining(T0)).isEqualTo(2);
        assertThat(b.tryTake(T0)).isTrue();
        assertThat(b.tryTake(T0)).isTrue();
        assertThat(b.tryTake(T0)).as("a third in the same minute").isFalse();
        assertThat(b.remaining(T0)).isZero();
        assertThat(b.nanosUntil(1, T0)).as("2 a minute: one every 30 s").isEqualTo(30 * SECOND);
        assertThat(b.tryTake(T0 + 30 * SECOND - 1)).as("a nanosecond early").isFalse();
        assertThat(b.tryTake(T0 + 30 * SECOND)).isTrue();
        assertThat(b.nanosUntilFull(T0 + 30 * SECOND)).isEqualTo(MINUTE);
    }

    @Test
    void theRefillStopsAtTheCapacity() {
        RateBucket b = new RateBucket(3, T0);
        b.tryTake(T0);
        assertThat(b.remaining(T0 + 10 * MINUTE)).as("ten idle minutes hold no more than 3").isEqualTo(3);
        assertThat(b.nanosUntilFull(T0 + 10 * MINUTE)).isZero();
        for (int i = 0; i < 3; i++) {
            assertThat(b.tryTake(T0 + 10 * MINUTE)).isTrue();
        }
        assertThat(b.tryTake(T0 + 10 * MINUTE)).isFalse();
    }

    @Test
    void aRequestLargerThanTheBudgetIsADebtThatRefusesUntilRepaid() {
        RateBucket b = new RateBucket(100, T0);
        assertThat(b.inCredit(T0)).isTrue();
        b.charge(350, T0); // admitted with 100 left, used 350: 250 owed
        assertThat(b.inCredit(T0)).isFalse();
        assertThat(b.remaining(T0)).as("a debt shows as none left").isZero();
        assertThat(b.nanosUntil(0, T0)).as("250 at 100 a minute").isEqualTo(150 * SECOND);
        assertThat(b.nanosUntilFull(T0)).as("350 at 100 a minute").isEqualTo(210 * SECOND);
        assertThat(b.inCredit(T0 + 150 * SECOND - 1)).isFalse();
        assertThat(b.inCredit(T0 + 150 * SECOND)).isTrue();
        assertThat(b.remaining(T0 + 210 * SECOND)).isEqualTo(100);
    }

    @Test
    void aRequestPutBackIsAsIfNeverTakenAndNeverOverfills() {
        RateBucket b = new RateBucket(5, T0);
        assertThat(b.tryTake(T0)).isTrue();
        b.giveBack(T0);
        assertThat(b.remaining(T0)).isEqualTo(5);
        assertThat(b.nanosUntilFull(T0)).isZero();
        b.giveBack(T0);
        assertThat(b.remaining(T0)).as("never past full").isEqualTo(5);
    }

    @Test
    void aNewAllowanceKeepsWhatIsLeftUpToItsCapacityAndRefillsAtItsRate() {
        RateBucket b = new RateBucket(10, T0);
        b.tryTake(T0);
        b.tryTake(T0);
        b.resize(5, T0);
        assertThat(b.perMinute()).isEqualTo(5);
        assertThat(b.remaining(T0)).as("8 left, clamped to 5").isEqualTo(5);
        for (int i = 0; i < 5; i++) {
            b.tryTake(T0);
        }
        b.resize(60, T0);
        assertThat(b.remaining(T0)).as("a larger allowance hands out no fresh minute").isZero();
        assertThat(b.remaining(T0 + SECOND)).as("60 a minute: one a second").isEqualTo(1);

        RateBucket owed = new RateBucket(10, T0);
        owed.charge(30, T0);
        owed.resize(20, T0);
        assertThat(owed.inCredit(T0)).as("a debt survives a new allowance").isFalse();
        assertThat(owed.nanosUntil(0, T0)).as("20 owed at 20 a minute").isEqualTo(MINUTE);
    }

    @Test
    void timeReadBeforeAnotherCallerAddsNothingAndHugeFiguresDoNotOverflow() {
        RateBucket b = new RateBucket(60, T0);
        b.tryTake(T0 + SECOND);
        assertThat(b.remaining(T0)).as("a stale clock reading").isEqualTo(59);

        RateBucket big = new RateBucket(RateBucket.MAX_PER_MINUTE, T0);
        big.charge(Long.MAX_VALUE, T0);
        assertThat(big.inCredit(T0)).isFalse();
        assertThat(big.nanosUntil(0, T0)).isPositive();
        assertThat(big.remaining(T0 + 365L * 24 * 60 * MINUTE)).isEqualTo(RateBucket.MAX_PER_MINUTE);
        assertThat(big.nanosUntilFull(T0 + 365L * 24 * 60 * MINUTE)).isZero();
    }

    @Test
    void durationsAreWrittenAsOpenAisResetHeadersWriteThem() {
        assertThat(RateBucket.resetFormat(0)).isEqualTo("0s");
        assertThat(RateBucket.resetFormat(1)).as("rounded up to the millisecond").isEqualTo("1ms");
        assertThat(RateBucket.resetFormat(120_000_000L)).isEqualTo("120ms");
        assertThat(RateBucket.resetFormat(999_000_001L)).isEqualTo("1s");
        assertThat(RateBucket.resetFormat(SECOND)).isEqualTo("1s");
        assertThat(RateBucket.resetFormat(1_500_000_000L)).isEqualTo("1.5s");
        assertThat(RateBucket.resetFormat(8_640_000_000L)).isEqualTo("8.64s");
        assertThat(RateBucket.resetFormat(6 * MINUTE)).isEqualTo("6m0s");
        assertThat(RateBucket.resetFormat(90_250_000_000L)).isEqualTo("1m30.25s");
        assertThat(RateBucket.resetFormat(60 * MINUTE)).isEqualTo("1h0m0s");
        assertThat(RateBucket.resetFormat(61 * MINUTE + 5 * SECOND)).isEqualTo("1h1m5s");
    }

    @Test
    void retryAfterIsRoundedUpAndAtLeastOne() {
        assertThat(RateBucket.retryAfterSeconds(0)).isEqualTo(1);
        assertThat(RateBucket.retryAfterSeconds(1)).isEqualTo(1);
        assertThat(RateBucket.retryAfterSeconds(SECOND)).isEqualTo(1);
        assertThat(RateBucket.retryAfterSeconds(SECOND + 1)).isEqualTo(2);
        assertThat(RateBucket.retryAfterSeconds(150 * SECOND)).isEqualTo(150);
        assertThat(RateBucket.retryAfterMillis(0)).isEqualTo(1);
        assertThat(RateBucket.retryAfterMillis(1_000_001L)).isEqualTo(2);
        assertThat(RateBucket.retryAfterMillis(30 * SECOND)).isEqualTo(30_000);
    }
}
