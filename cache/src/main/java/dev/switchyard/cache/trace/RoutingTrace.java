package dev.switchyard.cache.trace;

import java.util.List;

/** A whole routing trace in memory: the simulator's clairvoyant policy needs the future anyway. */
public record RoutingTrace(TraceHeader header, List<TraceStep> steps) {

    public RoutingTrace {
        steps = List.copyOf(steps);
    }

    /** Tokens of decode steps (what per-token figures divide by). */
    public long decodeTokens() {
        return steps.stream().filter(s -> !s.prefill()).mapToLong(TraceStep::tokens).sum();
    }
}
