package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.server.serving.InvalidRequestException;
import dev.switchyard.server.serving.ModelAccess;
import dev.switchyard.server.serving.ServedAdapters;
import dev.switchyard.server.serving.ServedModel;
import java.io.IOException;

/**
 * The small endpoints: {@code /v1/models}, and vLLM's {@code /tokenize} and {@code /detokenize}
 * (same request and response fields, so vLLM clients work unchanged).
 */
public final class UtilityApi {

    private UtilityApi() {
    }

    public static void writeModels(JsonGenerator g, ServedModel model) throws IOException {
        writeModels(g, model, null);
    }

    /** The list, of those a key allowed {@code allowed} may use (null: every one). */
    public static void writeModels(JsonGenerator g, ServedModel model, java.util.Set<String> allowed) throws IOException {
        g.writeStartObject();
        g.writeStringField("object", "list");
        g.writeArrayFieldStart("data");
        if (ModelAccess.lists(allowed, model.name())) {
            writeModel(g, model);
        }
        for (ServedAdapters.Served a : model.adapters().all()) {
            if (ModelAccess.lists(allowed, a.name())) {
                writeAdapter(g, model, a);
            }
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    /** One model object, as {@code GET /v1/models/{id}} answers and the list holds. */
    public static void writeModel(JsonGenerator g, ServedModel model) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", model.name());
        g.writeStringField("object", "model");
        g.writeNumberField("created", model.createdEpochSeconds());
        g.writeStringField("owned_by", "switchyard");
        g.writeStringField("root", model.name());
        g.writeNumberField("max_model_len", model.maxSequenceLength());
        g.writeEndObject();
    }

    /**
     * A LoRA adapter as a model of its own, as vLLM lists one: requests that name it apply it;
     * {@code parent} is the served model, {@code root} the adapter's file.
     */
    public static void writeAdapter(JsonGenerator g, ServedModel model, ServedAdapters.Served adapter) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", adapter.name());
        g.writeStringField("object", "model");
        g.writeNumberField("created", model.createdEpochSeconds());
        g.writeStringField("owned_by", "switchyard");
        g.writeStringField("root", adapter.adapter().path().toString());
        g.writeStringField("parent", model.name());
        g.writeNumberField("max_model_len", model.maxSequenceLength());
        g.writeEndObject();
    }

    /**
     * {@code {"prompt": "..."}} (add_special_tokens, default true: BOS as the model wants it) or
     * {@code {"messages": [...]}} through the chat template; answers count, max_model_len and tokens.
     * llama.cpp's shape too: {@code {"content": "..."}} (add_special, default false; with_pieces for
     * each token's {@code {id, piece}} in place of its id).
     */
    public static void tokenize(JsonNode body, ServedModel model, ObjectMapper mapper, JsonGenerator g) throws IOException {
        Fields f = new Fields(body);
        CommonFields.checkModel(f, model);
        int[] ids;
        try {
            if (f.has("messages")) {
                JsonNode request = mapper.createObjectNode().set("messages", body.get("messages"));
                ids = ChatRequests.parse(request, model, ApiLimits.defaults(), mapper).spec().prompts().getFirst();
            } else if (!f.has("prompt") && f.has("content")) {
                String content = f.string("content");
                boolean special = f.bool("add_special", false);
                ids = model.tokenizer().encode(content, special && model.tokenizer().addBosByDefault(), false);
            } else {
                String prompt = f.string("prompt");
                if (prompt == null) {
                    throw ApiError.invalid("prompt", "prompt (or messages, or llama.cpp's content) is required");
                }
                boolean special = f.bool("add_special_tokens", true);
                ids = model.tokenizer().encode(prompt, special && model.tokenizer().addBosByDefault(), false);
            }
        } catch (InvalidRequestException e) {
            throw ApiError.of(e);
        }
        boolean pieces = f.bool("with_pieces", false);
        g.writeStartObject();
        g.writeNumberField("count", ids.length);
        g.writeNumberField("max_model_len", model.maxSequenceLength());
        g.writeArrayFieldStart("tokens");
        for (int id : ids) {
            if (pieces) {
                g.writeStartObject();
                g.writeNumberField("id", id);
                g.writeStringField("piece", model.tokenText(id, true)); // llama-server shows control tokens' text
                g.writeEndObject();
            } else {
                g.writeNumber(id);
            }
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    /** {@code {"tokens": [...]}} to {@code {"prompt": "..."}} (vLLM's name), also as {@code content} (llama.cpp's). */
    public static void detokenize(JsonNode body, ServedModel model, JsonGenerator g) throws IOException {
        Fields f = new Fields(body);
        CommonFields.checkModel(f, model);
        JsonNode tokens = f.node("tokens");
        if (tokens == null || !tokens.isArray()) {
            throw ApiError.invalid("tokens", "tokens must be a list of token ids");
        }
        int[] ids = CompletionRequests.ids(tokens, "tokens");
        int vocab = model.tokenizer().vocabSize();
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw ApiError.invalid("tokens[" + i + "]", "token id " + ids[i] + " is outside the vocabulary (0.."
                        + (vocab - 1) + ")");
            }
        }
        String text = model.tokenizer().decode(ids);
        g.writeStartObject();
        g.writeStringField("prompt", text);
        g.writeStringField("content", text);
        g.writeEndObject();
    }

    /**
     * llama.cpp's {@code GET /props}, which its clients read for the context size and the chat
     * template: {@code default_generation_settings.n_ctx}, {@code total_slots} (sequences decoded at
     * once), {@code chat_template}, the BOS and EOS tokens' text, {@code build_info}.
     */
    public static void writeProps(JsonGenerator g, ServedModel model, String version) throws IOException {
        g.writeStartObject();
        g.writeObjectFieldStart("default_generation_settings");
        g.writeNumberField("id", 0);
        g.writeNumberField("n_ctx", model.maxSequenceLength());
        g.writeStringField("model", model.name());
        g.writeBooleanField("is_processing", model.running() > 0);
        g.writeEndObject();
        g.writeNumberField("total_slots", model.maxSequences());
        g.writeStringField("model_path", model.name());
        var template = model.prompts().template();
        g.writeStringField("chat_template", template.text());
        g.writeStringField("bos_token", template.bosToken() == null ? "" : template.bosToken());
        g.writeStringField("eos_token", template.eosToken() == null ? "" : template.eosToken());
        g.writeObjectFieldStart("modalities");
        g.writeBooleanField("vision", false);
        g.writeBooleanField("audio", false);
        g.writeEndObject();
        g.writeStringField("build_info", "switchyard " + version);
        g.writeEndObject();
    }
}
