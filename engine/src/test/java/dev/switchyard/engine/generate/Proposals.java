package dev.switchyard.engine.generate;

import dev.switchyard.engine.schedule.SchedulerObserver;

/** Counts what speculative decoding proposed and kept, for the tests that check it. */
final class Proposals implements SchedulerObserver {
    long drafted;
    long kept;

    @Override
    public void speculated(int drafted, int accepted) {
        this.drafted += drafted;
        this.kept += accepted;
    }
}
