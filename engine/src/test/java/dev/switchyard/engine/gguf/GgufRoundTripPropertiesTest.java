package dev.switchyard.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.format.GgmlType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/** Random metadata and random tensor shapes written by the writer read back identically. */
class GgufRoundTripPropertiesTest {

    private static Path dir;

    @BeforeContainer
    static void createDir() throws IOException {
        dir = Files.createTempDirectory("gguf-props");
    }

    @AfterContainer
    static void deleteDir() throws IOException {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    /** A tensor to write: its shape, and a seed for its bytes. */
    record TensorSpec(String name, GgmlType type, long[] dims, long seed) {
        long byteSize() {
            long n = 1;
            for (long d : dims) {
                n *= d;
            }
            return type.byteSize(n);
        }

        byte[] bytes() {
            byte[] b = new byte[(int) byteSize()];
            new Random(seed).nextBytes(b);
            return b;
        }
    }

    @Property(tries = 250, shrinking = ShrinkingMode.BOUNDED)
    void randomMetadataAndTensorsRoundTrip(
            @ForAll("metadata") Map<String, GgufValue> metadata,
            @ForAll("tensors") List<TensorSpec> tensors,
            @ForAll("alignments") long alignment,
            @ForAll("versions") int version) throws IOException {
        GgufWriter w = new GgufWriter().version(version);
        if (alignment > 0) {
            w.alignment(alignment);
        }
        metadata.forEach(w::put);
        for (TensorSpec t : tensors) {
            byte[] bytes = t.bytes();
            w.addTensor(t.name(), t.type(), t.dims(), target -> MemorySegment.copy(MemorySegment.ofArray(bytes), 0, target, 0, bytes.length));
        }
        Path p = Files.createTempFile(dir, "prop", ".gguf");
        w.write(p);
        long a = alignment > 0 ? alignment : 32;
        try (GgufFile f = GgufReader.open(p)) {
            assertThat(f.version()).isEqualTo(version);
            assertThat(f.alignment()).isEqualTo(a);
            Map<String, GgufValue> expected = new LinkedHashMap<>();
            if (alignment > 0) {
                expected.put("general.alignment", GgufValue.ofUint32(alignment));
            }
            expected.putAll(metadata);
            assertThat(f.metadata().asMap()).containsExactlyEntriesOf(expected);
            assertThat(f.dataOffset() % a).isZero();
            assertThat(f.tensors()).hasSize(tensors.size());
            long offset = 0;
            for (int i = 0; i < tensors.size(); i++) {
                TensorSpec t = tensors.get(i);
                GgufTensorInfo info = f.tensors().get(i);
                assertThat(info.name()).isEqualTo(t.name());
                assertThat(info.type()).isEqualTo(t.type());
                assertThat(info.dims()).containsExactly(t.dims());
                assertThat(info.relativeOffset()).isEqualTo(offset);
                assertThat(info.absoluteOffset() % a).isZero();
                assertThat(info.byteSize()).isEqualTo(t.byteSize());
                assertThat(f.data(info).toArray(ValueLayout.JAVA_BYTE)).isEqualTo(t.bytes());
                offset = GgufReader.alignUp(offset + t.byteSize(), a);
            }
        } finally {
            Files.deleteIfExists(p);
        }
    }

    // ---- generators ----

    /** Valid Unicode text (no lone surrogates), including multi-byte and supplementary characters. */
    static Arbitrary<String> text(int maxLength) {
        Arbitrary<Integer> codePoint = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.integers().between(0x20, 0x7E)),
                net.jqwik.api.Tuple.of(2, Arbitraries.integers().between(0, 0xD7FF)),
                net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0xE000, 0x10FFFF)));
        return codePoint.list().ofMaxSize(maxLength)
                .map(cps -> {
                    StringBuilder sb = new StringBuilder();
                    cps.forEach(sb::appendCodePoint);
                    return sb.toString();
                });
    }

    @Provide
    Arbitrary<Map<String, GgufValue>> metadata() {
        return Arbitraries.maps(text(24).filter(k -> !k.equals("general.alignment")), value(3)).ofMaxSize(10);
    }

    static Arbitrary<GgufValue> value(int depth) {
        return Arbitraries.oneOf(List.of(
                scalar(),
                array(depth).map(GgufValue::ofArray)));
    }

    static Arbitrary<GgufValueType> scalarTypes() {
        return Arbitraries.of(GgufValueType.values()).filter(t -> t != GgufValueType.ARRAY);
    }

    static Arbitrary<GgufValue> scalar() {
        return scalarTypes().flatMap(t -> scalarOf(t).map(v -> new GgufValue(t, v)));
    }

    static Arbitrary<Long> integerOf(GgufValueType t) {
        return switch (t) {
            case UINT8 -> Arbitraries.longs().between(0, 255);
            case INT8 -> Arbitraries.longs().between(-128, 127);
            case UINT16 -> Arbitraries.longs().between(0, 65535);
            case INT16 -> Arbitraries.longs().between(-32768, 32767);
            case UINT32 -> Arbitraries.longs().between(0, 0xFFFFFFFFL);
            case INT32 -> Arbitraries.longs().between(Integer.MIN_VALUE, Integer.MAX_VALUE);
            default -> Arbitraries.longs(); // UINT64 keeps its bits in a long
        };
    }

    static Arbitrary<?> scalarOf(GgufValueType t) {
        return switch (t) {
            case FLOAT32 -> Arbitraries.integers().map(Float::intBitsToFloat);
            case FLOAT64 -> Arbitraries.longs().map(Double::longBitsToDouble);
            case BOOL -> Arbitraries.of(true, false);
            case STRING -> text(40);
            default -> integerOf(t);
        };
    }

    static Arbitrary<GgufArray> array(int depth) {
        Arbitrary<GgufValueType> elementTypes = depth > 1 ? Arbitraries.of(GgufValueType.values()) : scalarTypes();
        return elementTypes.flatMap(t -> {
            Arbitrary<Integer> sizes = Arbitraries.integers().between(0, 6);
            return switch (t) {
                case FLOAT32 -> Arbitraries.integers().map(Float::intBitsToFloat).list().ofMaxSize(6).map(l -> {
                    float[] a = new float[l.size()];
                    for (int i = 0; i < a.length; i++) {
                        a[i] = l.get(i);
                    }
                    return new GgufArray(t, a);
                });
                case FLOAT64 -> Arbitraries.longs().map(Double::longBitsToDouble).list().ofMaxSize(6)
                        .map(l -> new GgufArray(t, l.stream().mapToDouble(Double::doubleValue).toArray()));
                case BOOL -> Arbitraries.of(true, false).list().ofMaxSize(6).map(l -> {
                    boolean[] a = new boolean[l.size()];
                    for (int i = 0; i < a.length; i++) {
                        a[i] = l.get(i);
                    }
                    return new GgufArray(t, a);
                });
                case STRING -> text(12).list().ofMaxSize(6).map(l -> new GgufArray(t, l.toArray(new String[0])));
                case ARRAY -> sizes.flatMap(n -> array(depth - 1).list().ofSize(n))
                        .map(l -> new GgufArray(t, l.toArray(new GgufArray[0])));
                default -> integerOf(t).list().ofMaxSize(6)
                        .map(l -> new GgufArray(t, l.stream().mapToLong(Long::longValue).toArray()));
            };
        });
    }

    @Provide
    Arbitrary<List<TensorSpec>> tensors() {
        Arbitrary<TensorSpec> spec = Combinators.combine(
                Arbitraries.of(GgmlType.values()),
                Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(0, 3).list().ofSize(4),
                Arbitraries.longs()).as((type, rank, sizes, seed) -> {
                    long[] dims = new long[rank];
                    dims[0] = (long) sizes.get(0) * type.blockSize();
                    for (int d = 1; d < rank; d++) {
                        dims[d] = sizes.get(d);
                    }
                    return new TensorSpec("", type, dims, seed);
                });
        return spec.list().ofMaxSize(6).map(list -> {
            List<TensorSpec> named = new ArrayList<>();
            for (int i = 0; i < list.size(); i++) {
                TensorSpec t = list.get(i);
                named.add(new TensorSpec("blk." + i + ".w", t.type(), t.dims(), t.seed()));
            }
            return named;
        });
    }

    @Provide
    Arbitrary<Long> alignments() {
        return Arbitraries.of(0L, 1L, 2L, 8L, 16L, 32L, 64L, 256L, 4096L);
    }

    @Provide
    Arbitrary<Integer> versions() {
        return Arbitraries.of(2, 3);
    }
}
