package dev.switchyard.engine.forward;

import dev.switchyard.engine.generate.LoadedModel;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.lora.LoraMix;
import dev.switchyard.engine.lora.LoraTarget;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.modelgen.ModelPreset;
import dev.switchyard.engine.modelgen.ModelSpec;
import dev.switchyard.engine.modelgen.RandomLoraGenerator;
import dev.switchyard.engine.modelgen.RandomModelGenerator;
import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What LoRA adapters add to a step of the small Mixtral preset (dim 512, 6 layers, 8 experts top-2,
 * q8_0) on 2 CPU threads: {@code rows} tokens of one sequence each (decode of a batch), every row
 * applying a rank-16 adapter on the attention projections ({@code attention}) or on every matrix an
 * adapter may change, the output head included ({@code all}), half the rows applying it
 * ({@code half}), or none ({@code none}).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "--add-modules=jdk.incubator.vector"})
public class LoraStepBenchmark {

    @Param({"1", "16", "64"})
    public int rows;

    @Param({"none", "attention", "all", "half"})
    public String adapter;

    /** The LoRA tensors' type: f16, as converters write them by default, or f32. */
    @Param({"f16"})
    public String dtype;

    private Path dir;
    private CpuBackend backend;
    private LoadedModel model;
    private StepBatch batch;
    private float[][] logits;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("switchyard-lora-bench");
        Path file = dir.resolve("small.gguf");
        RandomModelGenerator.write(ModelSpec.of(GeneratedArchitecture.MIXTRAL, ModelPreset.SMALL, GgmlType.Q8_0, 1), file);
        Path lora = dir.resolve("lora.gguf");
        try (GgufFile base = GgufFile.open(file)) {
            RandomLoraGenerator.write(base, new RandomLoraGenerator.LoraSpec(16, 32, adapter.equals("all")
                    ? EnumSet.allOf(LoraTarget.class) : RandomLoraGenerator.ATTENTION, GgmlType.valueOf(dtype.toUpperCase(
                    java.util.Locale.ROOT)), 1, 0.5), lora);
        }
        backend = new CpuBackend(2);
        model = LoadedModel.open(file, backend, 64, 64, 64 * 64);
        if (!adapter.equals("none")) {
            model.loadAdapters(List.of(lora));
        }
        batch = new StepBatch(64);
        for (int s = 0; s < rows; s++) {
            model.kv().reserve(s, 33);
            LoraMix mix = adapter.equals("none") || adapter.equals("half") && s % 2 == 1 ? LoraMix.NONE : LoraMix.of(1f);
            batch.add(s, 100 + s, 32, true, true, 0, mix);
        }
        logits = new float[rows][model.config().vocabSize()];
    }

    @Benchmark
    public float[][] step() {
        model.transformer().step(batch, model.kv(), logits);
        return logits;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        model.close();
        backend.close();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(dir);
    }
}
