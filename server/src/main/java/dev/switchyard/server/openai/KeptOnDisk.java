package dev.switchyard.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Weigher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;

/**
 * A directory that keeps a store's entries across restarts ({@code --responses-dir}): one JSON file
 * per entry, named by its id, written whole or not at all as the
 * entry is made or changed, and deleted as it is forgotten (deleted, or evicted past the store's
 * memory). Only ids the server made are ever file names.
 */
final class KeptOnDisk {

    private static final Logger LOG = Logger.getLogger(KeptOnDisk.class.getName());
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");
    private static final String SUFFIX = ".json";
    /** The field each file carries its write time in, so that entries come back oldest first. */
    static final String KEPT_AT = "kept_at_millis";

    private final Path dir;
    private final ObjectMapper json;

    KeptOnDisk(Path dir, ObjectMapper json) {
        this.dir = dir;
        this.json = json;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep entries in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Writes the entry {@code id} (its previous version replaced); a failure is logged, the entry kept in memory. */
    void write(String id, com.fasterxml.jackson.databind.node.ObjectNode entry) {
        if (!ID.matcher(id).matches()) {
            return;
        }
        try {
            entry.put(KEPT_AT, System.currentTimeMillis());
            dev.switchyard.server.serving.JsonFiles.writeWhole(json, dir.resolve(id + SUFFIX), entry);
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not keep " + id + " in " + dir + ": " + e.getMessage());
        }
    }

    void delete(String id) {
        if (!ID.matcher(id).matches()) {
            return;
        }
        try {
            Files.deleteIfExists(dir.resolve(id + SUFFIX));
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not delete " + id + " from " + dir + ": " + e.getMessage());
        }
    }

    /** Every entry kept, oldest first, each with the id its file is named by; unreadable files skipped (and said so). */
    List<Kept> readAll() {
        List<Kept> found = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                String id = name.substring(0, name.length() - SUFFIX.length());
                if (!ID.matcher(id).matches()) {
                    continue;
                }
                try {
                    JsonNode entry = json.readTree(p.toFile());
                    if (entry != null && entry.isObject()) {
                        found.add(new Kept(id, entry));
                    }
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "skipping " + p + ": " + e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the entries kept in " + dir + ": " + e.getMessage(), e);
        }
        found.sort(Comparator.comparingLong((Kept k) -> k.entry().path(KEPT_AT).asLong()).thenComparing(Kept::id));
        return found;
    }

    /**
     * A store's memory: Caffeine bounded at {@code maxBytes} as {@code weigher} counts, evicting on the
     * writer's thread (so the bound holds as soon as an entry is kept); what it forgets (deleted or
     * evicted, not replaced) is deleted from {@code disk} too, where there is one. Null for 0 bytes.
     */
    static <V> Cache<String, V> boundedCache(long maxBytes, Weigher<String, V> weigher, KeptOnDisk disk) {
        if (maxBytes == 0) {
            return null;
        }
        Caffeine<String, V> builder = Caffeine.newBuilder().maximumWeight(maxBytes).weigher(weigher)
                .executor(Runnable::run);
        if (disk != null) {
            builder = builder.removalListener((id, v, cause) -> {
                if (cause != RemovalCause.REPLACED) {
                    disk.delete(id);
                }
            });
        }
        return builder.build();
    }

    /** An entry read back. */
    record Kept(String id, JsonNode entry) {
    }
}
