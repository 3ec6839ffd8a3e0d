package dev.switchyard.engine.moe;

import java.util.Locale;

/**
 * What happens to a (token, expert) assignment beyond its expert's capacity ({@code --overflow}).
 * {@link DispatchPlan} documents the exact rules.
 */
public enum OverflowMode {
    /** Dropless: every token runs its plain top-k experts; the model's exact output. The default. */
    NONE("none"),
    /** An expert keeps its {@code C} highest-scoring assignments; the others contribute nothing. */
    DROP("drop"),
    /** An overflowing assignment moves to the token's best unchosen expert with room, else is dropped. */
    REROUTE("reroute");

    private final String cliName;

    OverflowMode(String cliName) {
        this.cliName = cliName;
    }

    /** The name on the command line and in configuration: {@code none}, {@code drop} or {@code reroute}. */
    public String cliName() {
        return cliName;
    }

    /**
     * Parses {@code none}, {@code drop} or {@code reroute} (case and surrounding blanks ignored).
     *
     * @throws IllegalArgumentException naming the accepted values, for anything else
     */
    public static OverflowMode parse(String text) {
        if (text != null) {
            String name = text.strip().toLowerCase(Locale.ROOT);
            for (OverflowMode mode : values()) {
                if (mode.cliName.equals(name)) {
                    return mode;
                }
            }
        }
        throw new IllegalArgumentException(
                "overflow mode must be one of none, drop, reroute; got " + (text == null ? "nothing" : "'" + text + "'"));
    }

    @Override
    public String toString() {
        return cliName;
    }
}
