package dev.switchyard.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bytes assembled by hand, independently of the writer, decode to known values. */
class GgufHandAssembledTest {

    private static final ValueLayout.OfFloat F32_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /**
     * magic, v3, 1 tensor, 1 kv (24 bytes); "answer" UINT32 42 (8+6+4+4 = 22, to 46); tensor "w"
     * (8+1) rank 1 dim 4 F32 offset 0 (+33, to 79); padding to 96; four floats (to 112).
     */
    static GgufBytes minimalV3() {
        return new GgufBytes()
                .header(3, 1, 1)
                .key(0, "answer", GgufValueType.UINT32).u32("answer", 42)
                .tensorInfo(0, "w", new long[] {4}, GgmlType.F32, 0)
                .padTo(32)
                .f32("data", 1.5f).f32("data", -2f).f32("data", 0f).f32("data", 1e30f);
    }

    @Test
    void minimalV3FileDecodesToKnownValues() throws Exception {
        GgufBytes b = minimalV3();
        assertThat(b.size()).isEqualTo(112);
        try (GgufFile f = b.parse()) {
            assertThat(f.version()).isEqualTo(3);
            assertThat(f.alignment()).isEqualTo(32);
            assertThat(f.fileSize()).isEqualTo(112);
            assertThat(f.dataOffset()).isEqualTo(96);
            assertThat(f.path()).isNull();
            assertThat(f.metadata().size()).isEqualTo(1);
            assertThat(f.metadata().get("answer")).contains(new GgufValue(GgufValueType.UINT32, 42L));
            assertThat(f.metadata().requireLong("answer")).isEqualTo(42);

            assertThat(f.tensors()).hasSize(1);
            GgufTensorInfo w = f.requireTensor("w");
            assertThat(w.type()).isEqualTo(GgmlType.F32);
            assertThat(w.dims()).containsExactly(4);
            assertThat(w.rank()).isEqualTo(1);
            assertThat(w.elementCount()).isEqualTo(4);
            assertThat(w.byteSize()).isEqualTo(16);
            assertThat(w.relativeOffset()).isZero();
            assertThat(w.absoluteOffset()).isEqualTo(96);
            assertThat(f.data(w).toArray(F32_LE)).containsExactly(1.5f, -2f, 0f, 1e30f);
        }
    }

    @Test
    void minimalV3FileOpensFromDiskWithThePathRecorded(@TempDir Path dir) throws Exception {
        Path p = dir.resolve("minimal.gguf");
        Files.write(p, minimalV3().toArray());
        try (GgufFile f = GgufReader.open(p)) {
            assertThat(f.path()).isEqualTo(p);
            assertThat(f.dataOffset()).isEqualTo(96);
            assertThat(f.data(f.requireTensor("w")).toArray(F32_LE)).containsExactly(1.5f, -2f, 0f, 1e30f);
        }
    }

    @Test
    void versionTwoWithUint64CountsDecodesTheSame() throws Exception {
        byte[] bytes = minimalV3().toArray();
        GgufBytes.putInt(bytes, 4, 2);
        try (GgufFile f = GgufReader.parse(java.lang.foreign.MemorySegment.ofArray(bytes))) {
            assertThat(f.version()).isEqualTo(2);
            assertThat(f.requireTensor("w").absoluteOffset()).isEqualTo(96);
        }
    }

