package dev.switchyard.cache.predict;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** Every predictor by its command-line name; "none" means demand fetching only. */
public final class Predictors {

    public static final String NONE = "none";

    private static final Map<String, Supplier<RoutingPredictor>> REGISTRY = new LinkedHashMap<>();

    static {
        REGISTRY.put("gate", SpeculativeGatePredictor::new);
        REGISTRY.put("affinity", AffinityPredictor::new);
        REGISTRY.put("recency", RecencyPredictor::new);
        REGISTRY.put("combined", CombinedPredictor::standard);
    }

    private Predictors() {
    }

    /** A fresh predictor (predictors learn, so every replay needs its own), or empty for "none". */
    public static Optional<RoutingPredictor> create(String name) {
        if (NONE.equals(name)) {
            return Optional.empty();
        }
        Supplier<RoutingPredictor> factory = REGISTRY.get(name);
        if (factory == null) {
            throw new IllegalArgumentException("unknown predictor '" + name + "' (choose from " + names() + ")");
        }
        return Optional.of(factory.get());
    }

    public static String names() {
        return NONE + ", " + String.join(", ", REGISTRY.keySet());
    }

    public static boolean exists(String name) {
        return NONE.equals(name) || REGISTRY.containsKey(name);
    }
}
