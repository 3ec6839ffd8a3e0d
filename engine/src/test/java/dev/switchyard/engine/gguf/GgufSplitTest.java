package dev.switchyard.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.forward.TinyModels;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.kernels.format.GgmlType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Models split over several files as gguf-split writes them: the parts the writer cuts open as the
 * whole model (the same metadata, tensors and bytes), merge back into the very bytes they came
 * from, and parts that are missing, misnamed, foreign, out of order or overlapping are refused
 * naming the file.
 */
class GgufSplitTest {

    @TempDir
    Path dir;

    private static final Path MODEL = TinyModels.of(GeneratedArchitecture.MIXTRAL, GgmlType.Q8_0);

    private List<Path> split(GgufSplitWriter.Limits limits) throws IOException {
        try (GgufFile whole = GgufFile.open(MODEL)) {
            return GgufSplitWriter.split(whole, dir.resolve("tiny"), limits);
        }
    }

    @Test
    void aSplitModelOpensByItsFirstPartAsTheWholeModel() throws Exception {
        List<Path> parts = split(new GgufSplitWriter.Limits(Long.MAX_VALUE, 10, true));
        try (GgufFile whole = GgufFile.open(MODEL); GgufFile split = GgufFile.open(parts.getFirst())) {
            int n = whole.tensors().size();
            assertThat(parts).hasSize((n + 9) / 10);
            assertThat(parts.getFirst().getFileName().toString()).isEqualTo("tiny-00001-of-0000" + parts.size() + ".gguf");
            assertThat(split.isSplit()).isTrue();
            assertThat(split.shards()).extracting(GgufShard::path).containsExactlyElementsOf(parts);
            assertThat(split.shards().get(1).tensors()).hasSize(10);
            // the model's keys, and the split's
            assertThat(split.metadata().size()).isEqualTo(whole.metadata().size() + 3);
            whole.metadata().asMap().forEach((k, v) -> assertThat(split.metadata().get(k)).as(k).hasValue(v));
            assertThat(split.metadata().requireLong(GgufSplit.COUNT)).isEqualTo(parts.size());
            assertThat(split.metadata().requireLong(GgufSplit.TENSORS)).isEqualTo(n);
            assertThat(split.shards().get(1).metadata().keys())
                    .containsExactlyInAnyOrder(GgufSplit.NO, GgufSplit.COUNT, GgufSplit.TENSORS);
            assertThat(split.tensors()).extracting(GgufTensorInfo::name)
                    .containsExactlyElementsOf(whole.tensors().stream().map(GgufTensorInfo::name).toList());
            for (GgufTensorInfo t : whole.tensors()) {
                GgufTensorInfo s = split.requireTensor(t.name());
                assertThat(s.type()).isEqualTo(t.type());
                assertThat(s.dims()).containsExactly(t.dims());
                assertThat(split.data(s).mismatch(whole.data(t))).as(t.name()).isEqualTo(-1);
            }
            assertThat(split.fileSize()).isEqualTo(parts.stream().mapToLong(GgufSplitTest::size).sum());
        }
    }

    @Test
    void partsHoldAtMostTheirBytesUnlessOneTensorIsLarger() throws Exception {
        long limit = 64 * 1024;
        List<Path> parts = split(new GgufSplitWriter.Limits(limit, Integer.MAX_VALUE, true));
        try (GgufFile split = GgufFile.open(parts.getFirst())) {
            assertThat(split.shards().size()).isGreaterThan(2);
            for (GgufShard part : split.shards()) {
                long bytes = part.tensors().stream().mapToLong(t -> GgufReader.alignUp(t.byteSize(), 32)).sum();
                assertThat(bytes <= limit || part.tensors().size() == 1).as(part.path() + ": " + bytes).isTrue();
                assertThat(part.tensors()).isNotEmpty();
            }
        }
    }

