package dev.switchyard.cache.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.cache.synth.SynthSettings;
import dev.switchyard.cache.synth.SyntheticTraceGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceReaderTest {

    /** 3 layers of 4 experts, top-2, proposals 1 layer ahead of width 2; one prefill step, one decode. */
    static final TraceHeader HEADER = new TraceHeader(3, 4, 2, 1, 2, 12345, "crafted");

    static List<TraceStep> steps() {
        TraceStep prefill = new TraceStep(true, new int[] {7, 7},
                new int[][] {{0, 1, 2, 3}, {3, -1, 1, 0}, {2, 1, 0, 3}},
                new int[][][] {{{3, 2, 1, 0}}, {{2, 1, 0, 3}}, {}});
        TraceStep decode = new TraceStep(false, new int[] {7},
                new int[][] {{1, 0}, {0, 3}, {2, 1}},
                new int[][][] {{{0, 3}}, {{1, 2}}, {}});
        return List.of(prefill, decode);
    }

    static byte[] write(TraceHeader header, List<TraceStep> steps) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TraceWriter w = new TraceWriter(bytes, header)) {
            for (TraceStep s : steps) {
                w.write(s);
            }
        }
        return bytes.toByteArray();
    }

    @Test
    void readsBackWhatTheWriterWrote() throws IOException {
        RoutingTrace trace = TraceReader.read(write(HEADER, steps()));
        assertThat(trace.header()).isEqualTo(HEADER);
        assertThat(trace.steps()).hasSize(2);
        TraceStep p = trace.steps().get(0);
        assertThat(p.prefill()).isTrue();
        assertThat(p.tokens()).isEqualTo(2);
        assertThat(p.request(1)).isEqualTo(7);
        assertThat(p.experts(1)).containsExactly(3, -1, 1, 0);
        assertThat(p.proposals(0, 1)).containsExactly(3, 2, 1, 0);
        TraceStep d = trace.steps().get(1);
        assertThat(d.prefill()).isFalse();
        assertThat(d.experts(2)).containsExactly(2, 1);
        assertThat(d.proposals(1, 1)).containsExactly(1, 2);
        assertThat(trace.decodeTokens()).isEqualTo(1);
    }

    @Test
    void roundTripsASyntheticTraceThroughAFile(@TempDir Path dir) throws IOException {
        SyntheticTraceGenerator gen = new SyntheticTraceGenerator(
                new SynthSettings(6, 8, 2, 3, 20, 2, 1.0, 4.0, 0.3, 2, 0.8, 1 << 20, 5));
        RoutingTrace original = gen.trace();
        Path file = dir.resolve("synth.trace");
        try (TraceWriter w = TraceWriter.create(file, original.header())) {
            for (TraceStep s : original.steps()) {
                w.write(s);
            }
        }
        RoutingTrace read = TraceReader.read(file);
        assertThat(read.header()).isEqualTo(original.header());
        assertThat(read.steps()).hasSameSizeAs(original.steps());
        for (int i = 0; i < read.steps().size(); i++) {
            TraceStep a = original.steps().get(i);
            TraceStep b = read.steps().get(i);
            assertThat(b.tokens()).isEqualTo(a.tokens());
            for (int l = 0; l < 6; l++) {
                assertThat(b.experts(l)).containsExactly(a.experts(l));
                for (int j = 1; j <= read.header().depthsAt(l); j++) {
                    assertThat(b.proposals(l, j)).containsExactly(a.proposals(l, j));
                }
            }
        }
    }

    @Test
    void everyTruncationIsReportedWithItsOffset() throws IOException {
        byte[] full = write(HEADER, steps());
        for (int cut = 0; cut < full.length; cut++) {
            byte[] part = Arrays.copyOf(full, cut);
            assertThatThrownBy(() -> TraceReader.read(part)).as("cut at %d", cut)
                    .isInstanceOf(TraceFormatException.class)
                    .hasMessageContaining("truncated")
                    .hasMessageContaining("offset");
        }
    }

    @Test
    void badMagicAndVersionAreNamed() throws IOException {
        byte[] bytes = write(HEADER, steps());
        byte[] magic = bytes.clone();
        magic[0] = 'G';
        assertThatThrownBy(() -> TraceReader.read(magic)).isInstanceOf(TraceFormatException.class)
                .hasMessageContaining("bad magic 'GYRT'").hasMessageContaining("offset 0");
        byte[] version = bytes.clone();
        version[4] = 9;
        assertThatThrownBy(() -> TraceReader.read(version)).hasMessageContaining("unsupported trace version 9")
                .hasMessageContaining("offset 4");
    }

    @Test
    void anExpertIdOutsideTheModelIsNamedWithItsOffset() throws IOException {
        byte[] bytes = write(HEADER, steps());
        int firstId = stepStart() + 1 + 1 + 4 + 2 * 4; // tag, kind, count, two request ids
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putShort(firstId, (short) 9);
        assertThatThrownBy(() -> TraceReader.read(bytes)).isInstanceOf(TraceFormatException.class)
                .hasMessageContaining("step 0 layer 0 routing: expert id 9 outside 0..3")
                .hasMessageContaining("offset " + firstId);
    }

    @Test
    void aRepeatedExpertWithinATokenIsRefused() throws IOException {
        byte[] bytes = write(HEADER, steps());
        int secondId = stepStart() + 1 + 1 + 4 + 2 * 4 + 2;
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putShort(secondId, (short) 0);
        assertThatThrownBy(() -> TraceReader.read(bytes)).hasMessageContaining("lists expert 0 twice");
    }

    @Test
    void aHugeTokenCountIsRefusedBeforeAnythingIsAllocated() throws IOException {
        byte[] bytes = write(HEADER, steps());
        int count = stepStart() + 2;
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(count, -1); // 4294967295 tokens
        assertThatThrownBy(() -> TraceReader.read(bytes)).hasMessageContaining("token count 4294967295 outside")
                .hasMessageContaining("offset " + count);
        b.putInt(count, 1_000_000); // allowed, but far more than the file holds
        assertThatThrownBy(() -> TraceReader.read(bytes)).hasMessageContaining("truncated: step 0 of 1000000 tokens needs");
    }

    @Test
    void aHeaderOutOfRangeIsRefused() throws IOException {
        byte[] bytes = write(HEADER, steps());
        bytes[10] = 9; // top_k 9 of 4 experts
        assertThatThrownBy(() -> TraceReader.read(bytes)).hasMessageContaining("bad header: top-k");
    }

    @Test
    void aWrongStepCountOrTrailingBytesAreRefused() throws IOException {
        byte[] bytes = write(HEADER, steps());
        byte[] count = bytes.clone();
        count[count.length - 8] = 5;
        assertThatThrownBy(() -> TraceReader.read(count)).hasMessageContaining("end record counts 5 steps but the file holds 2");
        byte[] trailing = Arrays.copyOf(bytes, bytes.length + 3);
        assertThatThrownBy(() -> TraceReader.read(trailing)).hasMessageContaining("3 bytes after the end record");
        byte[] tag = bytes.clone();
        tag[stepStart()] = 'X';
        assertThatThrownBy(() -> TraceReader.read(tag)).hasMessageContaining("found byte 0x58");
    }

    @Test
    void theWriterRefusesWhatTheReaderWouldRefuse() throws IOException {
        TraceWriter w = new TraceWriter(new ByteArrayOutputStream(), HEADER);
        TraceStep outOfRange = new TraceStep(false, new int[] {0}, new int[][] {{4, 0}, {0, 1}, {0, 1}},
                new int[][][] {{{0, 1}}, {{0, 1}}, {}});
        assertThatThrownBy(() -> w.write(outOfRange)).hasMessageContaining("expert id 4 outside 0..3");
        TraceStep repeated = new TraceStep(false, new int[] {0}, new int[][] {{1, 1}, {0, 1}, {0, 1}},
                new int[][][] {{{0, 1}}, {{0, 1}}, {}});
        assertThatThrownBy(() -> w.write(repeated)).hasMessageContaining("twice");
        TraceStep missingProposals = new TraceStep(false, new int[] {0}, new int[][] {{1, 0}, {0, 1}, {0, 1}},
                new int[][][] {{{0}}, {{0, 1}}, {}});
        assertThatThrownBy(() -> w.write(missingProposals)).hasMessageContaining("expected 2 expert ids, got 1");
    }

    /** Header bytes before the first step of {@link #HEADER}. */
    private static int stepStart() {
        return 4 + 2 + 2 + 2 + 4 + 8 + 2 + "crafted".length();
    }
}
