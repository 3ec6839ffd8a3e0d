package dev.switchyard.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.format.GgmlType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Files the writer produces read back with every value, tensor and layout choice intact. */
class GgufRoundTripTest {

    @TempDir
    Path dir;

    /** One value of every scalar type, extremes included, and arrays of every element type. */
    static Map<String, GgufValue> everyValueType() {
        Map<String, GgufValue> m = new LinkedHashMap<>();
        m.put("u8.min", new GgufValue(GgufValueType.UINT8, 0L));
        m.put("u8.max", new GgufValue(GgufValueType.UINT8, 255L));
        m.put("i8.min", new GgufValue(GgufValueType.INT8, -128L));
        m.put("i8.max", new GgufValue(GgufValueType.INT8, 127L));
        m.put("u16.max", new GgufValue(GgufValueType.UINT16, 65535L));
        m.put("i16.min", new GgufValue(GgufValueType.INT16, -32768L));
        m.put("u32.max", new GgufValue(GgufValueType.UINT32, 4294967295L));
        m.put("i32.min", new GgufValue(GgufValueType.INT32, (long) Integer.MIN_VALUE));
        m.put("u64.max", new GgufValue(GgufValueType.UINT64, -1L));
        m.put("i64.min", new GgufValue(GgufValueType.INT64, Long.MIN_VALUE));
        m.put("f32", GgufValue.ofFloat32(3.25f));
        m.put("f32.nan", GgufValue.ofFloat32(Float.NaN));
        m.put("f32.negzero", GgufValue.ofFloat32(-0f));
        m.put("f32.inf", GgufValue.ofFloat32(Float.NEGATIVE_INFINITY));
        m.put("f32.subnormal", GgufValue.ofFloat32(Float.MIN_VALUE));
        m.put("f64", new GgufValue(GgufValueType.FLOAT64, -1e300));
        m.put("f64.nan", new GgufValue(GgufValueType.FLOAT64, Double.NaN));
        m.put("bool.t", GgufValue.ofBool(true));
        m.put("bool.f", GgufValue.ofBool(false));
        m.put("str", GgufValue.ofString("llama"));
        m.put("str.empty", GgufValue.ofString(""));
        m.put("str.unicode", GgufValue.ofString("Grüße, 世界 — 🦙\u0000nul\n{{ bos_token }}"));
        m.put("ключ.日本", GgufValue.ofString("non-ASCII key"));
        m.put("", GgufValue.ofString("empty key"));
        m.put("a.u8", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.UINT8, 0, 1, 255)));
        m.put("a.i8", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT8, -128, 0, 127)));
        m.put("a.u16", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.UINT16, 0, 65535)));
        m.put("a.i16", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT16, -32768, 32767)));
        m.put("a.u32", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.UINT32, 0, 4294967295L)));
        m.put("a.i32", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT32, Integer.MIN_VALUE, -1, Integer.MAX_VALUE)));
        m.put("a.u64", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.UINT64, 0, -1L, Long.MAX_VALUE)));
        m.put("a.i64", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.INT64, Long.MIN_VALUE, 0, Long.MAX_VALUE)));
        m.put("a.f32", GgufValue.ofArray(GgufArray.ofFloats(1f, -0f, Float.NaN, Float.MAX_VALUE)));
        m.put("a.f64", GgufValue.ofArray(new GgufArray(GgufValueType.FLOAT64, new double[] {Math.E, -0d, Double.MIN_VALUE})));
        m.put("a.bool", GgufValue.ofArray(new GgufArray(GgufValueType.BOOL, new boolean[] {true, false, true})));
        m.put("a.str", GgufValue.ofArray(GgufArray.ofStrings("<s>", "", "▁the", "ü", "😀")));
        m.put("a.empty.u8", GgufValue.ofArray(GgufArray.ofInts(GgufValueType.UINT8)));
        m.put("a.empty.str", GgufValue.ofArray(GgufArray.ofStrings()));
        m.put("a.empty.f64", GgufValue.ofArray(new GgufArray(GgufValueType.FLOAT64, new double[0])));
        m.put("a.empty.bool", GgufValue.ofArray(new GgufArray(GgufValueType.BOOL, new boolean[0])));
        m.put("a.empty.nested", GgufValue.ofArray(new GgufArray(GgufValueType.ARRAY, new GgufArray[0])));
        m.put("a.nested", GgufValue.ofArray(new GgufArray(GgufValueType.ARRAY, new GgufArray[] {
                GgufArray.ofInts(GgufValueType.INT32, 1, 2, 3),
                GgufArray.ofStrings("x", ""),
                GgufArray.ofInts(GgufValueType.UINT8),
                new GgufArray(GgufValueType.ARRAY, new GgufArray[] {
                        GgufArray.ofFloats(0.5f),
                        new GgufArray(GgufValueType.ARRAY, new GgufArray[0])})})));
        return m;
    }

    /** Fills each byte with a pattern derived from the tensor's name, so a swapped tensor shows. */
    static GgufWriter.TensorFiller pattern(String name) {
        return target -> {
            Random r = new Random(name.hashCode());
            byte[] b = new byte[(int) target.byteSize()];
            r.nextBytes(b);
            MemorySegment.copy(MemorySegment.ofArray(b), 0, target, 0, b.length);
        };
    }

    static byte[] patternBytes(String name, long size) {
        byte[] b = new byte[(int) size];
        new Random(name.hashCode()).nextBytes(b);
        return b;
    }

    private Path write(GgufWriter w) throws IOException {
        Path p = dir.resolve("rt-" + System.nanoTime() + ".gguf");
        w.write(p);
        return p;
    }

    @Test
    void everyMetadataValueTypeRoundTrips() throws IOException {
        Map<String, GgufValue> values = everyValueType();
        GgufWriter w = new GgufWriter();
        values.forEach(w::put);
        try (GgufFile f = GgufReader.open(write(w))) {
            assertThat(f.metadata().asMap()).containsExactlyEntriesOf(values);
            assertThat(f.metadata().keys()).containsExactlyElementsOf(values.keySet());
            assertThat(f.tensors()).isEmpty();
            assertThat(f.dataOffset()).isEqualTo(f.fileSize());
            assertThat(f.dataOffset() % 32).isZero();
        }
    }

    @Test
    void typedAccessorsSeeTheValuesTheWriterPut() throws IOException {
        GgufWriter w = new GgufWriter()
                .putString("general.architecture", "qwen3moe")
                .putUint32("qwen3moe.expert_count", 128)
                .putFloat32("qwen3moe.rope.freq_base", 1_000_000f)
                .putBool("tokenizer.ggml.add_bos_token", false)
                .putArray("tokenizer.ggml.tokens", GgufArray.ofStrings("a", "b"))
                .putArray("tokenizer.ggml.scores", GgufArray.ofFloats(0f, -1f))
                .putArray("tokenizer.ggml.token_type", GgufArray.ofInts(GgufValueType.INT32, 1, 3));
        try (GgufFile f = GgufReader.open(write(w))) {
            GgufMetadata m = f.metadata();
            assertThat(m.requireString("general.architecture")).isEqualTo("qwen3moe");
            assertThat(m.requireInt("qwen3moe.expert_count", 1)).isEqualTo(128);
            assertThat(m.requireDouble("qwen3moe.rope.freq_base")).isEqualTo(1e6);
            assertThat(m.optBool("tokenizer.ggml.add_bos_token")).contains(false);
            assertThat(m.requireStringArray("tokenizer.ggml.tokens")).containsExactly("a", "b");
            assertThat(m.optFloatArray("tokenizer.ggml.scores")).hasValueSatisfying(a -> assertThat(a).containsExactly(0f, -1f));
            assertThat(m.optIntArray("tokenizer.ggml.token_type")).hasValueSatisfying(a -> assertThat(a).containsExactly(1, 3));
        }
    }

    /** A tensor of every ggml type, with a shape that is a whole number of blocks. */
    private static GgufWriter allTypes(GgufWriter w) {
        int i = 0;
        for (GgmlType t : GgmlType.values()) {
            long[] dims = switch (i++ % 4) {
                case 0 -> new long[] {t.blockSize()};
                case 1 -> new long[] {2L * t.blockSize(), 3};
                case 2 -> new long[] {t.blockSize(), 2, 1};
                default -> new long[] {t.blockSize(), 1, 2, 2};
            };
            w.addTensor("t." + t.name().toLowerCase(), t, dims, pattern("t." + t.name().toLowerCase()));
        }
        return w;
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 2, 8, 32, 64, 4096})
    void everyTensorTypeRoundTripsWithItsBytesAndAlignedOffsets(long alignment) throws IOException {
        GgufWriter w = new GgufWriter().putString("general.name", "all types");
        if (alignment > 0) {
            w.alignment(alignment);
        }
        allTypes(w);
        long expectedAlignment = alignment > 0 ? alignment : 32;
        try (GgufFile f = GgufReader.open(write(w))) {
            assertThat(f.alignment()).isEqualTo(expectedAlignment);
            assertThat(f.metadata().contains("general.alignment")).isEqualTo(alignment > 0);
            if (alignment > 0) {
                assertThat(f.metadata().requireLong("general.alignment")).isEqualTo(alignment);
            }
            assertThat(f.dataOffset() % expectedAlignment).isZero();
            assertThat(f.tensors()).hasSize(GgmlType.values().length);
            long expectedOffset = 0;
            int i = 0;
            for (GgmlType t : GgmlType.values()) {
                GgufTensorInfo info = f.tensors().get(i++);
                String name = "t." + t.name().toLowerCase();
                assertThat(info.name()).isEqualTo(name);
                assertThat(info.type()).isEqualTo(t);
                assertThat(info.relativeOffset()).isEqualTo(expectedOffset);
                assertThat(info.relativeOffset() % expectedAlignment).isZero();
                assertThat(info.absoluteOffset()).isEqualTo(f.dataOffset() + info.relativeOffset());
                assertThat(info.absoluteOffset() % expectedAlignment).isZero();
                assertThat(info.byteSize()).isEqualTo(info.elementCount() / t.blockSize() * t.typeSize());
                assertThat(f.data(info).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(patternBytes(name, info.byteSize()));
                assertThat(f.tensor(name)).contains(info);
                expectedOffset = GgufReader.alignUp(expectedOffset + info.byteSize(), expectedAlignment);
            }
            assertThat(f.fileSize()).isEqualTo(f.dataOffset() + expectedOffset);
        }
    }

    @Test
    void tensorDimsRoundTripInGgmlOrder() throws IOException {
        GgufWriter w = new GgufWriter()
                .addTensor("r1", GgmlType.F32, new long[] {7}, pattern("r1"))
                .addTensor("r2", GgmlType.F16, new long[] {5, 3}, pattern("r2"))
                .addTensor("r3", GgmlType.BF16, new long[] {2, 3, 4}, pattern("r3"))
                .addTensor("r4", GgmlType.Q8_0, new long[] {64, 1, 2, 3}, pattern("r4"))
                .addTensor("empty", GgmlType.Q4_K, new long[] {0, 4}, pattern("empty"))
                .addTensor("ünïcode.weight", GgmlType.F32, new long[] {1}, pattern("ünïcode.weight"));
        try (GgufFile f = GgufReader.open(write(w))) {
            assertThat(f.tensors()).extracting(GgufTensorInfo::name)
                    .containsExactly("r1", "r2", "r3", "r4", "empty", "ünïcode.weight");
            assertThat(f.requireTensor("r1").dims()).containsExactly(7);
            assertThat(f.requireTensor("r2").dims()).containsExactly(5, 3);
            assertThat(f.requireTensor("r3").dims()).containsExactly(2, 3, 4);
            assertThat(f.requireTensor("r4").dims()).containsExactly(64, 1, 2, 3);
            assertThat(f.requireTensor("r4").byteSize()).isEqualTo(12 * 34);
            assertThat(f.requireTensor("empty").byteSize()).isZero();
            assertThat(f.data(f.requireTensor("empty")).byteSize()).isZero();
            for (GgufTensorInfo t : f.tensors()) {
                assertThat(f.data(t).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(patternBytes(t.name(), t.byteSize()));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3})
    void bothVersionsRoundTrip(int version) throws IOException {
        GgufWriter w = new GgufWriter().version(version);
        everyValueType().forEach(w::put);
        w.addTensor("w", GgmlType.Q4_0, new long[] {32, 2}, pattern("w"));
        try (GgufFile f = GgufReader.open(write(w))) {
            assertThat(f.version()).isEqualTo(version);
            assertThat(f.metadata().asMap()).containsExactlyEntriesOf(everyValueType());
            assertThat(f.data(f.requireTensor("w")).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(patternBytes("w", 36));
        }
    }

    @Test
    void emptyFileWithNoMetadataAndNoTensorsRoundTrips() throws IOException {
        try (GgufFile f = GgufReader.open(write(new GgufWriter()))) {
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.metadata().size()).isZero();
            assertThat(f.tensors()).isEmpty();
            assertThat(f.fileSize()).isEqualTo(32); // 24-byte header padded to 32
            assertThat(f.dataOffset()).isEqualTo(32);
        }
    }

    @Test
    void alignmentOneLeavesNoPadding() throws IOException {
        GgufWriter w = new GgufWriter().alignment(1)
                .addTensor("a", GgmlType.Q8_0, new long[] {32}, pattern("a"))
                .addTensor("b", GgmlType.F16, new long[] {3}, pattern("b"))
                .addTensor("c", GgmlType.F32, new long[] {1}, pattern("c"));
        byte[] header = w.header();
        try (GgufFile f = GgufReader.open(write(w))) {
            assertThat(f.dataOffset()).isEqualTo(header.length);
            assertThat(f.tensors()).extracting(GgufTensorInfo::relativeOffset).containsExactly(0L, 34L, 40L);
            assertThat(f.fileSize()).isEqualTo(header.length + 44);
            for (GgufTensorInfo t : f.tensors()) {
                assertThat(f.data(t).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(patternBytes(t.name(), t.byteSize()));
            }
        }
    }

    @Test
    void parallelFillingWritesTheSameBytes() throws IOException {
        Path serial = dir.resolve("serial.gguf");
        Path parallel = dir.resolve("parallel.gguf");
        allTypes(new GgufWriter().alignment(64)).write(serial, false);
        allTypes(new GgufWriter().alignment(64)).write(parallel, true);
        assertThat(Files.readAllBytes(parallel)).isEqualTo(Files.readAllBytes(serial));
    }

    @Test
    void fileReadBackCanBeCopiedThroughTheWriterByteForByte() throws IOException {
        GgufWriter w = new GgufWriter().alignment(64);
        everyValueType().forEach(w::put);
        allTypes(w);
        Path original = write(w);
        Path copy = dir.resolve("copy.gguf");
        try (GgufFile f = GgufReader.open(original)) {
            GgufWriter c = new GgufWriter().putAll(f.metadata());
            for (GgufTensorInfo t : f.tensors()) {
                c.addTensor(t.name(), t.type(), t.dims(), target -> MemorySegment.copy(f.data(t), 0, target, 0, t.byteSize()));
            }
            c.write(copy);
        }
        assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(original));
    }

    @Test
    void dataOffsetsAreAlignedForManySmallTensors() throws IOException {
        GgufWriter w = new GgufWriter();
        for (int i = 0; i < 100; i++) {
            w.addTensor("blk." + i + ".ffn_gate_exps.weight", GgmlType.F16, new long[] {i + 1}, pattern("t" + i));
        }
        try (GgufFile f = GgufReader.open(write(w))) {
            List<GgufTensorInfo> ts = f.tensors();
            assertThat(ts).hasSize(100);
            for (GgufTensorInfo t : ts) {
                assertThat(t.absoluteOffset() % 32).isZero();
            }
        }
    }
}
