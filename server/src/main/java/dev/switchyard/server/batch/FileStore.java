package dev.switchyard.server.batch;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchyard.server.serving.KeyOwnership;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The files of OpenAI's Files API ({@code /v1/files}): uploaded batch inputs and the results batches
 * write, kept in one directory within a space budget. Each file's bytes are stored under its id and
 * what the API says of it beside them ({@code ID.json}), so a directory given by the user keeps its
 * files across restarts; a temporary one is removed when the store closes. A file made with an
 * expiry is gone once it passes (deleted as the store is next used).
 */
public final class FileStore implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(FileStore.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom IDS = new SecureRandom();
    private static final String META = ".json";
    private static final String INCOMING = ".incoming";
    private static final String RUNNING = ".running";
    private static final String LOCK = ".lock";

    /**
     * One file: what the Files API says of it (its expiry in epoch seconds, null for none), where its
     * bytes are, and whose it is: the name of the API key that made it (null where requests need no key).
     */
    public record StoredFile(String id, String filename, String purpose, long bytes, long createdAt, Long expiresAt,
                             Path path, String owner) {

        boolean expired(long now) {
            return expiresAt != null && now >= expiresAt;
        }

        /**
         * Whether the client of the key named {@code caller} may see it: its own, or any where requests
         * need no key (null caller), or one made when they needed none (null owner).
         */
        public boolean visibleTo(String caller) {
            return KeyOwnership.visible(owner, caller);
        }
    }

    /** Writes a new file's bytes to {@code target}. */
    @FunctionalInterface
    public interface Content {
        void writeTo(Path target) throws IOException;
    }

    /** A file that would take the store past its space. */
    public static final class SpaceExhaustedException extends Exception {
        SpaceExhaustedException(String message) {
            super(message, null, false, false);
        }
    }

    private final Path dir;
    private final boolean temporary;
    private final long space;
    private final java.time.InstantSource clock;
    private boolean closed;
    /** Held while the store is open, on a directory kept across restarts. */
    private java.nio.channels.FileLock lock;
    /** In the order the files were made. */
    private final Map<String, StoredFile> files = new LinkedHashMap<>();
    private long used;
    /** Bytes held for uploads still arriving, so that uploads at once cannot together pass the space. */
    private long reserved;
    /** The second the last sweep ran in. */
    private long swept = Long.MIN_VALUE;

    private FileStore(Path dir, boolean temporary, long space, java.time.InstantSource clock) {
        if (space < 1) {
            throw new IllegalArgumentException("--files-space must be positive, got " + space);
        }
        this.dir = dir;
        this.temporary = temporary;
        this.space = space;
        this.clock = clock;
    }

    /** A store in a new temporary directory, removed when it closes. */
    public static FileStore temporary(long space) {
        try {
            return new FileStore(Files.createTempDirectory("switchyard-files-"), true, space,
                    java.time.InstantSource.system());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a directory for files: " + e.getMessage(), e);
        }
    }

    /** A store in {@code dir} (created if missing), with the files an earlier server kept there. */
    public static FileStore in(Path dir, long space) throws IOException {
        return in(dir, space, java.time.InstantSource.system());
    }

    /** The same, files expiring by {@code clock}. */
    static FileStore in(Path dir, long space, java.time.InstantSource clock) throws IOException {
        Files.createDirectories(dir);
        FileStore store = new FileStore(dir, false, space, clock);
        store.lock = lock(dir);
        try {
            store.readKept();
            store.clearIncoming();
        } catch (IOException | RuntimeException e) {
            store.close();
            throw e;
        }
        return store;
    }

    /**
     * Takes the directory for this server alone: two servers on one directory would both go on with
     * the batches an earlier one left, and delete each other's half-written files.
     */
    private static java.nio.channels.FileLock lock(Path dir) throws IOException {
        java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(dir.resolve(LOCK),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
        java.nio.channels.FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            channel.close();
            throw new IOException("the directory is in use by another server; give each server a directory of its own");
        }
        return lock;
    }

    /**
     * Removes what an earlier server left half-written: uploads cut off when it stopped, and results
     * made on demand (which are made again when asked for).
     */
    private void clearIncoming() throws IOException {
        Path in = dir.resolve(INCOMING);
        if (!Files.isDirectory(in)) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(in)) {
            for (Path p : entries) {
                if (Files.isRegularFile(p)) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private void readKept() throws IOException {
        List<StoredFile> kept = new ArrayList<>();
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir, "file-*" + META)) {
            for (Path meta : entries) {
                try {
                    var node = JSON.readTree(meta.toFile());
                    String id = node.path("id").asText();
                    Path content = dir.resolve(id);
                    if (!meta.getFileName().toString().equals(id + META) || !Files.isRegularFile(content)) {
                        continue;
                    }
                    kept.add(new StoredFile(id, node.path("filename").asText(), node.path("purpose").asText(),
                            Files.size(content), node.path("created_at").asLong(),
                            node.path("expires_at").isNumber() ? node.get("expires_at").asLong() : null, content,
                            node.path("owner").isTextual() ? node.get("owner").asText() : null));
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "skipping " + meta + ": " + e.getMessage());
                }
            }
        }
        kept.sort(java.util.Comparator.comparingLong(StoredFile::createdAt).thenComparing(StoredFile::id));
        for (StoredFile f : kept) {
            files.put(f.id(), f);
            used += f.bytes();
        }
    }

    /** Where uploads are written while they arrive (in the store's directory, so keeping one is a rename). */
    public Path incoming() {
        return subdirectory(INCOMING);
    }

    /**
     * Where batches write their results while they run: kept across restarts (unlike {@link #incoming}),
     * so that a batch the server stopped in the middle goes on from them.
     */
    public Path running() {
        return subdirectory(RUNNING);
    }

    private Path subdirectory(String name) {
        Path in = dir.resolve(name);
        try {
            Files.createDirectories(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return in;
    }

    /** Bytes the store may still take. */
    public long free() {
        sweep();
        synchronized (this) {
            return Math.max(0, space - used - reserved);
        }
    }

    /** Holds {@code bytes} more for an upload still arriving; false (nothing held) when they do not fit. */
    public boolean reserve(long bytes) {
        sweep();
        synchronized (this) {
            if (used + reserved + bytes > space) {
                return false;
            }
            reserved += bytes;
            return true;
        }
    }

    /** Lets go of bytes {@link #reserve} held (the upload was kept, and counts as used, or was refused). */
    public synchronized void release(long bytes) {
        reserved = Math.max(0, reserved - bytes);
    }

    /** Where the files are; null for a temporary directory, which keeps nothing across restarts. */
    public Path keptIn() {
        return temporary ? null : dir;
    }

    /** The space given to files in all. */
    public long space() {
        return space;
    }

    /**
     * Stores a new file whose bytes {@code content} writes, refusing it (and keeping nothing) when it
     * would take the store past its space, unless {@code always} (a batch's results are kept even then).
     */
    public StoredFile add(String filename, String purpose, Content content, boolean always)
            throws IOException, SpaceExhaustedException {
        return add(filename, purpose, null, content, always, null);
    }

    /**
     * The same, the file expiring {@code expiresAfter} seconds after it is made (null: never), and
     * {@code owner}'s (the name of the key that made it; null for anyone's).
     */
    public StoredFile add(String filename, String purpose, Long expiresAfter, Content content, boolean always, String owner)
            throws IOException, SpaceExhaustedException {
        sweep(); // what has expired makes room first
        String id = "file-" + HexFormat.of().formatHex(randomBytes());
        Path target = dir.resolve(id);
        try {
            content.writeTo(target);
            long bytes = Files.size(target);
            long createdAt = now();
            StoredFile f = new StoredFile(id, filename, purpose, bytes, createdAt,
                    expiresAfter == null ? null : createdAt + expiresAfter, target, owner);
            synchronized (this) {
                if (!always && used + bytes > space) {
                    throw new SpaceExhaustedException("the file (" + bytes + " bytes) does not fit in the space left for "
                            + "files (" + Math.max(0, space - used) + " of " + space + " bytes; delete files, or start the server with a "
                            + "larger --files-space)");
                }
                ObjectNode meta = JSON.createObjectNode().put("id", id).put("filename", filename).put("purpose", purpose)
                        .put("created_at", createdAt);
                if (f.expiresAt() != null) {
                    meta.put("expires_at", f.expiresAt());
                }
                if (owner != null) {
                    meta.put("owner", owner);
                }
                JSON.writeValue(dir.resolve(id + META).toFile(), meta);
                files.put(id, f);
                used += bytes;
            }
            return f;
        } catch (IOException | SpaceExhaustedException | RuntimeException e) {
            Files.deleteIfExists(target);
            throw e;
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[12];
        IDS.nextBytes(b);
        return b;
    }

    private long now() {
        return clock.instant().getEpochSecond();
    }

    /** The file of that id, or null (also once it has expired). */
    public StoredFile get(String id) {
        sweep();
        synchronized (this) {
            return files.get(id);
        }
    }

    /** Every file, oldest first. */
    public List<StoredFile> list() {
        sweep();
        synchronized (this) {
            return new ArrayList<>(files.values());
        }
    }

    /** Deletes the files whose expiry has passed (at most once a second: expiries are whole seconds). */
    private void sweep() {
        long now = now();
        List<String> expired = new ArrayList<>();
        synchronized (this) {
            if (now == swept) {
                return;
            }
            swept = now;
            for (StoredFile f : files.values()) {
                if (f.expired(now)) {
                    expired.add(f.id());
                }
            }
        }
        expired.forEach(this::delete);
    }

    /** Deletes the file of that id; false when there is none. */
    public boolean delete(String id) {
        StoredFile f;
        synchronized (this) {
            f = files.remove(id);
            if (f == null) {
                return false;
            }
            used -= f.bytes();
        }
        try {
            Files.deleteIfExists(dir.resolve(id + META));
            Files.deleteIfExists(f.path());
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not remove " + f.path() + ": " + e.getMessage());
        }
        return true;
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) { // (a server closes its parts when it stops, and again when it is closed)
                return;
            }
            closed = true;
        }
        if (!temporary) {
            if (lock != null) {
                try {
                    lock.channel().close(); // (and the lock with it)
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "could not let go of " + dir.resolve(LOCK) + ": " + e.getMessage());
                }
            }
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                try {
                    Files.deleteIfExists(p);
                } catch (NoSuchFileException ignored) {
                    // gone already
                }
            }
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not remove " + dir + ": " + e.getMessage());
        }
    }
}
