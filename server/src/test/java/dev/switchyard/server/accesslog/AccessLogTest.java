package dev.switchyard.server.accesslog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The access log's writer: lines out in order and flushed, appended to a file across opens, dropped
 * and counted (never waited for) when the writer is behind; request ids taken from clients only when
 * usable; a record's line with only what it was told.
 */
class AccessLogTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void linesAreAppendedInOrderAndAFileGoesOnAcrossOpens(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("logs/access.jsonl");
        try (AccessLog log = AccessLog.open(file.toString())) {
            assertThat(log.on()).isTrue();
            log.write("{\"n\":1}");
            log.write("{\"n\":2}");
        }
        try (AccessLog log = AccessLog.open(file.toString())) {
            log.write("{\"n\":3}");
        }
        assertThat(Files.readAllLines(file)).containsExactly("{\"n\":1}", "{\"n\":2}", "{\"n\":3}");
        assertThat(AccessLog.open("off").on()).isFalse();
        assertThatThrownBy(() -> AccessLog.open(Files.writeString(dir.resolve("plain"), "x").resolve("under").toString()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--access-log");
    }

    @Test
    void aFileARotationMovedAwayIsOpenedAgainAtItsPath(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("access.jsonl");
        Path rotated = dir.resolve("access.jsonl.1");
        try (AccessLog log = AccessLog.open(file.toString())) {
            log.write("{\"n\":1}");
            for (int i = 0; i < 200 && (!Files.exists(file) || Files.size(file) == 0); i++) {
                Thread.sleep(10);
            }
            Files.move(file, rotated); // logrotate's create: move, then the writer opens a new file
            Thread.sleep(1100); // the writer looks at most once a second
            log.write("{\"n\":2}");
        }
        assertThat(Files.readAllLines(rotated)).containsExactly("{\"n\":1}");
        assertThat(Files.readAllLines(file)).containsExactly("{\"n\":2}");
    }

    @Test
    void aLineIsOutOnceTheWriterCatchesUpWithoutWaitingForClose() throws Exception {
        StringWriter out = new StringWriter();
        try (AccessLog log = AccessLog.to(out)) {
            log.write("{\"n\":1}");
            for (int i = 0; i < 200 && !out.toString().contains("\"n\":1"); i++) {
                Thread.sleep(10);
            }
            assertThat(out.toString()).isEqualTo("{\"n\":1}" + System.lineSeparator());
        }
    }

    @Test
    void aWriterFarBehindDropsLinesAndCountsThemInsteadOfHoldingUpTheServer() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicLong kept = new java.util.concurrent.atomic.AtomicLong();
        Writer stuck = new Writer() {
            @Override
            public void write(char[] cbuf, int off, int len) throws IOException {
                try {
                    release.await(20, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                for (int i = off; i < off + len; i++) {
                    if (cbuf[i] == '\n') {
                        kept.incrementAndGet();
                    }
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        int lines = AccessLog.QUEUE + 100;
        long[] droppedAtEnd = new long[1];
        String line = "x".repeat(8200);
        long start = System.nanoTime();
        try (AccessLog log = AccessLog.to(stuck)) {
            for (int i = 0; i < lines; i++) {
                log.write(line); // past the writer's buffer, so it blocks on the stuck writer
            }
            assertThat(System.nanoTime() - start).as("writing never waits for the writer")
                    .isLessThan(TimeUnit.SECONDS.toNanos(10));
            assertThat(log.dropped()).isBetween(99L, 100L);
            droppedAtEnd[0] = log.dropped();
            release.countDown();
        }
        assertThat(kept.get()).as("every line not dropped is written").isEqualTo(lines - droppedAtEnd[0]);
    }

    @Test
    void aClientsRequestIdIsKeptOnlyWhereUsable() {
        assertThat(RequestIds.accept("trace-7f3a:span/2")).isEqualTo("trace-7f3a:span/2");
        for (String unusable : new String[] {null, "", "has space", "quote\"d", "x".repeat(129), "ünï"}) {
            assertThat(RequestIds.accept(unusable)).matches("req_[0-9a-f]{32}");
        }
        assertThat(RequestIds.fresh()).isNotEqualTo(RequestIds.fresh());
    }

    @Test
    void aRecordsLineHoldsWhatItWasToldAndNothingElse() throws Exception {
        AccessRecord r = new AccessRecord("http", "req-1", "POST", "/v1/chat/completions", "127.0.0.1:5000", null);
        r.status(200);
        r.status(500); // an error replacing a started answer: the status sent stays
        r.sent(120);
        long admitted = System.nanoTime();
        r.generated(new AccessRecord.Generated("tiny", true, 7, 5, 0, admitted, System.nanoTime(), "length", 1));
        JsonNode line = JSON.readTree(r.line("answered"));
        assertThat(line.get("request_id").asText()).isEqualTo("req-1");
        assertThat(line.get("status").asInt()).isEqualTo(200);
        assertThat(line.get("body_bytes").asLong()).isEqualTo(120);
        assertThat(line.get("model").asText()).isEqualTo("tiny");
        assertThat(line.get("ttft_ms").asDouble()).isBetween(0.0, line.get("duration_ms").asDouble());
        assertThat(line.get("queue_ms").asDouble()).isBetween(0.0, line.get("ttft_ms").asDouble());
        assertThat(line.has("user_agent")).isFalse();
        assertThat(line.has("choices")).as("one choice is not worth a field").isFalse();
        assertThat(line.has("error_type")).isFalse();
        assertThat(java.time.Instant.parse(line.get("time").asText())).isNotNull();
    }
}
