package dev.switchyard.engine.modelgen;

import dev.switchyard.engine.model.Architecture;
import dev.switchyard.engine.model.TensorSpec;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The names {@code make-model --arch} accepts. They are the GGUF architecture names, plus
 * {@code mixtral}, which llama.cpp writes as {@code llama} with experts, and {@code deepseek2-lite},
 * DeepSeek-V2-Lite's shape of {@code deepseek2} (queries without the low-rank path, routed weights
 * unscaled) beside {@code deepseek2}'s DeepSeek-V2 shape, and {@code glm4moe-air}, GLM-4.5-Air's
 * shape of {@code glm4moe} (no QK-norm, routed weights unscaled), and {@code llama3}, Llama 3.1's
 * shape of {@code llama} (base 500000, and the long-context scaling of its rotary frequencies in
 * {@code rope_freqs}), as {@code llama4} has them too; {@code nemotron_h_moe-latent} is Nemotron 3
 * Super's shape of {@code nemotron_h_moe}, its routed experts in a latent width.
 */
public enum GeneratedArchitecture {
    MIXTRAL("mixtral", Architecture.LLAMA, true),
    LLAMA("llama", Architecture.LLAMA, false),
    LLAMA3("llama3", Architecture.LLAMA, false),
    QWEN2("qwen2", Architecture.QWEN2, false),
    QWEN3("qwen3", Architecture.QWEN3, false),
    QWEN2MOE("qwen2moe", Architecture.QWEN2MOE, true),
    QWEN3MOE("qwen3moe", Architecture.QWEN3MOE, true),
    OLMOE("olmoe", Architecture.OLMOE, true),
    DEEPSEEK("deepseek", Architecture.DEEPSEEK, true),
    DEEPSEEK2("deepseek2", Architecture.DEEPSEEK2, true),
    DEEPSEEK2_LITE("deepseek2-lite", Architecture.DEEPSEEK2, true),
    GLM4MOE("glm4moe", Architecture.GLM4MOE, true),
    GLM4MOE_AIR("glm4moe-air", Architecture.GLM4MOE, true),
    GPT_OSS("gpt-oss", Architecture.GPT_OSS, true),
    GRANITE("granite", Architecture.GRANITE, false),
    GRANITE_MOE("granitemoe", Architecture.GRANITE_MOE, true),
    GRANITE_MOE_SHARED("granitemoe-shared", Architecture.GRANITE_MOE, true),
    LLAMA4("llama4", Architecture.LLAMA4, true),
    ERNIE4_5_MOE("ernie4_5-moe", Architecture.ERNIE4_5_MOE, true),
    DOTS1("dots1", Architecture.DOTS1, true),
    MINIMAX_M2("minimax-m2", Architecture.MINIMAX_M2, true),
    QWEN3VL("qwen3vl", Architecture.QWEN3VL, false),
    QWEN3VLMOE("qwen3vlmoe", Architecture.QWEN3VLMOE, true),
    HUNYUAN_MOE("hunyuan-moe", Architecture.HUNYUAN_MOE, true),
    BAILINGMOE2("bailingmoe2", Architecture.BAILINGMOE2, true),
    AFMOE("afmoe", Architecture.AFMOE, true),
    BAILINGMOE("bailingmoe", Architecture.BAILINGMOE, true),
    LFM2("lfm2", Architecture.LFM2, false),
    LFM2MOE("lfm2moe", Architecture.LFM2MOE, true),
    EXAONE_MOE("exaone-moe", Architecture.EXAONE_MOE, true),
    QWEN35MOE("qwen35moe", Architecture.QWEN35MOE, true),
    QWEN35("qwen35", Architecture.QWEN35, false),
    QWEN3NEXT("qwen3next", Architecture.QWEN3NEXT, true),
    GRANITE_HYBRID("granitehybrid", Architecture.GRANITE_HYBRID, true),
    NEMOTRON_H_MOE("nemotron_h_moe", Architecture.NEMOTRON_H_MOE, true),
    NEMOTRON_H_MOE_LATENT("nemotron_h_moe-latent", Architecture.NEMOTRON_H_MOE, true),
    NEMOTRON_H("nemotron_h", Architecture.NEMOTRON_H, false),
    KIMI_LINEAR("kimi-linear", Architecture.KIMI_LINEAR, true),
    MIMO2("mimo2", Architecture.MIMO2, true);

    private final String cliName;
    private final Architecture architecture;
    private final boolean moeByDefault;

    GeneratedArchitecture(String cliName, Architecture architecture, boolean moeByDefault) {
        this.cliName = cliName;
        this.architecture = architecture;
        this.moeByDefault = moeByDefault;
    }

    public String cliName() {
        return cliName;
    }

    public Architecture architecture() {
        return architecture;
    }

    /** Whether the preset's experts apply unless overridden (dense families get none). */
    public boolean moeByDefault() {
        return moeByDefault;
    }

    /**
     * Whether files of this shape leave out a tensor their family may have (GLM-4.5-Air's QK-norm;
     * every shape but {@code llama3}'s, the rope frequency factors).
     */
    public boolean leavesOut(TensorSpec spec) {
        if (spec.role() == dev.switchyard.engine.model.TensorRole.ROPE_FACTORS) {
            return this != LLAMA3 && this != LLAMA4;
        }
        return this == GLM4MOE_AIR && (spec.name().endsWith("attn_q_norm.weight") || spec.name().endsWith("attn_k_norm.weight"));
    }

    public static GeneratedArchitecture fromCliName(String name) {
        for (GeneratedArchitecture a : values()) {
            if (a.cliName.equalsIgnoreCase(name)) {
                return a;
            }
        }
        throw new IllegalArgumentException("unknown architecture '" + name + "' (choose from " + names() + ")");
    }

    public static String names() {
        return Arrays.stream(values()).map(GeneratedArchitecture::cliName).collect(Collectors.joining(", "));
    }
}
