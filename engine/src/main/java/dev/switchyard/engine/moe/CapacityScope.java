package dev.switchyard.engine.moe;

import java.util.Locale;

/**
 * Which tokens compete for expert capacity ({@code --capacity-scope}). {@link CapacityGroups} forms
 * the groups.
 */
public enum CapacityScope {
    /**
     * Groups fixed by each request alone: a prompt's tokens in windows of {@code W} positions, each
     * generated token a group of its own. A request's output never depends on what runs beside it.
     * The default.
     */
    SEQUENCE("sequence"),
    /**
     * All tokens of a step form one group, across requests. Most straggler relief, but one request can
     * change (and so observe) another's output: single-tenant deployments only.
     */
    BATCH("batch");

    private final String cliName;

    CapacityScope(String cliName) {
        this.cliName = cliName;
    }

    /** The name on the command line and in configuration: {@code sequence} or {@code batch}. */
    public String cliName() {
        return cliName;
    }

    /**
     * Parses {@code sequence} or {@code batch} (case and surrounding blanks ignored).
     *
     * @throws IllegalArgumentException naming the accepted values, for anything else
     */
    public static CapacityScope parse(String text) {
        if (text != null) {
            String name = text.strip().toLowerCase(Locale.ROOT);
            for (CapacityScope scope : values()) {
                if (scope.cliName.equals(name)) {
                    return scope;
                }
            }
        }
        throw new IllegalArgumentException(
                "capacity scope must be one of sequence, batch; got " + (text == null ? "nothing" : "'" + text + "'"));
    }

    @Override
    public String toString() {
        return cliName;
    }
}