    @Test
    void aFirstPartOfMetadataAloneOpensToo() throws Exception {
        List<Path> parts = split(new GgufSplitWriter.Limits(Long.MAX_VALUE, 1000, false));
        assertThat(parts).hasSize(2);
        try (GgufFile split = GgufFile.open(parts.getFirst()); GgufFile whole = GgufFile.open(MODEL)) {
            assertThat(split.shards().getFirst().tensors()).isEmpty();
            assertThat(split.tensors()).hasSameSizeAs(whole.tensors());
        }
    }

    @Test
    void mergingThePartsGivesBackTheOriginalBytes() throws Exception {
        List<Path> parts = split(new GgufSplitWriter.Limits(100_000, 7, true));
        Path merged = dir.resolve("merged.gguf");
        try (GgufFile split = GgufFile.open(parts.getFirst())) {
            GgufSplitWriter.merge(split, merged);
        }
        assertThat(Files.mismatch(merged, MODEL)).isEqualTo(-1);
        try (GgufFile again = GgufFile.open(merged)) {
            assertThat(again.isSplit()).isFalse();
            assertThat(again.metadata().contains(GgufSplit.COUNT)).isFalse();
        }
    }

    @Test
    void aMissingPartIsNamed() throws Exception {
        List<Path> parts = split(new GgufSplitWriter.Limits(Long.MAX_VALUE, 10, true));
        Files.delete(parts.get(1));
        assertThatThrownBy(() -> GgufFile.open(parts.getFirst())).isInstanceOf(GgufSplitException.class)
                .hasMessageContaining("part 2 of " + parts.size()).hasMessageContaining("missing")
                .hasMessageContaining(parts.get(1).toString());
    }

    @Test
    void aLaterPartNamesTheFirstToOpen() throws Exception {
        List<Path> parts = split(new GgufSplitWriter.Limits(Long.MAX_VALUE, 10, true));
        assertThatThrownBy(() -> GgufFile.open(parts.get(2))).isInstanceOf(GgufSplitException.class)
                .hasMessageContaining("is part 3 of " + parts.size())
                .hasMessageContaining(parts.getFirst().getFileName().toString());
    }

    @Test
    void aRenamedFirstPartSaysWhyItsPartsCannotBeFound() throws Exception {
        List<Path> parts = split(new GgufSplitWriter.Limits(Long.MAX_VALUE, 10, true));
        Path renamed = Files.move(parts.getFirst(), dir.resolve("model.gguf"));
        assertThatThrownBy(() -> GgufFile.open(renamed)).isInstanceOf(GgufSplitException.class)
                .hasMessageContaining("does not end in -00001-of-0000" + parts.size() + ".gguf");
    }

    @Test
    void aPartOfAnotherSplitIsRefused() throws Exception {
        List<Path> parts = split(new GgufSplitWriter.Limits(Long.MAX_VALUE, 10, true));
        Path other = Files.createDirectory(dir.resolve("other"));
        List<Path> otherParts;
        try (GgufFile whole = GgufFile.open(MODEL)) {
            otherParts = GgufSplitWriter.split(whole, other.resolve("tiny"), new GgufSplitWriter.Limits(Long.MAX_VALUE, 5, true));
        }
        Files.copy(otherParts.get(1), parts.get(1), StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> GgufFile.open(parts.getFirst())).isInstanceOf(GgufSplitException.class)
                .hasMessageContaining(parts.get(1).toString())
                .hasMessageContaining("split.count is " + otherParts.size() + ", not " + parts.size());
    }

    @Test
    void partsOutOfOrderAreRefused() throws Exception {
        List<Path> parts = split(new GgufSplitWriter.Limits(Long.MAX_VALUE, 10, true));
        Files.copy(parts.get(2), parts.get(1), StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> GgufFile.open(parts.getFirst())).isInstanceOf(GgufSplitException.class)
                .hasMessageContaining(parts.get(1) + " says it is part 3, but its name makes it part 2");
    }

