package dev.switchyard.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.switchyard.kernels.format.GgmlType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every malformed file is rejected with a {@link GgufFormatException} naming the field and the
 * offset where reading stopped, never an IndexOutOfBoundsException, OutOfMemoryError or hang.
 */
@Timeout(20)
class GgufMalformedFileTest {

    /** Parses and expects a format error at exactly this field and offset. */
    static GgufFormatException rejects(byte[] bytes, String field, long offset) {
        Throwable t = catchThrowable(() -> GgufReader.parse(MemorySegment.ofArray(bytes)).close());
        assertThat(t).as("parse result").isInstanceOf(GgufFormatException.class);
        GgufFormatException e = (GgufFormatException) t;
        assertThat(e.field()).as("field of: %s", e.getMessage()).isEqualTo(field);
        assertThat(e.offset()).as("offset of: %s", e.getMessage()).isEqualTo(offset);
        assertThat(e.getMessage()).contains("'" + field + "'").contains("offset " + offset);
        return e;
    }

    static GgufFormatException rejects(GgufBytes b, String field, long offset) {
        return rejects(b.toArray(), field, offset);
    }

    /** A file with one metadata entry written by {@code value}, and no tensors. */
    static GgufBytes oneKey(String key, int typeId, Consumer<GgufBytes> value) {
        GgufBytes b = new GgufBytes().header(3, 0, 1).key(0, key, typeId);
        value.accept(b);
        return b.padTo(32);
    }

    /** A file with no metadata and one tensor info. */
    static GgufBytes oneTensor(long[] dims, int typeId, long offset, int dataBytes) {
        return new GgufBytes().header(3, 1, 0)
                .tensorInfo(0, "w", dims, typeId, offset)
                .padTo(32)
                .zeros("data", dataBytes);
    }

    // ---- header ----

