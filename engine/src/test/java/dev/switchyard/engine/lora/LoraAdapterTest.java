package dev.switchyard.engine.lora;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufFormatException;
import dev.switchyard.engine.gguf.GgufWriter;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.modelgen.RandomLoraGenerator;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Adapter files the generator writes read back as written; malformed ones are refused, naming the problem. */
class LoraAdapterTest {

    @TempDir
    Path dir;

    private Path model;
    private GgufFile base;
    private int dim;

    @BeforeEach
    void openModel() throws Exception {
        model = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);
        base = GgufFile.open(model);
        dim = Math.toIntExact(base.requireTensor("blk.0.attn_q.weight").dim(0));
    }

    @org.junit.jupiter.api.AfterEach
    void closeModel() {
        base.close();
    }

    @Test
    void readsWhatTheGeneratorWrites() throws Exception {
        Path file = dir.resolve("style.gguf");
        RandomLoraGenerator.write(base, new RandomLoraGenerator.LoraSpec(8, 16, RandomLoraGenerator.ATTENTION,
                GgmlType.F16, 1, 0.5), file);
        try (LoraAdapter a = LoraAdapter.open(file, base)) {
            assertThat(a.name()).isEqualTo("style");
            assertThat(a.alpha()).isEqualTo(16f);
            assertThat(a.pairs()).hasSize(4 * 2); // four attention matrices in each of two blocks
            assertThat(a.pairs()).allSatisfy(p -> {
                assertThat(p.rank()).isEqualTo(8);
                assertThat(p.a().type()).isEqualTo(GgmlType.F16);
            });
            assertThat(a.pairs().getFirst().target()).isEqualTo(LoraTarget.ATTN_Q);
            assertThat(a.effectiveScale(a.pairs().getFirst(), 0.5f)).isEqualTo(0.5f * 16 / 8);
            assertThat(a.taskName()).isEmpty();
        }
    }

    @Test
    void withoutAlphaTheScaleIsAppliedAsItIs() throws Exception {
        Path file = dir.resolve("plain.gguf");
        RandomLoraGenerator.write(base, new RandomLoraGenerator.LoraSpec(4, 0, EnumSet.of(LoraTarget.OUTPUT),
                GgmlType.F32, 1, 0.5), file);
        try (LoraAdapter a = LoraAdapter.open(file, base)) {
            assertThat(a.pairs()).singleElement().satisfies(p -> assertThat(p.target()).isEqualTo(LoraTarget.OUTPUT));
            assertThat(a.effectiveScale(a.pairs().getFirst(), 0.75f)).isEqualTo(0.75f);
        }
    }

    /** An adapter file of one pair on {@code name}, A [aIn, aRank], B [bRank, bOut], then changed by {@code edit}. */
    private Path adapterFile(String name, long aIn, long aRank, long bRank, long bOut, Consumer<GgufWriter> edit)
            throws Exception {
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "llama");
        w.putString("general.type", "adapter");
        w.putString("adapter.type", "lora");
        w.putFloat32("adapter.lora.alpha", 8);
        if (name != null) {
            w.addTensor(name + ".lora_a", GgmlType.F32, new long[] {aIn, aRank}, zeros());
            w.addTensor(name + ".lora_b", GgmlType.F32, new long[] {bRank, bOut}, zeros());
        }
        edit.accept(w);
        Path file = Files.createTempFile(dir, "adapter", ".gguf");
        w.write(file);
        return file;
    }

    private static GgufWriter.TensorFiller zeros() {
        return target -> target.fill((byte) 0);
    }

    private Path good(Consumer<GgufWriter> edit) throws Exception {
        return adapterFile("blk.1.attn_q.weight", dim, 4, 4, dim, edit);
    }

    private void refused(Path file, String... fragments) {
        assertThatThrownBy(() -> LoraAdapter.open(file, base).close())
                .isInstanceOf(LoraAdapterException.class)
                .hasMessageStartingWith("LoRA adapter " + file.getFileName() + ": ")
                .hasMessageContainingAll(fragments);
    }

    @Test
    void aWellFormedHandWrittenAdapterOpens() throws Exception {
        try (LoraAdapter a = LoraAdapter.open(good(w -> { }), base)) {
            assertThat(a.pairs()).singleElement().satisfies(p -> {
                assertThat(p.layer()).isEqualTo(1);
                assertThat(p.rank()).isEqualTo(4);
            });
        }
    }

    @Test
    void aModelFileIsNotAnAdapter() {
        refused(model, "not an adapter", "general.type is missing");
    }

    @Test
    void anotherKindOfAdapterIsRefused() throws Exception {
        refused(good(w -> w.putString("adapter.type", "ia3")), "adapter.type is 'ia3'");
        refused(good(w -> w.putString("general.type", "model")), "general.type is 'model'");
    }

    @Test
    void anAdapterForAnotherArchitectureIsRefused() throws Exception {
        refused(good(w -> w.putString("general.architecture", "qwen3")), "'qwen3'", "'llama'");
    }

    @Test
    void anActivatedLoraIsRefused() throws Exception {
        refused(good(w -> w.putArray("adapter.alora.invocation_tokens",
                dev.switchyard.engine.gguf.GgufArray.ofInts(dev.switchyard.engine.gguf.GgufValueType.UINT32, 1, 2))),
                "activated LoRA");
    }

    @Test
    void aNegativeAlphaIsRefused() throws Exception {
        refused(good(w -> w.putFloat32("adapter.lora.alpha", -1)), "adapter.lora.alpha");
    }

    @Test
    void tensorsMustComeInPairs() throws Exception {
        refused(good(w -> w.addTensor("blk.0.attn_k.weight.lora_a", GgmlType.F32, new long[] {dim, 4}, zeros())),
                "blk.0.attn_k.weight has a .lora_a but no .lora_b");
        refused(good(w -> w.addTensor("blk.0.attn_k.weight", GgmlType.F32, new long[] {dim, 4}, zeros())),
                "blk.0.attn_k.weight is neither a .lora_a nor a .lora_b tensor");
        refused(adapterFile(null, 0, 0, 0, 0, w -> { }), "holds no LoRA tensors");
    }

    @Test
    void matricesThatCannotBeAdaptedAreRefusedByName() throws Exception {
        long vocab = base.requireTensor("token_embd.weight").dim(1);
        refused(adapterFile("token_embd.weight", dim, 4, 4, vocab, w -> { }), "token_embd.weight", "token embedding");
        long ffn = base.requireTensor("blk.0.ffn_gate_exps.weight").dim(1);
        refused(adapterFile("blk.0.ffn_gate_exps.weight", dim, 4, 4, ffn, w -> { }), "three-dimensional, a matrix per expert");
        refused(adapterFile("blk.0.ffn_up.weight", dim, 4, 4, dim, w -> { }),
                "blk.0.ffn_up.weight is not a tensor of the model");
        refused(adapterFile("blk.9.attn_q.weight", dim, 4, 4, dim, w -> { }), "blk.9.attn_q.weight is not a tensor");
        refused(adapterFile("blk.x.attn_q.weight", dim, 4, 4, dim, w -> { }), "does not name a block");
        refused(adapterFile("blk.0.attn_q.bias", dim, 4, 4, dim, w -> { }), "not a weight matrix");
        assertThat(LoraTarget.whyNot("ssm_conv1d")).contains("applied as a product");
    }

    @Test
    void routedExpertsTakeAStackOfPairsOnePerExpert() throws Exception {
        GgufTensorInfoShape gate = new GgufTensorInfoShape(base.requireTensor("blk.1.ffn_down_exps.weight").dims());
        GgufWriter w = new GgufWriter();
        w.putString("general.architecture", "llama");
        w.putString("general.type", "adapter");
        w.putString("adapter.type", "lora");
        w.addTensor("blk.1.ffn_down_exps.weight.lora_a", GgmlType.F32, new long[] {gate.in(), 4, gate.experts()}, zeros());
        w.addTensor("blk.1.ffn_down_exps.weight.lora_b", GgmlType.F32, new long[] {4, gate.out(), gate.experts()}, zeros());
        Path file = dir.resolve("experts.gguf");
        w.write(file);
        try (LoraAdapter a = LoraAdapter.open(file, base)) {
            assertThat(a.pairs()).singleElement().satisfies(p -> {
                assertThat(p.target()).isEqualTo(LoraTarget.EXPERT_DOWN);
                assertThat(p.rank()).isEqualTo(4);
            });
        }
        GgufWriter short_ = new GgufWriter();
        short_.putString("general.architecture", "llama");
        short_.putString("general.type", "adapter");
        short_.putString("adapter.type", "lora");
        short_.addTensor("blk.1.ffn_down_exps.weight.lora_a", GgmlType.F32, new long[] {gate.in(), 4, gate.experts() - 1},
                zeros());
        short_.addTensor("blk.1.ffn_down_exps.weight.lora_b", GgmlType.F32, new long[] {4, gate.out(), gate.experts() - 1},
                zeros());
        Path fewer = dir.resolve("fewer.gguf");
        short_.write(fewer);
        refused(fewer, "the model has " + gate.experts() + " experts");
    }

    /** A stacked matrix's ggml dims: [in, out, experts]. */
    private record GgufTensorInfoShape(long in, long out, long experts) {
        GgufTensorInfoShape(long[] dims) {
            this(dims[0], dims[1], dims[2]);
        }
    }

    @Test
    void shapesMustFitTheModelsMatrix() throws Exception {
        refused(adapterFile("blk.0.attn_q.weight", dim + 32, 4, 4, dim, w -> { }), "[" + dim + ", rank]");
        refused(adapterFile("blk.0.attn_q.weight", dim, 4, 4, dim + 32, w -> { }), "[rank, " + dim + "]");
        refused(adapterFile("blk.0.attn_q.weight", dim, 4, 8, dim, w -> { }), "do not share a rank", "not transposed");
    }

    @Test
    void aTruncatedFileIsAFormatError() throws Exception {
        Path whole = good(w -> { });
        Path cut = dir.resolve("cut.gguf");
        byte[] bytes = Files.readAllBytes(whole);
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length / 2));
        assertThatThrownBy(() -> LoraAdapter.open(cut, base).close()).isInstanceOf(GgufFormatException.class);
    }

    @Test
    void mixesAreEqualWhenTheyApplyTheSameAdaptersAlike() {
        assertThat(LoraMix.of(0.5f, 0f)).isEqualTo(LoraMix.of(0.5f)).hasSameHashCodeAs(LoraMix.of(0.5f));
        assertThat(LoraMix.of(0f, 0f)).isSameAs(LoraMix.NONE);
        assertThat(LoraMix.of(0.5f)).isNotEqualTo(LoraMix.of(0.25f));
        assertThat(LoraMix.of(0f, 1f).span()).isEqualTo(2);
        assertThat(LoraMix.of(0f, 1f)).hasToString("1:1.0");
        assertThatThrownBy(() -> LoraMix.of(Float.NaN)).hasMessageContaining("finite");
    }

    @Test
    void mergingAddsTheScaledProductOfBAndA() throws Exception {
        // W is 2 x 3 (ggml [3, 2]); A is rank 1 x 3; B is 2 x 1; alpha 2 at rank 1 and scale 0.5 gives s = 1
        float[] w = {1, 2, 3, 4, 5, 6};
        float[] a = {1, 0, -1};
        float[] b = {2, 3};
        Path basePath = dir.resolve("base.gguf");
        GgufWriter bw = new GgufWriter();
        bw.putString("general.architecture", "llama");
        bw.addTensor("blk.0.attn_q.weight", GgmlType.F32, new long[] {3, 2}, floats(w));
        bw.addTensor("blk.0.attn_k.weight", GgmlType.F32, new long[] {3, 2}, floats(w));
        bw.write(basePath);
        Path adapterPath = dir.resolve("one.gguf");
        GgufWriter aw = new GgufWriter();
        aw.putString("general.architecture", "llama");
        aw.putString("general.type", "adapter");
        aw.putString("adapter.type", "lora");
        aw.putFloat32("adapter.lora.alpha", 2);
        aw.addTensor("blk.0.attn_q.weight.lora_a", GgmlType.F32, new long[] {3, 1}, floats(a));
        aw.addTensor("blk.0.attn_q.weight.lora_b", GgmlType.F32, new long[] {1, 2}, floats(b));
        aw.write(adapterPath);
        Path merged = dir.resolve("merged.gguf");
        try (GgufFile in = GgufFile.open(basePath); LoraAdapter adapter = LoraAdapter.open(adapterPath, in)) {
            LoraMerge.Merged result = LoraMerge.write(in, java.util.List.of(new LoraMerge.Scaled(adapter, 0.5f)), merged);
            assertThat(result.matricesChanged()).isEqualTo(1);
        }
        try (GgufFile out = GgufFile.open(merged)) {
            // row 0 += 2 x [1, 0, -1]; row 1 += 3 x [1, 0, -1]; attn_k untouched
            assertThat(read(out, "blk.0.attn_q.weight")).containsExactly(3, 2, 1, 7, 5, 3);
            assertThat(read(out, "blk.0.attn_k.weight")).containsExactly(w);
            assertThat(out.metadata().requireString("general.architecture")).isEqualTo("llama");
        }
    }

    private static GgufWriter.TensorFiller floats(float[] values) {
        return target -> target.copyFrom(MemorySegment.ofArray(values));
    }

    private static float[] read(GgufFile file, String name) {
        MemorySegment data = file.data(file.requireTensor(name));
        return data.toArray(java.lang.foreign.ValueLayout.JAVA_FLOAT);
    }
}