    @Test
    void aTensorInTwoPartsOrACountThatDisagreesIsRefused() throws Exception {
        try (GgufFile whole = GgufFile.open(MODEL)) {
            List<GgufTensorInfo> tensors = whole.tensors();
            writePart(whole, dir.resolve("dup-00001-of-00002.gguf"), 0, 2, tensors.size(), tensors.subList(0, 3), true);
            writePart(whole, dir.resolve("dup-00002-of-00002.gguf"), 1, 2, tensors.size(), tensors.subList(2, tensors.size()), false);
            assertThatThrownBy(() -> GgufFile.open(dir.resolve("dup-00001-of-00002.gguf")))
                    .isInstanceOf(GgufSplitException.class)
                    .hasMessageContaining("tensor '" + tensors.get(2).name() + "' is in two parts")
                    .hasMessageContaining("dup-00001-of-00002.gguf and dup-00002-of-00002.gguf");

            writePart(whole, dir.resolve("few-00001-of-00002.gguf"), 0, 2, tensors.size() + 1, tensors.subList(0, 3), true);
            writePart(whole, dir.resolve("few-00002-of-00002.gguf"), 1, 2, tensors.size() + 1, tensors.subList(3, tensors.size()), false);
            assertThatThrownBy(() -> GgufFile.open(dir.resolve("few-00001-of-00002.gguf")))
                    .isInstanceOf(GgufSplitException.class)
                    .hasMessageContaining("hold " + tensors.size() + " tensors, but its split.tensors.count says "
                            + (tensors.size() + 1));
        }
    }

    @Test
    void aBrokenPartOrAnImpossibleCountIsRefusedNamingTheFile() throws Exception {
        List<Path> parts = split(new GgufSplitWriter.Limits(Long.MAX_VALUE, 10, true));
        Files.write(parts.get(1), new byte[] {'G', 'G', 'U', 'F', 9, 0, 0, 0});
        assertThatThrownBy(() -> GgufFile.open(parts.getFirst())).isInstanceOf(GgufSplitException.class)
                .hasMessageContaining(parts.get(1) + ", is not a GGUF file as it should be")
                .hasMessageContaining("unsupported GGUF version 9");

        try (GgufFile whole = GgufFile.open(MODEL)) {
            GgufWriter w = GgufCopy.of(whole);
            w.put(GgufSplit.COUNT, new GgufValue(GgufValueType.UINT16, 0L));
            w.write(dir.resolve("zero.gguf"));
        }
        assertThatThrownBy(() -> GgufFile.open(dir.resolve("zero.gguf"))).isInstanceOf(GgufSplitException.class)
                .hasMessageContaining("split.count is 0");
    }

    @Test
    void aWholeFileWithTheSplitKeysOfOnePartOpensAsItIs() throws Exception {
        List<Path> parts = split(new GgufSplitWriter.Limits(Long.MAX_VALUE, Integer.MAX_VALUE, true));
        assertThat(parts).hasSize(1);
        try (GgufFile one = GgufFile.open(parts.getFirst())) {
            assertThat(one.isSplit()).isFalse();
            assertThat(one.metadata().requireLong(GgufSplit.COUNT)).isEqualTo(1);
        }
    }

    private static void writePart(GgufFile in, Path path, int no, int count, int tensorCount, List<GgufTensorInfo> tensors,
                                  boolean withModelKeys) throws IOException {
        GgufWriter w = new GgufWriter();
        if (withModelKeys) {
            GgufSplitWriter.putModelKeys(w, in.metadata());
        }
        w.put(GgufSplit.NO, new GgufValue(GgufValueType.UINT16, (long) no));
        w.put(GgufSplit.COUNT, new GgufValue(GgufValueType.UINT16, (long) count));
        w.put(GgufSplit.TENSORS, GgufValue.ofInt32(tensorCount));
        List<GgufTensorInfo> list = new ArrayList<>(tensors);
        for (GgufTensorInfo t : list) {
            GgufCopy.copyTensor(w, in, t, t.name());
        }
        w.write(path);
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
