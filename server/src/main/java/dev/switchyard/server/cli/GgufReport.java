package dev.switchyard.server.cli;

import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.gguf.GgufArray;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufShard;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import dev.switchyard.engine.gguf.GgufValue;
import dev.switchyard.engine.gguf.GgufValueType;
import dev.switchyard.engine.model.DeltaNet;
import dev.switchyard.engine.model.LatentAttention;
import dev.switchyard.engine.model.Mamba2;
import dev.switchyard.engine.model.ModelConfig;
import dev.switchyard.engine.model.ModelConfigException;
import dev.switchyard.engine.model.ModelConfigReader;
import dev.switchyard.engine.model.TensorLayout;
import dev.switchyard.kernels.KvCacheType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code inspect} reports about a file, gathered once and rendered as text or JSON. A file that
 * is not a complete model (a vocabulary-only file, say) still gets its metadata and tensors listed,
 * with the reason it is not a runnable model.
 */
final class GgufReport {

    private final Path path;
    private final GgufFile file;
    private final int arrayItems;
    private final ModelConfig config;
    private final String configProblem;
    /** What a LoRA adapter file adapts (null for any other file). */
    private final Map<String, Object> adapter;

    private GgufReport(Path path, GgufFile file, int arrayItems, ModelConfig config, String configProblem,
                       Map<String, Object> adapter) {
        this.path = path;
        this.file = file;
        this.arrayItems = arrayItems;
        this.config = config;
        this.configProblem = configProblem;
        this.adapter = adapter;
    }

    static GgufReport of(Path path, GgufFile file, int arrayItems) {
        if (file.metadata().optString("general.type").filter("adapter"::equals).isPresent()) {
            return new GgufReport(path, file, arrayItems, null, "an adapter, not a model: load it beside its model with "
                    + "--lora", adapterSummary(file));
        }
        ModelConfig config = null;
        String problem = null;
        try {
            config = ModelConfigReader.read(file.metadata());
            if (config.vocabSize() == 0) {
                config = config.withVocabSize(file.tensor("token_embd.weight").map(t -> (int) t.dim(1)).orElse(0));
            }
            TensorLayout.validate(config, file);
        } catch (ModelConfigException e) {
            problem = e.getMessage();
        }
        return new GgufReport(path, file, arrayItems, config, problem, null);
    }

