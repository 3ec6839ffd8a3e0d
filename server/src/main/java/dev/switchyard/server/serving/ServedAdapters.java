package dev.switchyard.server.serving;

import dev.switchyard.engine.lora.LoraAdapter;
import dev.switchyard.engine.lora.LoraMix;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The LoRA adapters a server loaded, numbered in the order given, and the scales requests apply
 * them at when they say nothing of adapters (llama.cpp's global scales, which
 * {@code POST /lora-adapters} changes). A request names adapters either by its {@code model}
 * (an adapter's name applies that adapter alone at scale 1, as vLLM serves them) or by a
 * {@code lora} list of numbers and scales (llama.cpp's; adapters left out are not applied).
 * Thread-safe: the default scales are swapped whole.
 */
public final class ServedAdapters {

    /** One loaded adapter as requests and listings see it. */
    public record Served(int id, String name, LoraAdapter adapter) {
    }

    private final List<Served> adapters;
    private final Map<String, Served> byName = new HashMap<>();
    private volatile float[] defaults;

    /**
     * @throws IllegalArgumentException if two adapters share a name, or one is named as the model
     */
    public ServedAdapters(String modelName, List<AdapterSpec> specs, List<LoraAdapter> loaded) {
        if (specs.size() != loaded.size()) {
            throw new IllegalArgumentException(specs.size() + " adapters asked for, " + loaded.size() + " loaded");
        }
        Served[] served = new Served[specs.size()];
        float[] scales = new float[specs.size()];
        for (int i = 0; i < served.length; i++) {
            String name = specs.get(i).name();
            if (name.equals(modelName)) {
                throw new IllegalArgumentException("LoRA adapter " + name + " has the served model's own name: "
                        + "give it another (--lora NAME=FILE)");
            }
            served[i] = new Served(i, name, loaded.get(i));
            if (byName.put(name, served[i]) != null) {
                throw new IllegalArgumentException("two LoRA adapters are named " + name
                        + ": give one another name (--lora NAME=FILE)");
            }
            scales[i] = specs.get(i).scale();
        }
        this.adapters = List.of(served);
        this.defaults = scales;
    }

    /** None loaded. */
    public static ServedAdapters none(String modelName) {
        return new ServedAdapters(modelName, List.of(), List.of());
    }

    public List<Served> all() {
        return adapters;
    }

    public boolean isEmpty() {
        return adapters.isEmpty();
    }

    public Optional<Served> named(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The scale requests that say nothing of adapters apply adapter {@code id} at. */
    public float defaultScale(int id) {
        return defaults[id];
    }

    /** What a request that says nothing of adapters applies. */
    public LoraMix defaults() {
        return LoraMix.of(defaults);
    }

    /** {@code adapter} alone, at scale 1. */
    public LoraMix alone(Served adapter) {
        float[] scales = new float[adapter.id() + 1];
        scales[adapter.id()] = 1f;
        return LoraMix.of(scales);
    }

    /**
     * The mix of a {@code lora} list: each listed adapter at its scale, the rest at 0.
     *
     * @throws InvalidRequestException if an id is not an adapter's, is listed twice, or a scale is not finite
     */
    public LoraMix mix(List<Map.Entry<Integer, Float>> entries, String param) {
        float[] scales = new float[adapters.size()];
        boolean[] seen = new boolean[adapters.size()];
        for (Map.Entry<Integer, Float> e : entries) {
            int id = e.getKey();
            if (id < 0 || id >= adapters.size()) {
                throw new InvalidRequestException(param, "no LoRA adapter has id " + id + (adapters.isEmpty()
                        ? ": this server loaded none (serve --lora FILE)"
                        : "; ids are 0 to " + (adapters.size() - 1) + " (GET /lora-adapters lists them)"));
            }
            if (seen[id]) {
                throw new InvalidRequestException(param, "LoRA adapter " + id + " is listed twice");
            }
            float scale = e.getValue();
            if (!Float.isFinite(scale)) {
                throw new InvalidRequestException(param, "the scale of LoRA adapter " + id + " must be a finite number");
            }
            seen[id] = true;
            scales[id] = scale;
        }
        return LoraMix.of(scales);
    }

    /**
     * What a request applies: the scales of its adapter list where it gives one ({@code entries}
     * not null), else the adapter its {@code model} names alone at scale 1, else the default scales.
     *
     * @throws InvalidRequestException as {@link #mix} does
     */
    public LoraMix forRequest(String model, List<Map.Entry<Integer, Float>> entries, String param) {
        if (entries != null) {
            return mix(entries, param);
        }
        Served named = model == null ? null : byName.get(model);
        return named != null ? alone(named) : defaults();
    }

    /** Makes {@code mix}'s scales what requests that say nothing of adapters apply. */
    public void setDefaults(LoraMix mix) {
        float[] scales = new float[adapters.size()];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = mix.scale(i);
        }
        this.defaults = scales;
    }
}
