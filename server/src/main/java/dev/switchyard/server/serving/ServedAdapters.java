package dev.switchyard.server.serving;

import dev.switchyard.engine.lora.LoraAdapter;
import dev.switchyard.engine.lora.LoraMix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The LoRA adapters a server has loaded, by the number the engine gave each (the order they were
 * loaded in; an unloaded adapter's number is never given again), and the scales requests apply them
 * at when they say nothing of adapters (llama.cpp's global scales, which {@code POST /lora-adapters}
 * changes). A request names adapters either by its {@code model} (an adapter's name applies that
 * adapter alone at scale 1, as vLLM serves them) or by a {@code lora} list of numbers and scales
 * (llama.cpp's; adapters left out are not applied). Thread-safe: lookups read snapshots, and
 * changes (adapters loaded or unloaded while serving) replace them whole.
 */
public final class ServedAdapters {

    /** One loaded adapter as requests and listings see it. */
    public record Served(int id, String name, LoraAdapter adapter) {
    }

    private final String modelName;
    private final Map<String, Served> byName = new ConcurrentHashMap<>();
    /** By number; null where an adapter was unloaded. */
    private volatile Served[] byId;
    private volatile float[] defaults;

    /**
     * @throws IllegalArgumentException if two adapters share a name, or one is named as the model
     */
    public ServedAdapters(String modelName, List<AdapterSpec> specs, List<LoraAdapter> loaded) {
        if (specs.size() != loaded.size()) {
            throw new IllegalArgumentException(specs.size() + " adapters asked for, " + loaded.size() + " loaded");
        }
        this.modelName = modelName;
        this.byId = new Served[0];
        this.defaults = new float[0];
        for (int i = 0; i < specs.size(); i++) {
            add(specs.get(i).name(), loaded.get(i), i, specs.get(i).scale());
        }
    }

    /**
     * Checks that {@code name} may name a new adapter.
     *
     * @throws IllegalArgumentException if an adapter has it, or it is the model's
     */
    public void checkNewName(String name) {
        if (name.equals(modelName)) {
            throw new IllegalArgumentException("LoRA adapter " + name + " has the served model's own name: "
                    + "give it another (--lora NAME=FILE)");
        }
        if (byName.containsKey(name)) {
            throw new IllegalArgumentException("a LoRA adapter named " + name + " is already loaded");
        }
    }

    /** Serves {@code adapter}, loaded by the engine as number {@code id}, as {@code name}, applied by default at {@code scale}. */
    public synchronized Served add(String name, LoraAdapter adapter, int id, float scale) {
        checkNewName(name);
        if (id < byId.length) {
            throw new IllegalArgumentException("LoRA adapter number " + id + " was given before");
        }
        Served served = new Served(id, name, adapter);
        Served[] ids = Arrays.copyOf(byId, id + 1);
        float[] scales = Arrays.copyOf(defaults, id + 1);
        ids[id] = served;
        scales[id] = scale;
        byName.put(name, served);
        defaults = scales;
        byId = ids;
        return served;
    }

    /** Stops serving {@code adapter}: requests can no longer name it or its number. */
    public synchronized void remove(Served adapter) {
        byName.remove(adapter.name(), adapter);
        Served[] ids = byId.clone();
        ids[adapter.id()] = null;
        float[] scales = defaults.clone();
        scales[adapter.id()] = 0;
        defaults = scales;
        byId = ids;
    }

    /** Serves {@code adapter} again after a {@link #remove} that did not go through, at {@code scale} by default. */
    public synchronized void restore(Served adapter, float scale) {
        Served[] ids = byId.clone();
        float[] scales = defaults.clone();
        ids[adapter.id()] = adapter;
        scales[adapter.id()] = scale;
        byName.put(adapter.name(), adapter);
        defaults = scales;
        byId = ids;
    }

    /** The adapters served, by number. */
    public List<Served> all() {
        List<Served> all = new ArrayList<>();
        for (Served s : byId) {
            if (s != null) {
                all.add(s);
            }
        }
        return all;
    }

    public Optional<Served> named(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The name of adapter {@code id}, or null where none is served under that number. */
    public String nameOf(int id) {
        Served[] ids = byId;
        return id >= 0 && id < ids.length && ids[id] != null ? ids[id].name() : null;
    }

    /** The scale requests that say nothing of adapters apply adapter {@code id} at. */
    public float defaultScale(int id) {
        float[] scales = defaults;
        return id < scales.length ? scales[id] : 0;
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
     * @throws InvalidRequestException if an id is not a served adapter's, is listed twice, or a scale is not finite
     */
    public LoraMix mix(List<Map.Entry<Integer, Float>> entries, String param) {
        Served[] ids = byId;
        float[] scales = new float[ids.length];
        boolean[] seen = new boolean[ids.length];
        for (Map.Entry<Integer, Float> e : entries) {
            int id = e.getKey();
            if (id < 0 || id >= ids.length || ids[id] == null) {
                List<Served> served = all();
                throw new InvalidRequestException(param, "no LoRA adapter has id " + id + (served.isEmpty()
                        ? ": this server has none loaded (serve --lora FILE)"
                        : "; ids are " + served.stream().map(s -> String.valueOf(s.id()))
                                .collect(java.util.stream.Collectors.joining(", ")) + " (GET /lora-adapters lists them)"));
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
    public synchronized void setDefaults(LoraMix mix) {
        Served[] ids = byId;
        float[] scales = new float[ids.length];
        for (int i = 0; i < scales.length; i++) {
            scales[i] = ids[i] != null ? mix.scale(i) : 0;
        }
        this.defaults = scales;
    }
}
