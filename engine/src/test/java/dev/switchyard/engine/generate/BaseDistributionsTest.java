package dev.switchyard.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The base file reads back what was written, and a malformed or cut-short one is refused by name. */
class BaseDistributionsTest {

    @TempDir
    Path dir;

    private Path write(int entries) throws IOException {
        Path file = dir.resolve("base.sykl");
        int[] tokens = new int[2 * 8];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = i * 3 % 50;
        }
        try (BaseDistributions.Writer w = new BaseDistributions.Writer(file,
                new BaseDistributions.Header(50, 8, 2, 3, tokens))) {
            for (int n = 0; n < entries; n++) {
                BaseDistributions.Entry e = new BaseDistributions.Entry(3);
                e.tokenLogprob = -n;
                for (int i = 0; i < 3; i++) {
                    e.ids[i] = (n + i) % 50;
                    e.logprobs[i] = -0.5f * i - n - 1;
                }
                w.write(e);
            }
        }
        return file;
    }

    @Test
    void whatIsWrittenReadsBack() throws IOException {
        Path file = write(6);
        try (BaseDistributions.Reader r = new BaseDistributions.Reader(file)) {
            BaseDistributions.Header h = r.header();
            assertThat(h.vocabSize()).isEqualTo(50);
            assertThat(h.context()).isEqualTo(8);
            assertThat(h.chunks()).isEqualTo(2);
            assertThat(h.top()).isEqualTo(3);
            assertThat(h.chunk(1)).containsExactly(Arrays.copyOfRange(h.tokens(), 8, 16));
            BaseDistributions.Entry e = new BaseDistributions.Entry(3);
            for (int n = 0; n < 6; n++) {
                r.read(e);
                assertThat(e.tokenLogprob).isEqualTo(-n);
                assertThat(e.ids).containsExactly(n % 50, (n + 1) % 50, (n + 2) % 50);
                assertThat(e.logprobs).containsExactly(-n - 1f, -1.5f - n, -2f - n);
            }
            assertThatThrownBy(() -> r.read(e)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cut short");
        }
    }

    @Test
    void malformedFilesAreRefusedByName() throws IOException {
        byte[] good = Files.readAllBytes(write(2));
        Path bad = dir.resolve("bad.sykl");
        Files.write(bad, "not a base file at all".getBytes());
        assertThatThrownBy(() -> new BaseDistributions.Reader(bad)).hasMessageContaining("no SYKL magic");
        byte[] version = good.clone();
        ByteBuffer.wrap(version).putInt(4, 9);
        Files.write(bad, version);
        assertThatThrownBy(() -> new BaseDistributions.Reader(bad)).hasMessageContaining("version 9");
        byte[] top = good.clone();
        ByteBuffer.wrap(top).putInt(20, 51); // more best tokens than the vocabulary has
        Files.write(bad, top);
        assertThatThrownBy(() -> new BaseDistributions.Reader(bad)).hasMessageContaining("header out of range");
        byte[] token = good.clone();
        ByteBuffer.wrap(token).putInt(24 + 4 * 5, 50);
        Files.write(bad, token);
        assertThatThrownBy(() -> new BaseDistributions.Reader(bad)).hasMessageContaining("token 5 is 50");
        Files.write(bad, Arrays.copyOf(good, 30));
        assertThatThrownBy(() -> new BaseDistributions.Reader(bad)).hasMessageContaining("ends inside its header");
        byte[] entryId = good.clone();
        ByteBuffer.wrap(entryId).putInt(24 + 4 * 16 + 4, -7);
        Files.write(bad, entryId);
        try (BaseDistributions.Reader r = new BaseDistributions.Reader(bad)) {
            assertThatThrownBy(() -> r.read(new BaseDistributions.Entry(3))).hasMessageContaining("names token -7");
        }
    }
}
