package dev.switchyard.engine.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class JitWarmupTest {

    /** Each run takes one second and, while it runs, the compilers work for the next given ms. */
    private static int runsUntilSettled(int maxRuns, long... compileMsPerRun) {
        AtomicLong clock = new AtomicLong();
        int[] run = {0};
        return new JitWarmup(clock::get, maxRuns, 0.05).warmUp(() -> {
            clock.addAndGet(compileMsPerRun[Math.min(run[0]++, compileMsPerRun.length - 1)]);
            return 1.0;
        });
    }

    @Test
    void stopsAtTheFirstRunWithLittleCompilation() {
        assertThat(runsUntilSettled(6, 900, 400, 120, 30, 0)).isEqualTo(4);
        assertThat(runsUntilSettled(6, 10)).isEqualTo(1);
    }

    @Test
    void stopsAfterMaxRunsWhileTheCompilersStayBusy() {
        assertThat(runsUntilSettled(3, 900)).isEqualTo(3);
    }

    @Test
    void runsOnceWhereCompilationTimeIsUnknown() {
        int[] runs = {0};
        assertThat(new JitWarmup(null, 6, 0.05).warmUp(() -> {
            runs[0]++;
            return 1.0;
        })).isEqualTo(1);
        assertThat(runs[0]).isEqualTo(1);
    }

    @Test
    void thisJvmsWarmupRunsAtLeastOnce() {
        assertThat(JitWarmup.ofThisJvm().warmUp(() -> 0.5)).isBetween(1, JitWarmup.MAX_RUNS);
    }

    @Test
    void refusesNonsense() {
        assertThatThrownBy(() -> new JitWarmup(null, 0, 0.05)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new JitWarmup(null, 3, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
