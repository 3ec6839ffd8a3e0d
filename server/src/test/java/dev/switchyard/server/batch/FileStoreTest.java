package dev.switchyard.server.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files kept within their space, across restarts in a directory given (one server's at a time), gone
 * with a temporary one, and gone once their expiry has passed.
 */
class FileStoreTest {

    @TempDir
    Path dir;

    @Test
    void aDirectoryGivenKeepsItsFilesAcrossRestarts() throws Exception {
        String kept;
        String deleted;
        try (FileStore store = FileStore.in(dir, 1000)) {
            kept = store.add("a.jsonl", "batch", t -> Files.writeString(t, "hello"), false).id();
            deleted = store.add("b.jsonl", "batch", t -> Files.writeString(t, "gone"), false).id();
            assertThat(store.delete(deleted)).isTrue();
            assertThat(store.delete(deleted)).isFalse();
        }
        try (FileStore store = FileStore.in(dir, 1000)) {
            assertThat(store.list()).extracting(FileStore.StoredFile::id).containsExactly(kept);
            FileStore.StoredFile f = store.get(kept);
            assertThat(f.filename()).isEqualTo("a.jsonl");
            assertThat(f.purpose()).isEqualTo("batch");
            assertThat(f.bytes()).isEqualTo(5);
            assertThat(Files.readString(f.path())).isEqualTo("hello");
            assertThat(store.free()).isEqualTo(995);
        }
    }

    @Test
    void aDirectoryIsOneServersAtATimeAndWhatAnUploadLeftHalfWrittenIsCleared() throws Exception {
        Path cut = Files.createDirectories(dir.resolve(".incoming")).resolve("FUp_cut-short.tmp");
        try (FileStore store = FileStore.in(dir, 1000)) {
            assertThat(cut).as("an upload a stop cut short").doesNotExist();
            Files.writeString(cut, "half");
            assertThatThrownBy(() -> FileStore.in(dir, 1000)).hasMessageContaining("in use by another server");
            assertThat(cut).as("the refused store touches nothing").exists();
        }
        try (FileStore again = FileStore.in(dir, 1000)) {
            assertThat(again.list()).isEmpty();
        }
    }

    @Test
    void aFilePastTheSpaceIsRefusedAndNothingOfItKept() throws Exception {
        try (FileStore store = FileStore.in(dir, 10)) {
            store.add("a", "batch", t -> Files.writeString(t, "123456"), false);
            assertThatThrownBy(() -> store.add("b", "batch", t -> Files.writeString(t, "123456"), false))
                    .isInstanceOf(FileStore.SpaceExhaustedException.class).hasMessageContaining("--files-space");
            assertThat(store.list()).hasSize(1);
            try (var left = Files.list(dir)) {
                assertThat(left.filter(p -> !p.getFileName().toString().startsWith(".")).count())
                        .as("one file and its description").isEqualTo(2);
            }
            // a batch's results are kept even then
            assertThat(store.add("out", "batch_output", t -> Files.writeString(t, "123456"), true).bytes()).isEqualTo(6);
            assertThat(store.free()).isZero();
        }
    }

    @Test
    void aTemporaryStoreIsRemovedWhenItClosesAndClosingItAgainIsQuiet() throws Exception {
        Path where;
        java.util.List<java.util.logging.LogRecord> warned = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Logger log = java.util.logging.Logger.getLogger(FileStore.class.getName());
        java.util.logging.Handler catcher = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord r) {
                warned.add(r);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        log.addHandler(catcher);
        try {
            FileStore store = FileStore.temporary(100);
            where = store.add("a", "batch", t -> Files.writeString(t, "x"), false).path().getParent();
            store.incoming();
            store.running();
            assertThat(where).isDirectory();
            store.close();
            store.close(); // a stopping server closes its parts, then is closed
        } finally {
            log.removeHandler(catcher);
        }
        assertThat(where).doesNotExist();
        assertThat(warned).isEmpty();
    }

    @Test
    void aFileThatExpiresIsGoneOnceItsTimeHasPassed() throws Exception {
        java.util.concurrent.atomic.AtomicReference<java.time.Instant> now =
                new java.util.concurrent.atomic.AtomicReference<>(java.time.Instant.parse("2026-11-30T00:00:00Z"));
        FileStore.StoredFile expiring;
        try (FileStore store = FileStore.in(dir, 100, now::get)) {
            expiring = store.add("a", "batch", 3600L, t -> Files.writeString(t, "12345"), false, "alice");
            store.add("b", "batch", t -> Files.writeString(t, "678"), false);
            assertThat(expiring.expiresAt()).isEqualTo(expiring.createdAt() + 3600);
        }
        try (FileStore store = FileStore.in(dir, 100, now::get)) {
            assertThat(store.get(expiring.id()).expiresAt()).as("kept with its expiry").isEqualTo(expiring.expiresAt());
            assertThat(store.get(expiring.id()).owner()).as("and its owner").isEqualTo("alice");
            assertThat(store.get(expiring.id()).visibleTo("alice")).isTrue();
            assertThat(store.get(expiring.id()).visibleTo("bob")).isFalse();
            assertThat(store.list()).filteredOn(f -> f.filename().equals("b")).singleElement()
                    .as("made without a key: anyone's").satisfies(f -> assertThat(f.owner()).isNull());
            now.set(now.get().plusSeconds(3599));
            assertThat(store.get(expiring.id())).isNotNull();
            now.set(now.get().plusSeconds(1));
            assertThat(store.get(expiring.id())).isNull();
            assertThat(store.list()).extracting(FileStore.StoredFile::filename).containsExactly("b");
            assertThat(store.free()).isEqualTo(97);
            assertThat(expiring.path()).doesNotExist();
        }
    }

    @Test
    void spaceHeldForUploadsStillArrivingIsNotGivenTwice() throws Exception {
        try (FileStore store = FileStore.in(dir, 10)) {
            assertThat(store.reserve(6)).isTrue();
            assertThat(store.free()).isEqualTo(4);
            assertThat(store.reserve(5)).as("a second upload at once past the space").isFalse();
            assertThat(store.reserve(4)).isTrue();
            assertThat(store.free()).isZero();
            store.release(4);
            store.add("a", "batch", t -> Files.writeString(t, "123456"), false);
            store.release(6);
            assertThat(store.free()).isEqualTo(4);
        }
    }
}
