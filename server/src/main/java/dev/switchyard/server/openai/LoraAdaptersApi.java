package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchyard.server.serving.AdapterInUseException;
import dev.switchyard.server.serving.ModelAccess;
import dev.switchyard.server.serving.ServedAdapters;
import dev.switchyard.server.serving.ServedModel;
import java.io.IOException;

/**
 * llama.cpp's {@code /lora-adapters}: {@code GET} lists the loaded adapters with the scales requests
 * apply them at when they say nothing of adapters; {@code POST [{"id": 0, "scale": 0.5}]} sets those
 * scales (adapters left out go to 0), as llama-server does. And vLLM's {@code /v1/load_lora_adapter}
 * and {@code /v1/unload_lora_adapter}, where the server allows it.
 */
public final class LoraAdaptersApi {

    private LoraAdaptersApi() {
    }

    public static void list(JsonGenerator g, ServedModel model) throws IOException {
        list(g, model, null);
    }

    /** The list, of the adapters a key allowed {@code allowed} may use (null: every one). */
    public static void list(JsonGenerator g, ServedModel model, java.util.Set<String> allowed) throws IOException {
        ServedAdapters adapters = model.adapters();
        g.writeStartArray();
        for (ServedAdapters.Served a : adapters.all()) {
            if (!ModelAccess.lists(allowed, a.name())) {
                continue;
            }
            g.writeStartObject();
            g.writeNumberField("id", a.id());
            g.writeStringField("name", a.name());
            g.writeStringField("path", a.adapter().path().toString());
            g.writeNumberField("scale", adapters.defaultScale(a.id()));
            if (a.adapter().taskName().isPresent()) {
                g.writeStringField("task_name", a.adapter().taskName().get());
            }
            if (a.adapter().promptPrefix().isPresent()) {
                g.writeStringField("prompt_prefix", a.adapter().promptPrefix().get());
            }
            g.writeEndObject();
        }
        g.writeEndArray();
    }

    /**
     * vLLM's {@code POST /v1/load_lora_adapter} ({@code {"lora_name", "lora_path"}}): loads an adapter
     * while serving, applied by requests that name it (or list it); answers vLLM's success text.
     */
    public static String load(JsonNode body, ServedModel model, boolean allowed) {
        refuseUnless(allowed);
        Fields f = new Fields(body);
        String name = required(f, "lora_name");
        String file = required(f, "lora_path");
        try {
            model.loadAdapter(name, java.nio.file.Path.of(file));
        } catch (java.nio.file.InvalidPathException e) {
            throw ApiError.invalid("lora_path", "lora_path is not a path: " + e.getMessage());
        } catch (java.nio.file.NoSuchFileException e) {
            throw ApiError.invalid("lora_path", "no such file: " + file);
        } catch (java.io.IOException e) {
            throw ApiError.invalid("lora_path", "cannot read " + file + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw ApiError.invalid(e.getMessage().contains("named " + name) || e.getMessage().contains("own name")
                    ? "lora_name" : "lora_path", e.getMessage());
        }
        return "Success: LoRA adapter '" + name + "' added successfully.";
    }

    /**
     * vLLM's {@code POST /v1/unload_lora_adapter} ({@code {"lora_name"}}): unloads an adapter no
     * waiting or running request applies (409 while one does).
     */
    public static String unload(JsonNode body, ServedModel model, boolean allowed) {
        refuseUnless(allowed);
        String name = required(new Fields(body), "lora_name");
        try {
            model.unloadAdapter(name);
        } catch (java.util.NoSuchElementException e) {
            throw new ApiError(404, "invalid_request_error", e.getMessage(), "lora_name", "lora_adapter_not_found");
        } catch (AdapterInUseException e) {
            throw new ApiError(409, "invalid_request_error", e.getMessage(), "lora_name", "lora_adapter_in_use");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return "Success: LoRA adapter '" + name + "' removed successfully.";
    }

    private static void refuseUnless(boolean allowed) {
        if (!allowed) {
            throw new ApiError(403, "permission_error", "loading and unloading LoRA adapters while serving is off: start "
                    + "the server with --allow-runtime-lora-updating", null, "runtime_lora_updating_off");
        }
    }

    private static String required(Fields f, String field) {
        String value = f.string(field);
        if (value == null || value.isBlank()) {
            throw ApiError.invalid(field, field + " is required");
        }
        return value;
    }

    /** Sets the default scales from a list as a request's {@code lora} field holds one; answers {@code {"success": true}}. */
    public static void set(JsonNode body, ServedModel model, JsonGenerator g) throws IOException {
        if (body == null || !body.isArray()) {
            throw ApiError.invalid("lora", "POST /lora-adapters takes a list of {\"id\": N, \"scale\": S} objects");
        }
        ObjectNode request = JsonNodeFactory.instance.objectNode();
        request.set("lora", body);
        model.adapters().setDefaults(CommonFields.adapters(new Fields(request), model));
        g.writeStartObject();
        g.writeBooleanField("success", true);
        g.writeEndObject();
    }
}
