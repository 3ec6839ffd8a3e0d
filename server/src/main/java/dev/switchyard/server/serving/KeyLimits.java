package dev.switchyard.server.serving;

/**
 * The limits of one API key in {@code --api-key-file}, the settings after its {@code NAME KEY}, in
 * any order: {@code concurrency=N} (at most N of its requests at once), {@code requests_per_minute=N}
 * and {@code tokens_per_minute=N} (each a {@link RateBucket}), {@code models=A,B} (the served model's
 * and LoRA adapters' names it may use; every one without it) and {@code priority=N} (its requests'
 * place in the scheduler's order, see {@link #priority}). A key without settings has
 * {@link #NONE}. The buckets outlive a reload of the file while the key keeps its name
 * ({@link #of}), so editing a limit neither hands a key a fresh minute nor forgives its debt.
 */
public final class KeyLimits {

    /** No limits. */
    public static final KeyLimits NONE = new KeyLimits(0, null, null, null, null);

    /** The most urgent and the least urgent {@code priority=N} a key may be given. */
    static final int MIN_PRIORITY = -1_000_000;
    static final int MAX_PRIORITY = 1_000_000;

    /** How a key's line is written, for the messages that refuse one. */
    static final String USAGE = "'NAME KEY [concurrency=N] [requests_per_minute=N] [tokens_per_minute=N] "
            + "[models=NAME,...] [priority=N]'";

    private final int concurrency;
    private final RateBucket requests;
    private final RateBucket tokens;
    private final java.util.Set<String> models;
    private final Integer priority;

    private KeyLimits(int concurrency, RateBucket requests, RateBucket tokens, java.util.Set<String> models,
                      Integer priority) {
        this.concurrency = concurrency;
        this.requests = requests;
        this.tokens = tokens;
        this.models = models;
        this.priority = priority;
    }

    /**
     * Its {@code priority=N}, where the server schedules by priority: its requests run at N plus the
     * priority they ask where that is above 0, so a client can put its own requests behind one
     * another but never ahead of its key's level, and so never ahead of another key's requests by
     * asking; null for none (its requests' priorities as they ask).
     */
    public Integer priority() {
        return priority;
    }

    /** The names of the models and adapters it may use; null for every one. */
    public java.util.Set<String> models() {
        return models;
    }

    /** How many of its requests may run at once; 0 for no bound. */
    public int concurrency() {
        return concurrency;
    }

    /** Its {@code requests_per_minute} allowance; null for none. */
    public RateBucket requests() {
        return requests;
    }

    /** Its {@code tokens_per_minute} budget; null for none. */
    public RateBucket tokens() {
        return tokens;
    }

    /** Whether it has a per-minute limit (its answers then carry {@code x-ratelimit-*} headers). */
    public boolean perMinute() {
        return requests != null || tokens != null;
    }

    /** A key's settings as its line gives them: 0 for one not given. */
    record Settings(int concurrency, int requestsPerMinute, int tokensPerMinute, java.util.Set<String> models,
                    Integer priority) {

        static final Settings NONE = new Settings(0, 0, 0, null, null);

        /**
         * The settings {@code options} (the words after NAME KEY) give, each at most once.
         *
         * @throws IllegalArgumentException starting with {@code where} (the file and line) for an
         *                                  unknown setting, one given twice, or a value out of range
         */
        static Settings parse(String[] options, int from, String where) {
            int concurrency = 0;
            int requests = 0;
            int tokens = 0;
            java.util.Set<String> models = null;
            Integer priority = null;
            for (int i = from; i < options.length; i++) {
                String option = options[i];
                int eq = option.indexOf('=');
                String name = eq < 0 ? option : option.substring(0, eq);
                String value = eq < 0 ? "" : option.substring(eq + 1);
                switch (name) {
                    case "concurrency" -> {
                        once(concurrency, name, where);
                        concurrency = value(value, Integer.MAX_VALUE, option, where);
                    }
                    case "requests_per_minute" -> {
                        once(requests, name, where);
                        requests = value(value, RateBucket.MAX_PER_MINUTE, option, where);
                    }
                    case "tokens_per_minute" -> {
                        once(tokens, name, where);
                        tokens = value(value, RateBucket.MAX_PER_MINUTE, option, where);
                    }
                    case "models" -> {
                        once(models == null ? 0 : 1, name, where);
                        models = names(value, option, where);
                    }
                    case "priority" -> {
                        once(priority == null ? 0 : 1, name, where);
                        priority = priorityValue(value, option, where);
                    }
                    default -> throw new IllegalArgumentException(where + ": unknown setting '" + option + "'; expected "
                            + USAGE + ", a name of 1 to 64 letters, digits or ._@- and a key without spaces");
                }
            }
            return new Settings(concurrency, requests, tokens, models, priority);
        }

        /** {@code priority=N}: a whole number, negative for more urgent than the default 0. */
        private static int priorityValue(String value, String option, String where) {
            try {
                int n = Integer.parseInt(value);
                if (n >= MIN_PRIORITY && n <= MAX_PRIORITY) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // refused below
            }
            throw new IllegalArgumentException(where + ": expected priority=N with N a whole number from " + MIN_PRIORITY
                    + " to " + MAX_PRIORITY + " (lower is served first), got '" + option + "'");
        }

        /** {@code A,B,...}: one or more names, none empty or given twice. */
        private static java.util.Set<String> names(String value, String option, String where) {
            java.util.Set<String> names = new java.util.LinkedHashSet<>();
            for (String n : value.split(",", -1)) {
                if (n.isEmpty() || !names.add(n)) {
                    throw new IllegalArgumentException(where + ": expected models=NAME,... naming each model or adapter "
                            + "once, got '" + option + "'");
                }
            }
            return java.util.Collections.unmodifiableSet(names);
        }

        private static void once(int already, String name, String where) {
            if (already != 0) {
                throw new IllegalArgumentException(where + ": " + name + " is given twice; expected " + USAGE);
            }
        }

        private static int value(String value, int max, String option, String where) {
            try {
                int n = Integer.parseInt(value);
                if (n >= 1 && n <= max) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // refused below
            }
            throw new IllegalArgumentException(where + ": expected " + USAGE + " with N a whole number from 1"
                    + (max == Integer.MAX_VALUE ? "" : " to " + max) + ", got '"
                    + option + "'");
        }
    }

    /**
     * The limits {@code settings} set, at {@code now}: a per-minute limit the key had before
     * ({@code previous}, the limits of the same name until the file changed) keeps its bucket, taking
     * the new allowance and holding no more than it; a new one starts full.
     */
    static KeyLimits of(Settings settings, KeyLimits previous, long now) {
        if (settings.equals(Settings.NONE)) {
            return NONE;
        }
        return new KeyLimits(settings.concurrency(),
                bucket(settings.requestsPerMinute(), previous == null ? null : previous.requests, now),
                bucket(settings.tokensPerMinute(), previous == null ? null : previous.tokens, now), settings.models(),
                settings.priority());
    }

    private static RateBucket bucket(int perMinute, RateBucket previous, long now) {
        if (perMinute == 0) {
            return null;
        }
        if (previous == null) {
            return new RateBucket(perMinute, now);
        }
        previous.resize(perMinute, now);
        return previous;
    }
}
