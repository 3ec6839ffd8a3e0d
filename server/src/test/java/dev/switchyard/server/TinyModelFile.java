package dev.switchyard.server;

import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.modelgen.ModelPreset;
import dev.switchyard.engine.modelgen.ModelSpec;
import dev.switchyard.engine.modelgen.RandomModelGenerator;
import dev.switchyard.kernels.format.GgmlType;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The tiny Mixtral the server tests serve (2 layers, context 256, the generator's ChatML template), written once per JVM. */
public final class TinyModelFile {

    private static Path model;
    private static Path deepseek;
    private static Path gptOss;
    private static Path longContext;
    private static Path qwen35Moe;
    private static Path graniteHybrid;
    private static Path nemotronHMoe;
    private static Path kimiLinear;

    private TinyModelFile() {
    }

    public static synchronized Path path() {
        if (model == null) {
            model = write(GeneratedArchitecture.MIXTRAL, 2, "tiny-mixtral.gguf", GgmlType.Q8_0);
        }
        return model;
    }

    /**
     * A tiny DeepSeek-V3-shaped model (3 blocks: a dense first block, then two that route; latent
     * attention; sigmoid routing over expert groups), written once per JVM.
     */
    public static synchronized Path deepseek() {
        if (deepseek == null) {
            deepseek = write(GeneratedArchitecture.DEEPSEEK2, 3, "tiny-deepseek2.gguf", GgmlType.Q8_0);
        }
        return deepseek;
    }

    /**
     * A tiny gpt-oss-shaped model (2 blocks, the first attending through a window of 16 positions;
     * sinks and biases; its routed experts in MXFP4, the rest Q8_0), written once per JVM.
     */
    public static synchronized Path gptOss() {
        if (gptOss == null) {
            gptOss = write(GeneratedArchitecture.GPT_OSS, 2, "tiny-gpt-oss.gguf", GgmlType.MXFP4);
        }
        return gptOss;
    }

    /**
     * A tiny Qwen3.5-MoE-shaped model (4 blocks, three of them delta-net blocks carrying a state per
     * sequence, the fourth attending), written once per JVM.
     */
    public static synchronized Path qwen35Moe() {
        if (qwen35Moe == null) {
            qwen35Moe = write(GeneratedArchitecture.QWEN35MOE, 4, "tiny-qwen35moe.gguf", GgmlType.Q8_0, 1024);
        }
        return qwen35Moe;
    }

    /**
     * A tiny Granite-4.0-H-shaped model (4 blocks, three of them Mamba2 blocks carrying a state per
     * sequence, the third attending without rotary positions), written once per JVM.
     */
    public static synchronized Path graniteHybrid() {
        if (graniteHybrid == null) {
            graniteHybrid = write(GeneratedArchitecture.GRANITE_HYBRID, 4, "tiny-granitehybrid.gguf", GgmlType.Q8_0, 1024);
        }
        return graniteHybrid;
    }

    /**
     * A tiny Nemotron-H-MoE-shaped model (4 blocks of one part each: Mamba2, routed experts,
     * attention, routed experts), written once per JVM.
     */
    public static synchronized Path nemotronHMoe() {
        if (nemotronHMoe == null) {
            nemotronHMoe = write(GeneratedArchitecture.NEMOTRON_H_MOE, 4, "tiny-nemotron_h_moe.gguf", GgmlType.Q8_0, 1024);
        }
        return nemotronHMoe;
    }

    /**
     * A tiny Kimi-Linear-shaped model (4 blocks: three of delta attention carrying a state per
     * sequence, then unrotated latent attention), written once per JVM.
     */
    public static synchronized Path kimiLinear() {
        if (kimiLinear == null) {
            kimiLinear = write(GeneratedArchitecture.KIMI_LINEAR, 4, "tiny-kimi-linear.gguf", GgmlType.Q8_0, 1024);
        }
        return kimiLinear;
    }

    /** The tiny Mixtral with a context of 1024: room for a prompt that lays out tools. */
    public static synchronized Path longContext() {
        if (longContext == null) {
            longContext = write(GeneratedArchitecture.MIXTRAL, 2, "tiny-mixtral-1k.gguf", GgmlType.Q8_0, 1024);
        }
        return longContext;
    }

    private static Path write(GeneratedArchitecture arch, int layers, String name, GgmlType type) {
        return write(arch, layers, name, type, 256);
    }

    private static Path write(GeneratedArchitecture arch, int layers, String name, GgmlType type, int context) {
        try {
            Path dir = Files.createTempDirectory("switchyard-server-tests");
            dir.toFile().deleteOnExit();
            Path file = dir.resolve(name);
            RandomModelGenerator.write(new ModelSpec(arch, ModelPreset.TINY, layers, null, null, null, null, null, null,
                    context, type, 11, null), file);
            file.toFile().deleteOnExit();
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
