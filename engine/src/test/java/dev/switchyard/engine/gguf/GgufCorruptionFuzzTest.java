package dev.switchyard.engine.gguf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.switchyard.kernels.format.GgmlType;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BiFunction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Valid files corrupted at random, thousands of times, either still parse into a self-consistent
 * file or are rejected with a {@link GgufFormatException}; any other throwable, or a hang, fails.
 * Each strategy is seeded, so a failure names the case that reproduces it.
 */
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class GgufCorruptionFuzzTest {

    /** Values that, stored in a count, length, dim or offset, probe every bound check. */
    private static final long[] NASTY = {
        0, 1, 2, 3, 4, 5, 7, 8, 13, 31, 32, 33, 64, 255, 256, 0xFFFF, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFFL,
        1L << 32, (1L << 30) + 1, 1L << 40, 1L << 60, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE, -1, -2, -32,
        Long.MAX_VALUE & -32L, 0x8000000000000020L,
    };

    private static List<byte[]> bases;

    @TempDir
    static Path dir;

    @BeforeAll
    static void buildBaseFiles() throws IOException {
        bases = new ArrayList<>();
        // rich metadata of every type and a tensor of every ggml type
        GgufWriter rich = new GgufWriter();
        GgufRoundTripTest.everyValueType().forEach(rich::put);
        for (GgmlType t : GgmlType.values()) {
            rich.addTensor("t." + t, t, new long[] {t.blockSize(), 2}, GgufRoundTripTest.pattern(t.name()));
        }
        bases.add(written(rich, "rich.gguf"));
        // alignment 1, small tensors packed back to back, an empty tensor, version 2
        bases.add(written(new GgufWriter().version(2).alignment(1)
                .putArray("tokens", GgufArray.ofStrings("a", "bb", "ccc"))
                .addTensor("a", GgmlType.F32, new long[] {3}, GgufRoundTripTest.pattern("a"))
                .addTensor("e", GgmlType.F16, new long[] {0, 2}, GgufRoundTripTest.pattern("e"))
                .addTensor("b", GgmlType.Q8_0, new long[] {32, 2}, GgufRoundTripTest.pattern("b")), "packed.gguf"));
        // many tensors and a custom alignment: corruptions land mostly in tensor infos
        GgufWriter many = new GgufWriter().alignment(64).putString("general.architecture", "qwen3moe");
        for (int i = 0; i < 24; i++) {
            many.addTensor("blk." + i + ".ffn_down_exps.weight", i % 2 == 0 ? GgmlType.F16 : GgmlType.Q4_K,
                    new long[] {256, 1 + i % 3, 2}, GgufRoundTripTest.pattern("m" + i));
        }
        bases.add(written(many, "many.gguf"));
        // hand-assembled files, independent of the writer
        bases.add(GgufHandAssembledTest.minimalV3().toArray());
        bases.add(GgufMalformedFileTest.nestedArrays(GgufReader.MAX_ARRAY_DEPTH).toArray());
    }

    private static byte[] written(GgufWriter w, String name) throws IOException {
        Path p = dir.resolve(name);
        w.write(p);
        return Files.readAllBytes(p);
    }

    /** Where the header ends, so most corruption lands where the parser looks. */
    private static int headerEnd(byte[] file) {
        try (GgufFile f = GgufReader.parse(MemorySegment.ofArray(file))) {
            return (int) Math.min(f.dataOffset(), file.length);
        } catch (GgufFormatException e) {
            throw new AssertionError(e);
        }
    }

    /** The header length of the base file being corrupted (the corruption may change its own). */
    private static int currentHeaderEnd;

    private static int position(Random r, byte[] file) {
        int header = Math.max(1, Math.min(currentHeaderEnd, file.length));
        return r.nextInt(10) < 8 ? r.nextInt(header) : r.nextInt(file.length);
    }

    /**
     * Parses and checks the outcome: a clean rejection pointing inside the file, or a file whose
     * tensors all lie inside the data section, aligned and without overlap.
     *
     * @return whether the bytes were rejected
     */
    static boolean parsesOrRejectsCleanly(byte[] bytes, String what) {
        GgufFile f;
        try {
            f = GgufReader.parse(MemorySegment.ofArray(bytes));
        } catch (GgufFormatException e) {
            assertThat(e.field()).as("%s: %s", what, e.getMessage()).isNotNull();
            assertThat(e.offset()).as("%s: %s", what, e.getMessage()).isBetween(0L, (long) bytes.length);
            return true;
        } catch (Throwable t) {
            throw new AssertionError(what + ": expected success or GgufFormatException, got " + t, t);
        }
        try (f) {
            checkConsistent(f, what);
        }
        return false;
    }

    static void checkConsistent(GgufFile f, String what) {
        assertThat(Long.bitCount(f.alignment())).as(what).isEqualTo(1);
        List<GgufTensorInfo> ts = f.tensors();
        for (GgufTensorInfo t : ts) {
            assertThat(t.absoluteOffset()).as("%s: %s", what, t).isEqualTo(f.dataOffset() + t.relativeOffset());
            assertThat(t.relativeOffset() % f.alignment()).as("%s: %s", what, t).isZero();
            assertThat(t.absoluteOffset() + t.byteSize()).as("%s: %s", what, t).isLessThanOrEqualTo(f.fileSize());
            assertThat(f.data(t).byteSize()).as(what).isEqualTo(t.byteSize());
        }
        for (int i = 0; i < ts.size(); i++) {
            for (int j = i + 1; j < ts.size(); j++) {
                GgufTensorInfo a = ts.get(i);
                GgufTensorInfo b = ts.get(j);
                boolean disjoint = a.byteSize() == 0 || b.byteSize() == 0
                        || a.relativeOffset() + a.byteSize() <= b.relativeOffset()
                        || b.relativeOffset() + b.byteSize() <= a.relativeOffset();
                assertThat(disjoint).as("%s: %s overlaps %s", what, a, b).isTrue();
            }
        }
        f.metadata().asMap().forEach((k, v) -> assertThat(v).isNotNull());
    }

    /** Runs {@code cases} corruptions of randomly chosen base files; returns how many were rejected. */
    private static int fuzz(String strategy, long seed, int cases, BiFunction<Random, byte[], byte[]> corrupt) {
        Random r = new Random(seed);
        int rejected = 0;
        for (int i = 0; i < cases; i++) {
            byte[] base = bases.get(r.nextInt(bases.size()));
            currentHeaderEnd = headerEnd(base);
            byte[] bytes = corrupt.apply(r, base.clone());
            if (parsesOrRejectsCleanly(bytes, strategy + " case " + i + " (seed " + seed + ")")) {
                rejected++;
            }
        }
        return rejected;
    }

    @Test
    void randomByteFlipsParseOrFailCleanly() {
        int rejected = fuzz("flip", 0xF11B, 2000, (r, b) -> {
            int n = 1 + r.nextInt(4);
            for (int k = 0; k < n; k++) {
                int at = position(r, b);
                b[at] = r.nextBoolean() ? (byte) (b[at] ^ (1 << r.nextInt(8))) : (byte) r.nextInt(256);
            }
            return b;
        });
        assertThat(rejected).as("most header flips are caught").isGreaterThan(500);
    }

    @Test
    void hugeNegativeOrRandomLengthsAndCountsParseOrFailCleanly() {
        int rejected = fuzz("window", 0x1E57, 2000, (r, b) -> {
            int n = 1 + r.nextInt(2);
            for (int k = 0; k < n; k++) {
                long v = switch (r.nextInt(4)) {
                    case 0, 1 -> NASTY[r.nextInt(NASTY.length)];
                    case 2 -> r.nextLong();
                    default -> b.length - r.nextInt(Math.min(b.length, 64)) + r.nextInt(8);
                };
                int width = r.nextInt(3) == 0 ? 4 : 8;
                int at = Math.min(position(r, b), b.length - width);
                if (width == 8) {
                    GgufBytes.putLong(b, at, v);
                } else {
                    GgufBytes.putInt(b, at, (int) v);
                }
            }
            return b;
        });
        assertThat(rejected).isGreaterThan(500);
    }

    /**
     * Whether a prefix of {@code base} may still parse: only when the cut falls in padding that
     * holds nothing, after the last tensor's bytes, or after the header of a file without tensors.
     */
    private static boolean prefixMayParse(byte[] base, int cut) {
        try (GgufFile f = GgufReader.parse(MemorySegment.ofArray(base))) {
            if (f.tensors().isEmpty()) {
                return cut > f.dataOffset() - f.alignment();
            }
            long end = f.dataOffset();
            for (GgufTensorInfo t : f.tensors()) {
                end = Math.max(end, t.absoluteOffset() + t.byteSize());
            }
            return cut >= end;
        } catch (GgufFormatException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void truncationAtRandomPointsFailsCleanly() {
        Random r = new Random(0x7C);
        for (int i = 0; i < 800; i++) {
            byte[] base = bases.get(r.nextInt(bases.size()));
            currentHeaderEnd = headerEnd(base);
            int cut = r.nextInt(10) < 7 ? position(r, base) : r.nextInt(base.length);
            boolean rejected = parsesOrRejectsCleanly(Arrays.copyOf(base, cut), "truncate case " + i);
            assertThat(rejected || prefixMayParse(base, cut))
                    .as("truncate case %d: a %d-byte prefix of a %d-byte file parsed", i, cut, base.length).isTrue();
        }
    }

    @Test
    void truncationAtEveryHeaderByteOfEveryBaseFileFailsCleanly() {
        int cases = 0;
        for (byte[] base : bases) {
            int end = headerEnd(base);
            for (int cut = 0; cut < end; cut++) {
                boolean rejected = parsesOrRejectsCleanly(Arrays.copyOf(base, cut), "prefix " + cut + " of a " + base.length + "-byte file");
                assertThat(rejected || prefixMayParse(base, cut))
                        .as("a %d-byte prefix of a file with a %d-byte header parsed", cut, end).isTrue();
                cases++;
            }
        }
        assertThat(cases).isGreaterThan(1000);
    }

    @Test
    void splicedDeletedAndDuplicatedRangesParseOrFailCleanly() {
        fuzz("splice", 0x5B11CE, 1200, (r, b) -> {
            int at = position(r, b);
            return switch (r.nextInt(4)) {
                case 0 -> { // prefix of this file, suffix of another
                    byte[] other = bases.get(r.nextInt(bases.size()));
                    int from = r.nextInt(other.length);
                    byte[] out = Arrays.copyOf(b, at + other.length - from);
                    System.arraycopy(other, from, out, at, other.length - from);
                    yield out;
                }
                case 1 -> { // delete a range
                    int len = 1 + r.nextInt(Math.min(64, b.length - at));
                    byte[] out = new byte[b.length - len];
                    System.arraycopy(b, 0, out, 0, at);
                    System.arraycopy(b, at + len, out, at, b.length - at - len);
                    yield out;
                }
                case 2 -> { // duplicate a range in place
                    int len = 1 + r.nextInt(Math.min(64, b.length - at));
                    byte[] out = new byte[b.length + len];
                    System.arraycopy(b, 0, out, 0, at + len);
                    System.arraycopy(b, at, out, at + len, b.length - at);
                    yield out;
                }
                default -> { // insert random bytes
                    byte[] noise = new byte[1 + r.nextInt(16)];
                    r.nextBytes(noise);
                    byte[] out = new byte[b.length + noise.length];
                    System.arraycopy(b, 0, out, 0, at);
                    System.arraycopy(noise, 0, out, at, noise.length);
                    System.arraycopy(b, at, out, at + noise.length, b.length - at);
                    yield out;
                }
            };
        });
    }

    @Test
    void randomGarbageWithAValidPrefixFailsCleanly() {
        fuzz("garbage", 0x6A4B, 400, (r, b) -> {
            int keep = r.nextInt(Math.min(b.length, 40));
            byte[] out = Arrays.copyOf(b, keep + r.nextInt(512));
            for (int i = keep; i < out.length; i++) {
                out[i] = (byte) r.nextInt(256);
            }
            return out;
        });
    }

    @Test
    void corruptedFilesOnDiskOpenOrFailCleanly() throws IOException {
        Random r = new Random(0xD15C);
        for (int i = 0; i < 40; i++) {
            byte[] b = bases.get(r.nextInt(bases.size())).clone();
            currentHeaderEnd = headerEnd(b);
            switch (i % 3) {
                case 0 -> b[position(r, b)] ^= (byte) (1 << r.nextInt(8));
                case 1 -> GgufBytes.putLong(b, Math.min(position(r, b), b.length - 8), NASTY[r.nextInt(NASTY.length)]);
                default -> b = Arrays.copyOf(b, position(r, b));
            }
            Path p = dir.resolve("fuzz-" + i + ".gguf");
            Files.write(p, b);
            String what = "file case " + i;
            try (GgufFile f = GgufReader.open(p)) {
                assertThat(f.path()).isEqualTo(p);
                checkConsistent(f, what);
            } catch (GgufFormatException e) {
                assertThat(e.offset()).as("%s: %s", what, e.getMessage()).isBetween(0L, (long) b.length);
            } catch (Throwable t) {
                fail(what + ": expected success or GgufFormatException, got " + t, t);
            }
            Files.delete(p); // also proves no mapping keeps the file busy
        }
    }

    @Test
    void missingFileGivesACleanIOException() {
        assertThatThrownBy(() -> GgufReader.open(dir.resolve("never-written.gguf"))).isInstanceOf(NoSuchFileException.class);
    }
}
