package dev.switchyard.server.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The keys a server accepts: {@code --api-key} as {@code default}, a file's keys by their names, the
 * server's own loopback key as {@code batch}; anything else names no key; a file with a malformed
 * line, a name or key given twice, the reserved name, or no keys at all is refused by line.
 */
class ApiKeysTest {

    @Test
    void eachKeyIsKnownByItsNameAndNothingElseIs(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), """
                # team keys
                alice   sk-alice-0001

                bob sk-bob-0002
                """);
        ApiKeys keys = ApiKeys.from("sk-main", file);
        assertThat(keys.enabled()).isTrue();
        assertThat(keys.count()).isEqualTo(3);
        assertThat(keys.nameOf("sk-main")).isEqualTo("default");
        assertThat(keys.nameOf("sk-alice-0001")).isEqualTo("alice");
        assertThat(keys.nameOf("sk-bob-0002")).isEqualTo("bob");
        assertThat(keys.nameOf(keys.loopbackKey())).isEqualTo(ApiKeys.LOOPBACK);
        assertThat(keys.loopbackKey()).hasSizeGreaterThan(40).isNotEqualTo(ApiKeys.from("sk-main", file).loopbackKey());
        for (String wrong : new String[] {"", "sk-alice-000", "sk-alice-00011", "alice", null}) {
            assertThat(keys.nameOf(wrong)).as(String.valueOf(wrong)).isNull();
        }
        assertThat(ApiKeys.from(null, file).nameOf("sk-main")).isNull();
    }

    @Test
    void withoutKeysNothingIsNeededAndNoLoopbackKeyIsMade() {
        for (ApiKeys none : new ApiKeys[] {ApiKeys.none(), ApiKeys.single(""), ApiKeys.from(null, null)}) {
            assertThat(none.enabled()).isFalse();
            assertThat(none.loopbackKey()).isNull();
            assertThat(none.nameOf("anything")).isNull();
        }
    }

    @Test
    void aFileThatCannotBeTrustedIsRefusedByLine(@TempDir Path dir) throws Exception {
        String[][] cases = {
            {"alice\n", "line 1", "NAME KEY"},
            {"alice sk-1 extra\n", "line 1", "concurrency=N"},
            {"alice sk-1 concurrency=2 more\n", "line 1", "NAME KEY"},
            {"al ice sk-1\n", "line 1", "NAME KEY"},
            {"a sk-1\na sk-2\n", "line 2", "used twice"},
            {"a sk-1\nb sk-1\n", "line 2", "given twice"},
            {"batch sk-1\n", "line 1", "the server's own"},
            {"# only a comment\n\n", "no keys", "open"},
        };
        for (String[] c : cases) {
            Path file = Files.writeString(dir.resolve("keys"), c[0]);
            assertThatThrownBy(() -> ApiKeys.from(null, file)).as(c[0])
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("--api-key-file " + file).hasMessageContaining(c[1]).hasMessageContaining(c[2]);
        }
        assertThatThrownBy(() -> ApiKeys.from("k", dir.resolve("missing"))).hasMessageContaining("cannot read");
        Path clash = Files.writeString(dir.resolve("clash"), "alice sk-main\n");
        assertThatThrownBy(() -> ApiKeys.from("sk-main", clash)).hasMessageContaining("given twice");
    }

    @Test
    void aChangedFileIsReadAgainAndOneThatCannotBeTrustedLeavesTheKeysAsTheyWere(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), "alice sk-alice\nbob sk-bob\n");
        ApiKeys keys = ApiKeys.from(null, file);
        String loopback = keys.loopbackKey();
        assertThat(keys.reloadIfChanged()).as("unchanged").isFalse();

        Files.writeString(file, "alice sk-alice\ncarol sk-carol-new\n");
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
        assertThat(keys.reloadIfChanged()).isTrue();
        assertThat(keys.nameOf("sk-bob")).as("bob's line deleted").isNull();
        assertThat(keys.nameOf("sk-carol-new")).isEqualTo("carol");
        assertThat(keys.nameOf("sk-alice")).isEqualTo("alice");
        assertThat(keys.loopbackKey()).as("the server's own key stays").isEqualTo(loopback);
        assertThat(keys.nameOf(loopback)).isEqualTo(ApiKeys.LOOPBACK);

        Files.writeString(file, "alice\n"); // a half-written edit
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 9000));
        assertThat(keys.reloadIfChanged()).isFalse();
        assertThat(keys.nameOf("sk-carol-new")).as("the keys stay as they were").isEqualTo("carol");

        Files.writeString(file, "dave sk-dave\n");
        keys.watch(java.time.Duration.ofMillis(20));
        try {
            for (int i = 0; i < 500 && keys.nameOf("sk-dave") == null; i++) {
                Thread.sleep(10);
            }
        } finally {
            keys.stopWatching();
        }
        assertThat(keys.nameOf("sk-dave")).as("the watcher read the new file").isEqualTo("dave");
        assertThat(keys.nameOf("sk-alice")).isNull();
    }

    @Test
    void aKeyWithABoundRunsAtMostThatManyRequestsAtOnce(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("keys"), "alice sk-a concurrency=2\nbob sk-b\n");
        ApiKeys keys = ApiKeys.from(null, file);
        assertThat(keys.concurrencyOf("alice")).isEqualTo(2);
        assertThat(keys.concurrencyOf("bob")).isZero();
        assertThat(keys.tryAcquire("alice")).isTrue();
        assertThat(keys.tryAcquire("alice")).isTrue();
        assertThat(keys.tryAcquire("alice")).as("a third at once").isFalse();
        for (int i = 0; i < 100; i++) {
            assertThat(keys.tryAcquire("bob")).as("no bound").isTrue();
        }
        keys.release("alice");
        assertThat(keys.tryAcquire("alice")).isTrue();

        // a bound lowered in the file counts the requests already running
        Files.writeString(file, "alice sk-a concurrency=1\nbob sk-b\n");
        Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5000));
        assertThat(keys.reloadIfChanged()).isTrue();
        keys.release("alice");
        assertThat(keys.tryAcquire("alice")).as("one still runs").isFalse();
        keys.release("alice");
        assertThat(keys.tryAcquire("alice")).isTrue();

        for (String bad : new String[] {"concurrency=0", "concurrency=x", "conc=2", "concurrency="}) {
            Path f = Files.writeString(dir.resolve("bad"), "carol sk-c " + bad + "\n");
            assertThatThrownBy(() -> ApiKeys.from(null, f)).as(bad).hasMessageContaining("line 1")
                    .hasMessageContaining("concurrency=N");
        }
    }
}