    @Test
    void badMagicIsRejectedAtOffsetZero() {
        byte[] bytes = GgufHandAssembledTest.minimalV3().toArray();
        bytes[3] = 'G'; // "GGUG"
        assertThat(rejects(bytes, "magic", 0)).hasMessageContaining("not a GGUF file");
        rejects(new byte[64], "magic", 0);
        rejects("GGML\u0003\0\0\0".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1), "magic", 0);
    }

    @Test
    void emptyAndTinyFilesAreRejectedAtTheMagic() {
        rejects(new byte[0], "magic", 0);
        rejects(new byte[] {'G', 'G', 'U'}, "magic", 0);
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 1, 4, 0xFFFFFFFFL})
    void unsupportedVersionIsRejected(long version) {
        byte[] bytes = GgufHandAssembledTest.minimalV3().toArray();
        GgufBytes.putInt(bytes, 4, (int) version);
        GgufFormatException e = rejects(bytes, "version", 4);
        assertThat(e).hasMessageContaining("unsupported GGUF version " + version);
        if (version == 1) {
            assertThat(e).hasMessageContaining("obsolete");
        }
    }

    @Test
    void bigEndianVersionIsRejectedWithAHint() {
        byte[] bytes = GgufHandAssembledTest.minimalV3().toArray();
        GgufBytes.putInt(bytes, 4, 0x03000000);
        assertThat(rejects(bytes, "version", 4)).hasMessageContaining("big-endian");
    }

    @Test
    void truncationAtEveryHeaderBytePointsAtARealFieldAtOrBeforeTheCut() throws Exception {
        GgufBytes b = new GgufBytes().header(3, 2, 3)
                .key(0, "answer", GgufValueType.UINT32).u32("answer", 42)
                .key(1, "name", GgufValueType.STRING).str("name", "tiny")
                .key(2, "ids", GgufValueType.ARRAY).arrayHeader("ids", GgufValueType.INT16.id(), 2)
                .u16("ids (array element)", 1).u16("ids (array element)", 2)
                .tensorInfo(0, "w", new long[] {4, 2}, GgmlType.F32, 0)
                .tensorInfo(1, "q", new long[] {32}, GgmlType.Q8_0, 32)
                .padTo(32);
        long dataOffset = b.size();
        b.zeros("data", 32 + 34);
        byte[] full = b.toArray();
        try (GgufFile f = GgufReader.parse(MemorySegment.ofArray(full))) {
            assertThat(f.dataOffset()).isEqualTo(dataOffset);
        }
        for (int cut = 0; cut < full.length; cut++) {
            byte[] prefix = Arrays.copyOf(full, cut);
            Throwable t = catchThrowable(() -> GgufReader.parse(MemorySegment.ofArray(prefix)));
            assertThat(t).as("prefix of %d bytes", cut).isInstanceOf(GgufFormatException.class);
            GgufFormatException e = (GgufFormatException) t;
            assertThat(e.offset()).as("offset for a %d-byte prefix: %s", cut, e.getMessage()).isBetween(0L, (long) cut);
            assertThat(e.field()).as("field for a %d-byte prefix: %s", cut, e.getMessage())
                    .isEqualTo(b.labelAt(e.offset()));
        }
    }

    @Test
    void truncatedDataSectionNamesTheTensorThatRunsPastTheEnd() {
        GgufBytes b = GgufHandAssembledTest.minimalV3();
        byte[] bytes = Arrays.copyOf(b.toArray(), (int) b.size() - 1);
        assertThat(rejects(bytes, "w (offset)", b.offsetOf("w (offset)"))).hasMessageContaining("truncated");
        // cut inside the padding before the data section
        byte[] inPadding = Arrays.copyOf(b.toArray(), 90);
        rejects(inPadding, "data section", b.offsetOf("data section"));
    }

    // ---- lengths and counts ----

    @Test
    void stringLengthPastTheEndIsRejected() {
        GgufBytes key = new GgufBytes().header(3, 0, 1).u64("metadata key #0 (string length)", 1000).zeros("rest", 40);
        rejects(key, "metadata key #0 (string length)", 24);
        GgufBytes value = oneKey("s", GgufValueType.STRING.id(), v -> v.u64("s (string length)", 100).zeros("s", 10));
        rejects(value, "s (string length)", value.offsetOf("s (string length)"));
    }

    @ParameterizedTest
    @ValueSource(longs = {1L << 62, 1L << 30, (1L << 30) + 1, Long.MAX_VALUE, -1L, Long.MIN_VALUE})
    void hugeStringLengthIsRejectedWithoutAllocating(long length) {
        GgufBytes value = oneKey("s", GgufValueType.STRING.id(), v -> v.u64("s (string length)", length).zeros("s", 16));
        rejects(value, "s (string length)", value.offsetOf("s (string length)"));
        GgufBytes name = new GgufBytes().header(3, 1, 0).u64("tensor #0 name (string length)", length).zeros("x", 40);
        rejects(name, "tensor #0 name (string length)", 24);
    }

    @Test
    void arrayLengthPastTheEndIsRejected() {
        GgufBytes b = oneKey("a", GgufValueType.ARRAY.id(), v -> v.arrayHeader("a", GgufValueType.UINT32.id(), 100)
                .u32("a (array element)", 1));
        rejects(b, "a (array length)", b.offsetOf("a (array length)"));
        // strings take at least 8 bytes each; 5 of them cannot fit in 32 bytes
        GgufBytes s = oneKey("s", GgufValueType.ARRAY.id(), v -> v.arrayHeader("s", GgufValueType.STRING.id(), 5)
                .zeros("s (array element)", 32));
        rejects(Arrays.copyOf(s.toArray(), (int) s.offsetOf("s (array element)") + 32),
                "s (array length)", s.offsetOf("s (array length)"));
    }

    @ParameterizedTest
    @ValueSource(longs = {1L << 60, 1L << 40, Long.MAX_VALUE, -1L})
    void absurdCountsAreRejectedBeforeAllocating(long count) {
        byte[] tensors = GgufHandAssembledTest.minimalV3().toArray();
        GgufBytes.putLong(tensors, 8, count);
        rejects(tensors, "tensor_count", 8);

        byte[] kvs = GgufHandAssembledTest.minimalV3().toArray();
        GgufBytes.putLong(kvs, 16, count);
        rejects(kvs, "metadata_kv_count", 16);

        GgufBytes array = oneKey("a", GgufValueType.ARRAY.id(), v -> v.arrayHeader("a", GgufValueType.UINT8.id(), count)
                .zeros("a (array element)", 64));
        rejects(array, "a (array length)", array.offsetOf("a (array length)"));
        GgufBytes nested = oneKey("n", GgufValueType.ARRAY.id(), v -> v.arrayHeader("n", GgufValueType.ARRAY.id(), count)
                .zeros("n (array element)", 64));
        rejects(nested, "n (array length)", nested.offsetOf("n (array length)"));
    }

    // ---- type ids ----

    @ParameterizedTest
    @ValueSource(longs = {13, 14, 99, 0x7FFFFFFFL, 0xFFFFFFFFL})
    void unknownMetadataValueTypeIsRejected(long typeId) {
        GgufBytes b = oneKey("k", (int) typeId, v -> v.u64("k", 0));
        assertThat(rejects(b, "k", b.offsetOf("k (type)")))
                .hasMessageContaining("unknown metadata value type id " + typeId);
    }

    @ParameterizedTest
    @ValueSource(longs = {13, 255, 0xFFFFFFFFL})
    void unknownArrayElementTypeIsRejected(long typeId) {
        GgufBytes b = oneKey("a", GgufValueType.ARRAY.id(), v -> v.arrayHeader("a", (int) typeId, 1).u64("x", 0));
        assertThat(rejects(b, "a", b.offsetOf("a (array element type)")))
                .hasMessageContaining("unknown array element type id " + typeId);
        GgufBytes inner = oneKey("a", GgufValueType.ARRAY.id(), v -> v.arrayHeader("a", GgufValueType.ARRAY.id(), 1)
                .u32("inner type", typeId).u64("inner length", 1).u64("x", 0));
        rejects(inner, "a", inner.offsetOf("inner type"));
    }

    @ParameterizedTest
    @ValueSource(longs = {4, 5, 31, 32, 33, 36, 37, 38, 40, 99, 0xFFFFFFFFL})
    void unknownTensorTypeIdIsRejected(long typeId) {
        GgufBytes b = oneTensor(new long[] {32}, (int) typeId, 0, 256);
        assertThat(rejects(b, "w (type)", b.offsetOf("w (type)")))
                .hasMessageContaining("unknown tensor type id " + typeId);
    }

    // ---- shapes ----

    @ParameterizedTest
    @ValueSource(ints = {0, 5, 64})
    void rankOutsideOneToFourIsRejected(int rank) {
        GgufBytes b = new GgufBytes().header(3, 1, 0)
                .str("tensor #0 name", "w").u32("w (n_dims)", rank);
        for (int d = 0; d < Math.min(rank, 5); d++) {
            b.u64("w (dim " + d + ")", 1);
        }
        b.u32("w (type)", 0).u64("w (offset)", 0).padTo(32).zeros("data", 64);
        rejects(b, "w (n_dims)", b.offsetOf("w (n_dims)"));
    }

    @Test
    void rankFourIsTheLargestAccepted() throws Exception {
        try (GgufFile f = oneTensor(new long[] {1, 2, 3, 4}, 0, 0, 96).parse()) {
            assertThat(f.requireTensor("w").dims()).containsExactly(1, 2, 3, 4);
        }
    }

    @Test
    void elementCountOverflowIsRejectedAtTheDimThatOverflows() {
        GgufBytes b = oneTensor(new long[] {1L << 40, 1L << 40}, GgmlType.F32.id(), 0, 64);
        assertThat(rejects(b, "w (dim 1)", b.offsetOf("w (dim 1)"))).hasMessageContaining("overflows");
        GgufBytes later = oneTensor(new long[] {1L << 20, 1L << 20, 1L << 20, 1L << 20}, GgmlType.F32.id(), 0, 64);
        rejects(later, "w (dim 3)", later.offsetOf("w (dim 3)"));
    }

    @Test
    void byteSizeOverflowIsRejectedAtTheType() {
        // 2^62 elements fit in a long, their 2^64 bytes do not
        GgufBytes b = oneTensor(new long[] {1L << 31, 1L << 31}, GgmlType.F32.id(), 0, 64);
        assertThat(rejects(b, "w (type)", b.offsetOf("w (type)"))).hasMessageContaining("byte size overflows");
    }

    @Test
    void hugeButRepresentableTensorIsRejectedAsRunningPastTheEnd() {
        GgufBytes b = oneTensor(new long[] {1L << 20, 1L << 20}, GgmlType.F32.id(), 0, 64);
        rejects(b, "w (offset)", b.offsetOf("w (offset)"));
    }

    @ParameterizedTest
    @ValueSource(longs = {Long.MIN_VALUE, -1L, 0x8000000000000004L})
    void dimensionWithTheHighBitSetIsRejected(long dim) {
        GgufBytes b = oneTensor(new long[] {4, dim}, GgmlType.F32.id(), 0, 64);
        assertThat(rejects(b, "w (dim 1)", b.offsetOf("w (dim 1)"))).hasMessageContaining("too large");
        GgufBytes first = oneTensor(new long[] {dim}, GgmlType.F32.id(), 0, 64);
        rejects(first, "w (dim 0)", first.offsetOf("w (dim 0)"));
    }

    @Test
    void rowLengthThatIsNotAWholeNumberOfBlocksIsRejected() {
        GgufBytes q8 = oneTensor(new long[] {33, 2}, GgmlType.Q8_0.id(), 0, 256);
        assertThat(rejects(q8, "w (dim 0)", q8.offsetOf("w (dim 0)"))).hasMessageContaining("block size 32");
        GgufBytes q4k = oneTensor(new long[] {128}, GgmlType.Q4_K.id(), 0, 256);
        rejects(q4k, "w (dim 0)", q4k.offsetOf("w (dim 0)"));
    }

    // ---- placement ----

    @ParameterizedTest
    @ValueSource(longs = {4, 16, 31, 33, Long.MIN_VALUE, -32})
    void tensorOffsetNotAlignedIsRejected(long offset) {
        GgufBytes b = oneTensor(new long[] {4}, GgmlType.F32.id(), offset, 128);
        rejects(b, "w (offset)", b.offsetOf("w (offset)"));
    }

    @Test
    void tensorOffsetMustFollowACustomAlignment() throws Exception {
        GgufBytes b = new GgufBytes().header(3, 1, 1)
                .key(0, "general.alignment", GgufValueType.UINT32).u32("general.alignment", 64)
                .tensorInfo(0, "w", new long[] {4}, GgmlType.F32, 32)
                .padTo(64).zeros("data", 128);
        assertThat(rejects(b, "w (offset)", b.offsetOf("w (offset)"))).hasMessageContaining("alignment 64");
    }

    @Test
    void tensorPastTheEndOfTheFileIsRejected() {
        GgufBytes far = oneTensor(new long[] {4}, GgmlType.F32.id(), 1024, 64);
        rejects(far, "w (offset)", far.offsetOf("w (offset)"));
        GgufBytes huge = oneTensor(new long[] {4}, GgmlType.F32.id(), Long.MAX_VALUE & -32L, 64);
        rejects(huge, "w (offset)", huge.offsetOf("w (offset)"));
        GgufBytes straddles = oneTensor(new long[] {32}, GgmlType.F32.id(), 32, 32 + 127); // [32, 160) in 159 bytes
        rejects(straddles, "w (offset)", straddles.offsetOf("w (offset)"));
    }

    @Test
    void overlappingTensorsAreRejected() {
        GgufBytes b = new GgufBytes().header(3, 2, 0)
                .tensorInfo(0, "a", new long[] {16}, GgmlType.F32, 0) // [0, 64)
                .tensorInfo(1, "b", new long[] {8}, GgmlType.F32, 32) // [32, 64)
                .padTo(32).zeros("data", 128);
        assertThat(rejects(b, "b (offset)", b.offsetOf("b (offset)"))).hasMessageContaining("overlaps tensor 'a'");
        GgufBytes same = new GgufBytes().header(3, 2, 0)
                .tensorInfo(0, "a", new long[] {4}, GgmlType.F32, 64)
                .tensorInfo(1, "b", new long[] {4}, GgmlType.F32, 64)
                .padTo(32).zeros("data", 128);
        rejects(same, "b (offset)", same.offsetOf("b (offset)"));
    }

    @Test
    void overlapHiddenBehindAnEmptyTensorIsStillRejected() {
        GgufBytes b = new GgufBytes().header(3, 3, 0)
                .tensorInfo(0, "big", new long[] {32}, GgmlType.F32, 0)   // [0, 128)
                .tensorInfo(1, "empty", new long[] {0}, GgmlType.F32, 32) // [32, 32)
                .tensorInfo(2, "inner", new long[] {8}, GgmlType.F32, 64) // [64, 96) inside "big"
                .padTo(32).zeros("data", 256);
        assertThat(rejects(b, "inner (offset)", b.offsetOf("inner (offset)"))).hasMessageContaining("overlaps tensor 'big'");
        GgufBytes nested = new GgufBytes().header(3, 3, 0)
                .tensorInfo(0, "big", new long[] {64}, GgmlType.F32, 0)   // [0, 256)
                .tensorInfo(1, "small", new long[] {8}, GgmlType.F32, 32) // [32, 64)
                .tensorInfo(2, "late", new long[] {8}, GgmlType.F32, 128) // [128, 160)
                .padTo(32).zeros("data", 256);
        rejects(nested, "small (offset)", nested.offsetOf("small (offset)"));
    }

    @Test
    void adjacentAndEmptyTensorsSharingAnOffsetAreAccepted() throws Exception {
        GgufBytes b = new GgufBytes().header(3, 3, 0)
                .tensorInfo(0, "a", new long[] {8}, GgmlType.F32, 0)
                .tensorInfo(1, "e", new long[] {0, 3}, GgmlType.F32, 32)
                .tensorInfo(2, "b", new long[] {8}, GgmlType.F32, 32)
                .padTo(32).zeros("data", 64);
        try (GgufFile f = b.parse()) {
            assertThat(f.tensors()).extracting(GgufTensorInfo::name).containsExactly("a", "e", "b");
        }
    }

    @Test
    void duplicateTensorNamesAreRejected() {
        GgufBytes b = new GgufBytes().header(3, 2, 0)
                .tensorInfo(0, "w", new long[] {4}, GgmlType.F32, 0)
                .tensorInfo(1, "w", new long[] {4}, GgmlType.F32, 32)
                .padTo(32).zeros("data", 64);
        assertThat(rejects(b, "w", b.offsetOf("tensor #1 name (string length)"))).hasMessageContaining("duplicate tensor name");
    }

    // ---- metadata ----

    @Test
    void duplicateKeysAreRejected() {
        GgufBytes b = new GgufBytes().header(3, 0, 2)
                .key(0, "k", GgufValueType.UINT8).u8("k", 1)
                .key(1, "k", GgufValueType.UINT8).u8("k", 2)
                .padTo(32);
        assertThat(rejects(b, "k", b.offsetOf("metadata key #1 (string length)"))).hasMessageContaining("duplicate metadata key");
    }

    @Test
    void alignmentOfTheWrongTypeIsRejected() {
        GgufBytes u64 = oneKey("general.alignment", GgufValueType.UINT64.id(), v -> v.u64("general.alignment", 32));
        assertThat(rejects(u64, "general.alignment", u64.offsetOf("general.alignment (type)")))
                .hasMessageContaining("UINT32");
        GgufBytes str = oneKey("general.alignment", GgufValueType.STRING.id(), v -> v.str("general.alignment", "32"));
        rejects(str, "general.alignment", str.offsetOf("general.alignment (type)"));
        GgufBytes i32 = oneKey("general.alignment", GgufValueType.INT32.id(), v -> v.u32("general.alignment", 32));
        rejects(i32, "general.alignment", i32.offsetOf("general.alignment (type)"));
    }

    @ParameterizedTest
    @ValueSource(longs = {0, 3, 48, 100, 0xFFFFFFFFL, 0x80000001L})
    void alignmentThatIsNotAPowerOfTwoIsRejected(long alignment) {
        GgufBytes b = oneKey("general.alignment", GgufValueType.UINT32.id(), v -> v.u32("general.alignment", alignment));
        assertThat(rejects(b, "general.alignment", b.offsetOf("general.alignment")))
                .hasMessageContaining("not a power of two");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 0x80, 0xFF})
    void boolByteOtherThanZeroOrOneIsRejected(int value) {
        GgufBytes b = oneKey("flag", GgufValueType.BOOL.id(), v -> v.u8("flag", value));
        assertThat(rejects(b, "flag", b.offsetOf("flag"))).hasMessageContaining("boolean byte is " + value);
        GgufBytes array = oneKey("flags", GgufValueType.ARRAY.id(), v -> v.arrayHeader("flags", GgufValueType.BOOL.id(), 3)
                .u8("flags (array element)", 1).u8("bad", value).u8("last", 0));
        rejects(array, "flags (array element)", array.offsetOf("bad"));
    }

    /** {@code levels} arrays nested in one another, the innermost holding one UINT8. */
    static GgufBytes nestedArrays(int levels) {
        return oneKey("deep", GgufValueType.ARRAY.id(), v -> {
            for (int level = 1; level < levels; level++) {
                v.u32("level " + level, GgufValueType.ARRAY.id()).u64("count " + level, 1);
            }
            v.u32("level " + levels, GgufValueType.UINT8.id()).u64("count " + levels, 1).u8("value", 7);
        });
    }

    @Test
    void arraysNestedToTheLimitAreAccepted() throws Exception {
        try (GgufFile f = nestedArrays(GgufReader.MAX_ARRAY_DEPTH).parse()) {
            GgufArray a = f.metadata().requireArray("deep");
            for (int level = 1; level < GgufReader.MAX_ARRAY_DEPTH; level++) {
                assertThat(a.elementType()).isEqualTo(GgufValueType.ARRAY);
                a = (GgufArray) a.get(0);
            }
            assertThat(a).isEqualTo(GgufArray.ofInts(GgufValueType.UINT8, 7));
        }
    }

    @Test
    void arraysNestedDeeperThanTheLimitAreRejected() {
        int levels = GgufReader.MAX_ARRAY_DEPTH + 1;
        GgufBytes b = nestedArrays(levels);
        assertThat(rejects(b, "deep", b.offsetOf("level " + levels))).hasMessageContaining("nested deeper");
        // a hostile file nesting as deep as its bytes allow fails at the same level, without a stack overflow
        GgufBytes hostile = oneKey("deep", GgufValueType.ARRAY.id(), v -> {
            for (int level = 1; level <= 10_000; level++) {
                v.u32("level " + level, GgufValueType.ARRAY.id()).u64("count " + level, 1);
            }
        });
        rejects(hostile, "deep", hostile.offsetOf("level " + levels));
    }

    @Test
    void invalidUtf8InAStringIsToleratedRatherThanRejected() throws Exception {
        GgufBytes b = oneKey("tok", GgufValueType.STRING.id(), v -> v.u64("tok (string length)", 2).raw("tok", new byte[] {(byte) 0xE2, (byte) 0x82}));
        try (GgufFile f = b.parse()) {
            assertThat(f.metadata().requireString("tok")).isNotNull();
        }
    }

    // ---- files ----

    @Test
    void openingAMissingFileGivesACleanIOException(@TempDir Path dir) {
        assertThatThrownBy(() -> GgufReader.open(dir.resolve("absent.gguf"))).isInstanceOf(NoSuchFileException.class);
        assertThatThrownBy(() -> GgufFile.open(dir.resolve("absent.gguf"))).isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void openingADirectoryOrAnEmptyFileGivesAnIOException(@TempDir Path dir) throws IOException {
        assertThatThrownBy(() -> GgufReader.open(dir)).isInstanceOf(IOException.class);
        Path empty = Files.createFile(dir.resolve("empty.gguf"));
        assertThatThrownBy(() -> GgufReader.open(empty)).isInstanceOfSatisfying(GgufFormatException.class,
                e -> assertThat(e.field()).isEqualTo("magic"));
    }

    @Test
    void malformedFileOnDiskIsRejectedWithTheSameFieldAndOffset(@TempDir Path dir) throws IOException {
        GgufBytes b = oneTensor(new long[] {33}, GgmlType.Q8_0.id(), 0, 64);
        Path p = dir.resolve("bad.gguf");
        Files.write(p, b.toArray());
        assertThatThrownBy(() -> GgufReader.open(p)).isInstanceOfSatisfying(GgufFormatException.class, e -> {
            assertThat(e.field()).isEqualTo("w (dim 0)");
            assertThat(e.offset()).isEqualTo(b.offsetOf("w (dim 0)"));
        });
        // the failed open released its mapping: the file can be replaced and opened again
        Files.write(p, GgufHandAssembledTest.minimalV3().toArray());
        try (GgufFile f = GgufReader.open(p)) {
            assertThat(f.tensors()).hasSize(1);
        }
    }
}