    @Test
    void everyScalarTypeDecodesFromItsWireEncoding() throws Exception {
        GgufBytes b = new GgufBytes().header(3, 0, 14)
                .key(0, "u8", GgufValueType.UINT8).u8("u8", 0xFF)
                .key(1, "i8", GgufValueType.INT8).u8("i8", 0x80)
                .key(2, "u16", GgufValueType.UINT16).u16("u16", 0xFFFE)
                .key(3, "i16", GgufValueType.INT16).u16("i16", 0x8000)
                .key(4, "u32", GgufValueType.UINT32).u32("u32", 0xFFFFFFFFL)
                .key(5, "i32", GgufValueType.INT32).u32("i32", 0x80000000L)
                .key(6, "u64", GgufValueType.UINT64).u64("u64", -1L)
                .key(7, "i64", GgufValueType.INT64).u64("i64", Long.MIN_VALUE)
                .key(8, "f32", GgufValueType.FLOAT32).f32("f32", -0.25f)
                .key(9, "f64", GgufValueType.FLOAT64).f64("f64", Math.PI)
                .key(10, "t", GgufValueType.BOOL).u8("t", 1)
                .key(11, "f", GgufValueType.BOOL).u8("f", 0)
                .key(12, "s", GgufValueType.STRING).str("s", "héllo ✓ 😀")
                .key(13, "a", GgufValueType.ARRAY).arrayHeader("a", GgufValueType.INT16.id(), 3)
                .u16("a (array element)", 1).u16("a (array element)", 0xFFFF).u16("a (array element)", 0x7FFF);
        try (GgufFile f = b.parse()) {
            GgufMetadata m = f.metadata();
            assertThat(m.keys()).containsExactly("u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64",
                    "f32", "f64", "t", "f", "s", "a");
            assertThat(m.requireLong("u8")).isEqualTo(255);
            assertThat(m.requireLong("i8")).isEqualTo(-128);
            assertThat(m.requireLong("u16")).isEqualTo(65534);
            assertThat(m.requireLong("i16")).isEqualTo(-32768);
            assertThat(m.requireLong("u32")).isEqualTo(4294967295L);
            assertThat(m.requireLong("i32")).isEqualTo(Integer.MIN_VALUE);
            assertThat(m.requireLong("u64")).isEqualTo(-1L); // bits kept
            assertThat(m.requireLong("i64")).isEqualTo(Long.MIN_VALUE);
            assertThat(m.get("f32").orElseThrow().value()).isEqualTo(-0.25f);
            assertThat(m.requireDouble("f64")).isEqualTo(Math.PI);
            assertThat(m.optBool("t")).contains(true);
            assertThat(m.optBool("f")).contains(false);
            assertThat(m.requireString("s")).isEqualTo("héllo ✓ 😀");
            assertThat(m.requireArray("a")).isEqualTo(GgufArray.ofInts(GgufValueType.INT16, 1, -1, 32767));
            assertThat(f.tensors()).isEmpty();
            assertThat(f.dataOffset()).isEqualTo(GgufReader.alignUp(b.size(), 32));
        }
    }

    @Test
    void explicitAlignmentPlacesTheDataSectionAndOffsets() throws Exception {
        GgufBytes b = new GgufBytes().header(3, 2, 1)
                .key(0, "general.alignment", GgufValueType.UINT32).u32("general.alignment", 64)
                .tensorInfo(0, "a", new long[] {2}, GgmlType.F32, 0)
                .tensorInfo(1, "b", new long[] {32, 1}, GgmlType.Q8_0, 64)
                .padTo(64);
        long dataOffset = b.size();
        b.f32("a", 7f).f32("a", 8f).zeros("pad", 56).zeros("b", 34);
        try (GgufFile f = b.parse()) {
            assertThat(f.alignment()).isEqualTo(64);
            assertThat(dataOffset % 64).isZero();
            assertThat(f.dataOffset()).isEqualTo(dataOffset);
            assertThat(f.requireTensor("a").absoluteOffset()).isEqualTo(dataOffset);
            assertThat(f.requireTensor("b").absoluteOffset()).isEqualTo(dataOffset + 64);
            assertThat(f.requireTensor("b").byteSize()).isEqualTo(34);
            assertThat(f.data(f.requireTensor("a")).toArray(F32_LE)).containsExactly(7f, 8f);
        }
    }

    @Test
    void zeroSizedTensorAtTheEndOfTheFileIsAccepted() throws Exception {
        GgufBytes b = new GgufBytes().header(3, 1, 0)
                .tensorInfo(0, "empty", new long[] {0, 5}, GgmlType.Q4_K, 0)
                .padTo(32);
        try (GgufFile f = b.parse()) {
            GgufTensorInfo t = f.requireTensor("empty");
            assertThat(t.elementCount()).isZero();
            assertThat(t.byteSize()).isZero();
            assertThat(f.data(t).byteSize()).isZero();
        }
    }
}
