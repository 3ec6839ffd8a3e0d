package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchyard.server.serving.ServedAdapters;
import dev.switchyard.server.serving.ServedModel;
import java.io.IOException;

/**
 * llama.cpp's {@code /lora-adapters}: {@code GET} lists the loaded adapters with the scales requests
 * apply them at when they say nothing of adapters; {@code POST [{"id": 0, "scale": 0.5}]} sets those
 * scales (adapters left out go to 0), as llama-server does.
 */
public final class LoraAdaptersApi {

    private LoraAdaptersApi() {
    }

    public static void list(JsonGenerator g, ServedModel model) throws IOException {
        ServedAdapters adapters = model.adapters();
        g.writeStartArray();
        for (ServedAdapters.Served a : adapters.all()) {
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
