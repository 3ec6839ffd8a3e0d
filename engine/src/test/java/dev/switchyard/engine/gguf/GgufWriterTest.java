package dev.switchyard.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.kernels.format.GgmlType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The writer refuses what it cannot write correctly and never leaves a half-written file behind. */
class GgufWriterTest {

    @TempDir
    Path dir;

    private static GgufWriter.TensorFiller fillWith(int value) {
        return target -> target.fill((byte) value);
    }

    private List<String> files() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void duplicateTensorNameIsRejected() {
        GgufWriter w = new GgufWriter().addTensor("w", GgmlType.F32, new long[] {4}, fillWith(0));
        assertThatThrownBy(() -> w.addTensor("w", GgmlType.F16, new long[] {8}, fillWith(0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("duplicate tensor name w");
    }

    @ParameterizedTest
    @ValueSource(longs = {0, -1, -32, 3, 48, 1L << 31, 1L << 32, Long.MIN_VALUE})
    void alignmentThatIsNotAPowerOfTwoInUint32RangeIsRejected(long alignment) {
        assertThatThrownBy(() -> new GgufWriter().alignment(alignment)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void alignmentSetThroughMetadataIsValidatedToo() {
        assertThatThrownBy(() -> new GgufWriter().put("general.alignment", GgufValue.ofUint32(48)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GgufWriter().put("general.alignment", GgufValue.ofUint64(64)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("UINT32");
        assertThatThrownBy(() -> new GgufWriter().putString("general.alignment", "64"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void alignmentSetThroughMetadataIsApplied() throws Exception {
        GgufWriter w = new GgufWriter().putUint32("general.alignment", 128)
                .addTensor("a", GgmlType.F32, new long[] {3}, fillWith(1))
                .addTensor("b", GgmlType.F32, new long[] {3}, fillWith(2));
        Path p = dir.resolve("m.gguf");
        w.write(p);
        try (GgufFile f = GgufReader.open(p)) {
            assertThat(f.alignment()).isEqualTo(128);
            assertThat(f.dataOffset() % 128).isZero();
            assertThat(f.requireTensor("b").relativeOffset()).isEqualTo(128);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 4, -3})
    void unsupportedVersionIsRejected(int version) {
        assertThatThrownBy(() -> new GgufWriter().version(version)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void badShapesAreRejected() {
        GgufWriter w = new GgufWriter();
        assertThatThrownBy(() -> w.addTensor("r0", GgmlType.F32, new long[0], fillWith(0)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.addTensor("r5", GgmlType.F32, new long[] {1, 1, 1, 1, 1}, fillWith(0)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.addTensor("neg", GgmlType.F32, new long[] {4, -1}, fillWith(0)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> w.addTensor("q", GgmlType.Q8_0, new long[] {33}, fillWith(0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("block size");
        assertThatThrownBy(() -> w.addTensor("elements", GgmlType.F32, new long[] {1L << 40, 1L << 40}, fillWith(0)))
                .isInstanceOf(ArithmeticException.class);
    }

    @Test
    void tensorWhoseByteSizeOverflowsIsRejected() {
        // 2^62 elements fit in a long; their 2^64 bytes do not
        assertThatThrownBy(() -> new GgufWriter().addTensor("w", GgmlType.F32, new long[] {1L << 31, 1L << 31}, fillWith(0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("byte size");
    }

    @Test
    void integerValueOutsideItsTypesRangeIsRejectedRatherThanTruncated() throws IOException {
        List<GgufValue> bad = List.of(
                new GgufValue(GgufValueType.UINT8, 256L), new GgufValue(GgufValueType.UINT8, -1L),
                new GgufValue(GgufValueType.INT8, 128L), new GgufValue(GgufValueType.INT8, -129L),
                new GgufValue(GgufValueType.UINT16, 65536L), new GgufValue(GgufValueType.INT16, 40000L),
                new GgufValue(GgufValueType.UINT32, 1L << 32), new GgufValue(GgufValueType.UINT32, -1L),
                new GgufValue(GgufValueType.INT32, 1L << 31),
                GgufValue.ofArray(GgufArray.ofInts(GgufValueType.UINT8, 1, 2, 300)));
        for (GgufValue v : bad) {
            Path p = dir.resolve("bad.gguf");
            assertThatThrownBy(() -> new GgufWriter().put("k", v).write(p))
                    .as("%s %s", v.type(), v.value()).isInstanceOf(IllegalArgumentException.class);
            assertThat(files()).isEmpty();
        }
    }

    @Test
    void fillerIOExceptionLeavesNoFileBehind() throws IOException {
        Path p = dir.resolve("out.gguf");
        IOException boom = new IOException("disk on fire");
        GgufWriter w = new GgufWriter()
                .addTensor("ok", GgmlType.F32, new long[] {16}, fillWith(1))
                .addTensor("bad", GgmlType.F32, new long[] {16}, target -> {
                    throw boom;
                });
        assertThatThrownBy(() -> w.write(p)).isSameAs(boom);
        assertThat(files()).isEmpty();
        assertThatThrownBy(() -> w.write(p, true)).isInstanceOf(IOException.class).hasMessageContaining("disk on fire");
        assertThat(files()).isEmpty();
    }

    @Test
    void fillerRuntimeExceptionOrErrorLeavesNoFileBehind() throws IOException {
        Path p = dir.resolve("out.gguf");
        List<Throwable> failures = List.of(new IllegalStateException("bad weights"), new AssertionError("bad shape"),
                new StackOverflowError());
        for (Throwable failure : failures) {
            for (boolean parallel : new boolean[] {false, true}) {
                GgufWriter w = new GgufWriter()
                        .addTensor("a", GgmlType.F32, new long[] {16}, fillWith(1))
                        .addTensor("b", GgmlType.F32, new long[] {16}, target -> {
                            if (failure instanceof RuntimeException r) {
                                throw r;
                            }
                            throw (Error) failure;
                        });
                assertThatThrownBy(() -> w.write(p, parallel)).as("%s parallel=%s", failure, parallel)
                        .isInstanceOf(failure.getClass());
                assertThat(files()).as("%s parallel=%s", failure, parallel).isEmpty();
            }
        }
    }

    @Test
    void failedWriteLeavesAnExistingFileUntouched() throws IOException {
        Path p = dir.resolve("model.gguf");
        new GgufWriter().putString("generation", "first")
                .addTensor("w", GgmlType.F32, new long[] {8}, fillWith(7)).write(p);
        byte[] before = Files.readAllBytes(p);
        GgufWriter failing = new GgufWriter().putString("generation", "second")
                .addTensor("w", GgmlType.F32, new long[] {8}, target -> {
                    throw new IOException("interrupted");
                });
        assertThatThrownBy(() -> failing.write(p)).hasMessage("interrupted");
        assertThat(Files.readAllBytes(p)).isEqualTo(before);
        assertThat(files()).containsExactly("model.gguf");
    }

    @Test
    void writerReplacesAnExistingFileAtomically() throws IOException {
        Path p = dir.resolve("model.gguf");
        new GgufWriter().putString("generation", "first")
                .addTensor("w", GgmlType.F32, new long[] {8}, fillWith(1)).write(p);
        try (GgufFile old = GgufReader.open(p)) {
            new GgufWriter().putString("generation", "second")
                    .addTensor("w", GgmlType.F32, new long[] {64}, fillWith(2))
                    .addTensor("v", GgmlType.F16, new long[] {4}, fillWith(3)).write(p);
            // the old mapping still sees a whole old file: the new one was renamed over it, not written into it
            assertThat(old.metadata().requireString("generation")).isEqualTo("first");
            assertThat(old.data(old.requireTensor("w")).toArray(ValueLayout.JAVA_BYTE)).containsOnly((byte) 1);
            try (GgufFile fresh = GgufReader.open(p)) {
                assertThat(fresh.metadata().requireString("generation")).isEqualTo("second");
                assertThat(fresh.tensors()).extracting(GgufTensorInfo::name).containsExactly("w", "v");
                assertThat(fresh.data(fresh.requireTensor("w")).toArray(ValueLayout.JAVA_BYTE)).hasSize(256).containsOnly((byte) 2);
            }
        }
        assertThat(files()).containsExactly("model.gguf");
    }

    @Test
    void staleTemporaryFileFromAnEarlierCrashIsReplaced() throws IOException {
        Path p = dir.resolve("model.gguf");
        Files.write(dir.resolve("model.gguf.partial"), new byte[100_000]);
        new GgufWriter().addTensor("w", GgmlType.F32, new long[] {2}, fillWith(5)).write(p);
        assertThat(files()).containsExactly("model.gguf");
        try (GgufFile f = GgufReader.open(p)) {
            assertThat(f.fileSize()).isEqualTo(f.dataOffset() + 32);
        }
    }

    @Test
    void writeThatCannotMoveIntoPlaceLeavesNoTemporaryFile() throws IOException {
        Path target = Files.createDirectory(dir.resolve("taken.gguf"));
        Files.write(target.resolve("inside"), new byte[1]);
        assertThatThrownBy(() -> new GgufWriter().putUint32("x", 1).write(target)).isInstanceOf(IOException.class);
        assertThat(files()).containsExactly("taken.gguf");
    }

    @Test
    void writeIntoAMissingDirectoryFailsCleanly() {
        assertThatThrownBy(() -> new GgufWriter().write(dir.resolve("no/such/dir/m.gguf"))).isInstanceOf(IOException.class);
    }

    @Test
    void headerBytesAreExactlyWhatPrecedesTheDataSection() throws IOException {
        GgufWriter w = new GgufWriter().alignment(64).putString("name", "x")
                .addTensor("a", GgmlType.Q8_0, new long[] {64, 3}, fillWith(9));
        byte[] header = w.header();
        assertThat(header.length % 64).isZero();
        Path p = dir.resolve("h.gguf");
        w.write(p);
        byte[] file = Files.readAllBytes(p);
        assertThat(java.util.Arrays.copyOf(file, header.length)).isEqualTo(header);
        try (GgufFile f = GgufReader.parse(MemorySegment.ofArray(file))) {
            assertThat(f.dataOffset()).isEqualTo(header.length);
            assertThat(f.requireTensor("a").byteSize()).isEqualTo(6 * 34);
            // the file ends on an aligned boundary, the last tensor padded like the others
            assertThat(file.length % 64).isZero();
        }
    }

    @Test
    void fillerGetsASliceOfExactlyTheTensorsByteSize() throws IOException {
        long[] seen = new long[2];
        new GgufWriter()
                .addTensor("q", GgmlType.Q4_K, new long[] {512, 3}, t -> seen[0] = t.byteSize())
                .addTensor("e", GgmlType.F16, new long[] {0}, t -> seen[1] = t.byteSize() + 1)
                .write(dir.resolve("s.gguf"));
        assertThat(seen).containsExactly(6 * 144, 1);
    }
}
