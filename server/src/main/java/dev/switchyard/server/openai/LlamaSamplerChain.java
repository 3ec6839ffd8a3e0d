package dev.switchyard.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * llama.cpp's {@code samplers}: the samplers a request runs, by name ({@code ["top_k", "top_p",
 * "temperature"]}, with llama.cpp's other spellings) or by letter ({@code "kpt"}). As in llama.cpp, a
 * sampler the list leaves out does not run, whatever its field says, and a name it does not know is
 * passed over (clients still send {@code tfs_z}, which llama.cpp dropped). Of the order, what changes
 * results is where the temperature comes: before the filters it changes (typical, top-p, min-p, XTC),
 * or after them (llama.cpp's default); top-k and top-n-sigma keep the same tokens at any temperature.
 * The others run in this server's one order (penalties, DRY, top-n-sigma, typical, top-k, top-p,
 * min-p, XTC), and a temperature listed between two of the filters it changes comes after them all.
 *
 * @param listed           the samplers that run
 * @param temperatureFirst whether the temperature comes before every filter it changes that is listed
 */
record LlamaSamplerChain(EnumSet<Kind> listed, boolean temperatureFirst) {

    /** The samplers this server runs, by llama.cpp's names. */
    enum Kind { PENALTIES, DRY, TOP_N_SIGMA, TOP_K, TYPICAL_P, TOP_P, MIN_P, XTC, TEMPERATURE }

    private static final Map<String, Kind> NAMES = Map.ofEntries(Map.entry("penalties", Kind.PENALTIES),
            Map.entry("dry", Kind.DRY), Map.entry("top_n_sigma", Kind.TOP_N_SIGMA), Map.entry("top-n-sigma", Kind.TOP_N_SIGMA),
            Map.entry("top_k", Kind.TOP_K), Map.entry("top-k", Kind.TOP_K), Map.entry("typ_p", Kind.TYPICAL_P),
            Map.entry("typical_p", Kind.TYPICAL_P), Map.entry("typical-p", Kind.TYPICAL_P), Map.entry("typical", Kind.TYPICAL_P),
            Map.entry("typ-p", Kind.TYPICAL_P), Map.entry("typ", Kind.TYPICAL_P), Map.entry("top_p", Kind.TOP_P),
            Map.entry("top-p", Kind.TOP_P), Map.entry("nucleus", Kind.TOP_P), Map.entry("min_p", Kind.MIN_P),
            Map.entry("min-p", Kind.MIN_P), Map.entry("xtc", Kind.XTC), Map.entry("temperature", Kind.TEMPERATURE),
            Map.entry("temp", Kind.TEMPERATURE));

    private static final Map<Character, Kind> LETTERS = Map.of('e', Kind.PENALTIES, 'd', Kind.DRY, 's', Kind.TOP_N_SIGMA,
            'k', Kind.TOP_K, 'y', Kind.TYPICAL_P, 'p', Kind.TOP_P, 'm', Kind.MIN_P, 'x', Kind.XTC, 't', Kind.TEMPERATURE);

    /** The filters whose survivors depend on the temperature. */
    private static final EnumSet<Kind> TEMPERATURE_DEPENDENT = EnumSet.of(Kind.TYPICAL_P, Kind.TOP_P, Kind.MIN_P, Kind.XTC);

    /** The request's chain, or null where it sends none (llama.cpp's default: every sampler, temperature last). */
    static LlamaSamplerChain read(JsonNode samplers) {
        if (samplers == null || samplers.isNull()) {
            return null;
        }
        List<Kind> order = new ArrayList<>();
        if (samplers.isTextual()) {
            for (char c : samplers.textValue().toCharArray()) {
                Kind kind = LETTERS.get(c);
                if (kind != null) {
                    order.add(kind);
                }
            }
        } else if (samplers.isArray()) {
            for (int i = 0; i < samplers.size(); i++) {
                JsonNode name = samplers.get(i);
                if (!name.isTextual()) {
                    throw ApiError.invalid("samplers[" + i + "]", "samplers must be a list of sampler names");
                }
                Kind kind = NAMES.get(name.textValue().toLowerCase(Locale.ROOT));
                if (kind != null) {
                    order.add(kind);
                }
            }
        } else {
            throw ApiError.invalid("samplers", "samplers must be a list of sampler names or a string of their letters");
        }
        EnumSet<Kind> listed = order.isEmpty() ? EnumSet.noneOf(Kind.class) : EnumSet.copyOf(order);
        int temperature = order.indexOf(Kind.TEMPERATURE);
        boolean first = temperature >= 0;
        for (int i = 0; i < temperature; i++) {
            if (TEMPERATURE_DEPENDENT.contains(order.get(i))) {
                first = false;
            }
        }
        boolean anyDependent = listed.stream().anyMatch(TEMPERATURE_DEPENDENT::contains);
        return new LlamaSamplerChain(listed, first && anyDependent);
    }

    /**
     * Turns off, in the request's fields, every sampler the chain leaves out (a temperature left out
     * draws at 1). Mirostat runs a chain of its own: its requests are left as they are.
     */
    void applyTo(ObjectNode fields) {
        JsonNode mirostat = fields.get("mirostat");
        if (mirostat != null && mirostat.isNumber() && mirostat.asInt() != 0) {
            return;
        }
        if (!listed.contains(Kind.PENALTIES)) {
            fields.remove("repetition_penalty");
            fields.put("repeat_penalty", 1.0);
            fields.put("presence_penalty", 0.0);
            fields.put("frequency_penalty", 0.0);
        }
        if (!listed.contains(Kind.DRY)) {
            fields.put("dry_multiplier", 0.0);
        }
        if (!listed.contains(Kind.TOP_N_SIGMA)) {
            fields.put("top_n_sigma", -1.0);
        }
        if (!listed.contains(Kind.TOP_K)) {
            fields.put("top_k", 0);
        }
        if (!listed.contains(Kind.TYPICAL_P)) {
            fields.put("typical_p", 1.0);
        }
        if (!listed.contains(Kind.TOP_P)) {
            fields.put("top_p", 1.0);
        }
        if (!listed.contains(Kind.MIN_P)) {
            fields.put("min_p", 0.0);
        }
        if (!listed.contains(Kind.XTC)) {
            fields.put("xtc_probability", 0.0);
        }
        if (!listed.contains(Kind.TEMPERATURE)) {
            fields.put("temperature", 1.0);
        }
    }
}
