package dev.switchyard.server.serving;

/**
 * What a request's API key changes about its generation: whose cached prompt blocks it may share
 * ({@code --prefix-cache-scope key}) and the level its priority starts from ({@code priority=N} in
 * the key file). A request without a key, or of a key that sets neither, is {@link #NONE}.
 *
 * @param tenant   the key's name where the prefix cache is scoped by key; null: anyone's blocks
 * @param priority the key's priority level; null: the request's own priority as it asks
 */
public record KeyScope(String tenant, Integer priority) {

    /** Nothing changed. */
    public static final KeyScope NONE = new KeyScope(null, null);

    /** {@code spec} as its key runs it: its prefix cache kept to the tenant, its priority set from the key's level. */
    public GenerationSpec applyTo(GenerationSpec spec) {
        return spec.forTenant(tenant).withPriority(priority(spec.priority()));
    }

    /** The priority a request asking {@code asked} runs at under this key. */
    public int priority(int asked) {
        return priority == null ? asked : priorityFrom(priority, asked);
    }

    /**
     * The priority a request asking {@code asked} runs at under a key of level {@code level}: the
     * level, plus what it asked where that is above 0 (less urgent), saturating; an ask below 0
     * (more urgent) gives the level itself.
     */
    public static int priorityFrom(int level, int asked) {
        long sum = (long) level + Math.max(asked, 0);
        return (int) Math.min(Integer.MAX_VALUE, sum);
    }
}
