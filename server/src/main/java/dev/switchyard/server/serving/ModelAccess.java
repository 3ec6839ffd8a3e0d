package dev.switchyard.server.serving;

import java.util.Set;

/**
 * Which of the served model and its LoRA adapters a key may use ({@code models=A,B} in
 * {@code --api-key-file}): a tenant's own fine-tune is then its alone. A generation uses the model
 * its request named (an adapter's name, or the served model's) and every adapter it applies at a
 * scale other than 0, the server's default scales included; each must be allowed.
 */
public final class ModelAccess {

    private ModelAccess() {
    }

    /**
     * The first name {@code spec} uses that {@code allowed} does not hold; null when it holds them all
     * (and always where {@code allowed} is null: every model).
     */
    public static String refused(GenerationSpec spec, ServedModel model, Set<String> allowed) {
        return refused(spec.servedAs(), spec, model, allowed);
    }

    /** As above, where the request named the model {@code named} (null or empty: the served model). */
    public static String refused(String named, GenerationSpec spec, ServedModel model, Set<String> allowed) {
        if (allowed == null) {
            return null;
        }
        String used = named == null || named.isEmpty() ? model.name() : named;
        if (!allowed.contains(used)) {
            return used;
        }
        for (int id = 0; id < spec.adapters().span(); id++) {
            if (spec.adapters().scale(id) != 0) {
                String adapter = model.adapters().nameOf(id);
                if (adapter != null && !allowed.contains(adapter)) {
                    return adapter;
                }
            }
        }
        return null;
    }

    /** Whether a key allowed {@code allowed} may see the model or adapter named {@code name} listed. */
    public static boolean lists(Set<String> allowed, String name) {
        return allowed == null || allowed.contains(name);
    }
}