    /**
     * An adapter's kind, architecture, alpha, and the matrices it adapts: their names without block
     * and suffix, how many pairs, and the ranks (lora_a's second dimension).
     */
    private static Map<String, Object> adapterSummary(GgufFile file) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", file.metadata().optString("adapter.type").orElse(null));
        m.put("architecture", file.metadata().optString("general.architecture").orElse(null));
        m.put("alpha", file.metadata().optDouble("adapter.lora.alpha").orElse(0));
        java.util.SortedSet<String> targets = new java.util.TreeSet<>();
        java.util.SortedSet<Long> ranks = new java.util.TreeSet<>();
        int pairs = 0;
        for (GgufTensorInfo t : file.tensors()) {
            if (t.name().endsWith(".lora_a")) {
                pairs++;
                ranks.add(t.rank() >= 2 ? t.dim(1) : 0);
                targets.add(t.name().replaceFirst("^blk\\.\\d+\\.", "").replaceFirst("\\.weight\\.lora_a$", ""));
            }
        }
        m.put("matrices", pairs);
        m.put("targets", List.copyOf(targets));
        m.put("ranks", List.copyOf(ranks));
        return m;
    }

    Map<String, Object> toJson() {
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("file", path.toString());
        root.put("version", file.version());
        root.put("file_bytes", file.fileSize());
        root.put("alignment", file.alignment());
        root.put("data_offset", file.dataOffset());
        if (file.isSplit()) {
            List<Map<String, Object>> parts = new ArrayList<>();
            for (GgufShard part : file.shards()) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("file", part.path().toString());
                row.put("bytes", part.bytes());
                row.put("tensors", part.tensors().size());
                parts.add(row);
            }
            root.put("parts", parts);
        }
        Map<String, Object> md = new LinkedHashMap<>();
        file.metadata().asMap().forEach((k, v) -> md.put(k, jsonValue(v)));
        root.put("metadata", md);
        List<Map<String, Object>> tensors = new ArrayList<>();
        for (GgufTensorInfo t : file.tensors()) {
            Map<String, Object> row = new LinkedHashMap<>();
            row.put("name", t.name());
            row.put("type", t.type().name());
            row.put("shape", t.dims());
            row.put("bytes", t.byteSize());
            row.put("offset", t.absoluteOffset());
            if (file.isSplit()) {
                row.put("part", file.shards().indexOf(file.shardOf(t)) + 1);
            }
            tensors.add(row);
        }
        root.put("tensors", tensors);
        if (config != null) {
            root.put("config", configJson());
        }
        if (adapter != null) {
            root.put("adapter", adapter);
        }
        root.put("runnable", configProblem == null);
        if (configProblem != null) {
            root.put("not_runnable_because", configProblem);
        }
        return root;
    }

    private Object jsonValue(GgufValue v) {
        if (v.value() instanceof GgufArray a) {
            return jsonArray(a);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", v.type().name().toLowerCase(Locale.ROOT));
        m.put("value", v.type() == GgufValueType.UINT64 ? Long.toUnsignedString((Long) v.value()) : v.value());
        return m;
    }

    private Map<String, Object> jsonArray(GgufArray a) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "array");
        m.put("element_type", a.elementType().name().toLowerCase(Locale.ROOT));
        m.put("length", a.length());
        List<Object> head = new ArrayList<>();
        for (int i = 0; i < Math.min(arrayItems, a.length()); i++) {
            Object e = a.get(i);
            head.add(e instanceof GgufArray nested ? jsonArray(nested) : e);
        }
        m.put("head", head);
        return m;
    }

    private Map<String, Object> configJson() {
        ModelConfig c = config;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("architecture", c.architecture().ggufName());
        m.put("name", c.name());
        m.put("context_length", c.contextLength());
        m.put("dim", c.dim());
        m.put("layers", c.layers());
        m.put("heads", c.headCount());
        m.put("kv_heads", c.kvHeadCount());
        if (c.windows().stated()) {
            // MiMo-V2: its windowed blocks' own KV heads and rotary base, and its attention outputs' scale
            m.put("window_kv_heads", c.windows().kvHeads());
            m.put("window_rope_freq_base", c.windows().ropeBase());
        }
        if (c.valueScale() != 1.0) {
            m.put("attention_value_scale", c.valueScale());
        }
        m.put("head_dim_k", c.headDimK());
        m.put("head_dim_v", c.headDimV());
        m.put("feed_forward_length", c.feedForwardLength());
        m.put("experts", c.expertCount());
        m.put("experts_used", c.expertUsedCount());
        m.put("expert_feed_forward_length", c.expertFeedForwardLength());
        m.put("shared_expert_feed_forward_length", c.sharedExpertFeedForwardLength());
        m.put("shared_expert", c.architecture().sharedExpert().name().toLowerCase(Locale.ROOT));
        m.put("leading_dense_layers", c.leadingDenseLayers());
        m.put("routed_layers", c.routedLayers());
        m.put("expert_gating", c.routing().gating().name().toLowerCase(Locale.ROOT));
        m.put("expert_groups", c.routing().groupCount());
        m.put("expert_groups_used", c.routing().groupsUsed());
        m.put("expert_weights_scale", (float) c.routing().weightScale());
        LatentAttention latent = c.latentAttention();
        if (latent != null) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("q_lora_rank", latent.qLoraRank());
            a.put("kv_lora_rank", latent.kvLoraRank());
            a.put("key_length", latent.keyLength());
            a.put("value_length", latent.valueLength());
            a.put("yarn_log_multiplier", (float) latent.yarnLogMultiplier());
            m.put("latent_attention", a);
        }
        m.put("normalize_top_k", c.normalizeTopK());
        m.put("rms_eps", (float) c.rmsEps());
        m.put("rope_freq_base", (float) c.ropeFreqBase());
        m.put("rope_dimensions", c.ropeDimensions());
        m.put("rope_layout", c.architecture().ropeLayout().name().toLowerCase(Locale.ROOT));
        m.put("rope_scaling", c.ropeScaling().type().name().toLowerCase(Locale.ROOT));
        m.put("qk_norm", c.architecture().qkNorm().name().toLowerCase(Locale.ROOT));
        if (c.architecture().slidesWindows()) {
            // gpt-oss: every other block, the first among them, attends through the window; AFMoE three of four
            m.put("sliding_window", c.slidingWindow());
            m.put("windowed_blocks", java.util.stream.IntStream.range(0, c.layers())
                    .filter(b -> c.slidingWindow(b) > 0).boxed().toList());
        }
        if (c.convolution().present()) {
            // LFM2: the blocks that convolve over their last positions instead of attending (Qwen3.5:
            // those that run the delta rule after their convolution)
            m.put("convolution_length", c.convolution().length());
            m.put("convolution_blocks", c.convolution().blocks());
        }
        DeltaNet net = c.convolution().deltaNet();
        if (net != null) {
            m.put("delta_net_key_heads", net.keyHeads());
            m.put("delta_net_value_heads", net.valueHeads());
            m.put("delta_net_head_width", net.stateSize());
            if (net.channelGates()) {
                // Kimi-Linear: a decay per key channel, and latent attention that never rotates
                m.put("delta_net_decay", "per key channel");
                m.put("unrotated_blocks", unrotatedAttentionBlocks(c));
            } else {
                m.put("delta_net_value_heads_read_keys", net.tiledHeads() ? "tiled" : "grouped");
                m.put("attention_output_gate", true);
            }
            // what each running sequence holds whatever its length: a float32 state per block and value head
            m.put("recurrent_state_bytes_per_sequence", LoadedModel.recurrentStateBytes(c));
        }
        Mamba2 scan = c.convolution().mamba2();
        if (scan != null) {
            m.put("mamba2_heads", scan.heads());
            m.put("mamba2_head_width", scan.headDim());
            m.put("mamba2_state_size", scan.stateSize());
            m.put("mamba2_groups", scan.groups());
            m.put("recurrent_state_bytes_per_sequence", LoadedModel.recurrentStateBytes(c));
            // Granite 4.0-H's attention blocks have no rotary positions, as its converter states; Nemotron-H's never do
            m.put("unrotated_blocks", unrotatedAttentionBlocks(c));
            if (c.convolution().separatesFeedForward()) {
                // Nemotron-H: the blocks that run an FFN (or routed experts) alone
                m.put("feed_forward_blocks", c.convolution().feedForwardOnly());
                m.put("activation", "squared ReLU, no gate");
                if (c.expertLatentWidth() > 0) {
                    // Nemotron 3 Super: the width its routed experts work in
                    m.put("expert_latent_width", c.expertLatentWidth());
                }
            }
        }
        if (c.ropeSections().present()) {
            // Qwen3-VL: the interleaved sections, and the pairs that stay still for text
            var r = c.ropeSections();
            m.put("rope_sections", List.of(r.time(), r.height(), r.width(), r.extra()));
            m.put("rope_pairs_still_for_text", java.util.stream.IntStream.range(0, c.ropeDimensions() / 2)
                    .filter(r::stillForText).boxed().toList());
        }
        if (c.architecture().hasLayerPattern()) {
            // Llama 4: experts every moe_step-th block, every 4th block unrotated
            var pattern = c.pattern();
            m.put("interleave_moe_layer_step", pattern.moeStep());
            m.put("routed_blocks", java.util.stream.IntStream.range(0, c.layers()).filter(c::isRoutedBlock).boxed().toList());
            m.put("unrotated_blocks", java.util.stream.IntStream.range(0, c.layers()).filter(b -> !pattern.rotates(b))
                    .boxed().toList());
            m.put("rotated_qk_norm", pattern.rotatedQkNorm());
            m.put("expert_weights_on", c.architecture().weighsExpertInputs() ? "inputs" : "outputs");
        }
        if (c.architecture().statesScaleFactors() || c.architecture().mayStateScaleFactors()) {
            // Granite: the routed experts' weight scale above is the residual scale
            m.put("embedding_scale", (float) c.scales().embedding());
            m.put("residual_scale", (float) c.scales().residual());
            m.put("attention_scale", (float) c.attentionScale());
            m.put("logit_scale", (float) c.scales().logit());
        }
        if (c.architecture().scalesEmbeddingsByWidth()) {
            // AFMoE: embeddings times sqrt(width), a gate on the attention output, each branch normed
            m.put("embedding_scale", (float) c.scales().embedding());
            m.put("attention_output_gate", c.architecture().gatesAttentionOutput());
            m.put("branch_output_norms", c.architecture().normsBranchOutputs());
        }
        if (c.architecture().hasGptOssBlocks()) {
            m.put("attention_sinks", true);
            m.put("expert_activation", "swiglu clamped at 7, alpha 1.702, with biases");
        }
        m.put("vocab_size", c.vocabSize());
        // what --kv-memory buys: a sequence's position takes this much in each cache type
        Map<String, Object> kv = new LinkedHashMap<>();
        for (KvCacheType type : KvCacheType.values()) {
            kv.put(type.label(), LoadedModel.kvBytesPerPosition(c, type));
        }
        m.put("kv_bytes_per_position", kv);
        if (c.usesWindowPool()) {
            // the windowed blocks' own pool (and LFM2's convolution rows): a sequence holds about a window of
            // positions there, whatever its length
            Map<String, Object> windowed = new LinkedHashMap<>();
            for (KvCacheType type : KvCacheType.values()) {
                windowed.put(type.label(), LoadedModel.windowedKvBytesPerPosition(c, type));
            }
            m.put("windowed_kv_bytes_per_position", windowed);
        }
        return m;
    }

    String toText() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s: GGUF v%d, %s, %d metadata keys, %d tensors, alignment %d, data at offset %d%n",
                path, file.version(), Bytes.human(file.fileSize()), file.metadata().size(), file.tensors().size(),
                file.alignment(), file.dataOffset()));
        if (file.isSplit()) {
            sb.append("\nparts (offsets count from each part's start):\n");
            for (int i = 0; i < file.shards().size(); i++) {
                GgufShard part = file.shards().get(i);
                sb.append(String.format(Locale.ROOT, "  %d  %s  %s, %d tensors%n", i + 1, part.path(),
                        Bytes.human(part.bytes()), part.tensors().size()));
            }
        }
        sb.append("\nmetadata:\n");
        file.metadata().asMap().forEach((k, v) -> sb.append("  ").append(k).append(" = ").append(textValue(v)).append('\n'));
        sb.append("\ntensors:\n");
        int nameWidth = "name".length();
        for (GgufTensorInfo t : file.tensors()) {
            nameWidth = Math.max(nameWidth, t.name().length());
        }
        String row = "  %-" + nameWidth + "s  %-7s  %-22s  %12s  %14s%s%n";
        sb.append(String.format(Locale.ROOT, row, "name", "type", "shape", "bytes", "offset", file.isSplit() ? "  part" : ""));
        for (GgufTensorInfo t : file.tensors()) {
            sb.append(String.format(Locale.ROOT, row, t.name(), t.type().name(), Arrays.toString(t.dims()),
                    t.byteSize(), t.absoluteOffset(),
                    file.isSplit() ? String.format(Locale.ROOT, "  %4d", file.shards().indexOf(file.shardOf(t)) + 1) : ""));
        }
        if (adapter != null) {
            sb.append("\nadapter:\n");
            adapter.forEach((k, v) -> sb.append("  ").append(k).append(": ").append(v).append('\n'));
        }
        sb.append("\nmodel configuration:\n");
        if (config != null) {
            configJson().forEach((k, v) -> sb.append("  ").append(k).append(": ").append(v).append('\n'));
        }
        sb.append(configProblem == null ? "  runnable: yes\n" : "  runnable: no (" + configProblem + ")\n");
        return sb.toString();
    }

    private String textValue(GgufValue v) {
        return switch (v.value()) {
            case GgufArray a -> textArray(a);
            case String s -> quote(s);
            case Long l when v.type() == GgufValueType.UINT64 -> Long.toUnsignedString(l);
            default -> String.valueOf(v.value());
        };
    }

    private String textArray(GgufArray a) {
        StringBuilder sb = new StringBuilder("[" + a.elementType().name().toLowerCase(Locale.ROOT) + " x " + a.length() + "] [");
        int shown = Math.min(arrayItems, a.length());
        for (int i = 0; i < shown; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            Object e = a.get(i);
            sb.append(e instanceof String s ? quote(s) : e instanceof GgufArray nested ? textArray(nested) : String.valueOf(e));
        }
        if (a.length() > shown) {
            sb.append(shown > 0 ? ", ..." : "...");
        }
        return sb.append(']').toString();
    }

    /** Quotes a string on one line: long ones cut, control characters escaped. */
    /** The attention blocks that attend without rotary positions (Granite 4.0-H's, Nemotron-H's, Kimi-Linear's). */
    private static java.util.List<Integer> unrotatedAttentionBlocks(ModelConfig c) {
        return java.util.stream.IntStream.range(0, c.layers()).filter(b -> c.attends(b) && !c.pattern().rotates(b))
                .boxed().toList();
    }

    private static String quote(String s) {
        String cut = s.length() > 120 ? s.substring(0, 120) + "...(" + s.length() + " chars)" : s;
        StringBuilder sb = new StringBuilder("\"");
        cut.codePoints().forEach(cp -> {
            switch (cp) {
                case '\n' -> sb.append("\\n");
                case '\t' -> sb.append("\\t");
                case '\r' -> sb.append("\\r");
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                default -> {
                    if (cp < 0x20) {
                        sb.append(String.format(Locale.ROOT, "\\x%02x", cp));
                    } else {
                        sb.appendCodePoint(cp);
                    }
                }
            }
        });
        return sb.append('"').toString();
    }
}
