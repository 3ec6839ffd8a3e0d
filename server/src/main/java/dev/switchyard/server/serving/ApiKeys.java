package dev.switchyard.server.serving;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The API keys a server accepts, each with a name that the access log and traces give for the
 * requests it made (never the key): {@code --api-key} (named {@code default}) and the keys of
 * {@code --api-key-file} (a {@code NAME KEY} per line, and optionally {@code concurrency=N}: at most
 * N of its requests at once), so that each client has a key of its own,
 * taken back by deleting its line: the file is read again when it changes ({@link #watch}). Where any key is set, a random key of the server's own, named
 * {@link #LOOPBACK}, is accepted too: the batches the server runs through its own endpoints send it.
 *
 * <p>A presented key is checked against every key in constant time: each side is hashed first and
 * the digests compared with {@link MessageDigest#isEqual} (which does not stop at the first
 * difference), with no early exit, so a guess reveals neither a key's length, how much of it was
 * right, nor which key it came close to.
 */
public final class ApiKeys {

    /** The name of the key the server's own batch requests carry. */
    public static final String LOOPBACK = "batch";
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._@-]{1,64}");

    /** A key: its name, its digest, and how many of its requests may run at once (0: no bound). */
    private record Key(String name, byte[] digest, int concurrency) {

        Key(String name, byte[] digest) {
            this(name, digest, 0);
        }
    }

    /** Requests in flight by key name; kept across reloads, so a bound changed in the file counts what runs. */
    private final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.AtomicInteger> inFlight =
            new java.util.concurrent.ConcurrentHashMap<>();

    private static final java.util.logging.Logger LOG = java.util.logging.Logger.getLogger(ApiKeys.class.getName());

    /** The keys accepted now, the server's own among them; replaced whole when the file changes. */
    private volatile List<Key> keys;
    /** {@code --api-key}, or null. */
    private final String single;
    /** {@code --api-key-file}, or null. */
    private final Path file;
    /** The server's own key; null without keys. */
    private final String loopback;
    /** What the file was when last read (its modification time and size), to see that it changed. */
    private volatile String fileStamp;
    private java.util.concurrent.ScheduledExecutorService watcher;

    private ApiKeys(String single, Path file) {
        this.single = single == null || single.isEmpty() ? null : single;
        this.file = file;
        this.fileStamp = stamp(file);
        List<Key> read = read(this.single, file);
        if (read.isEmpty()) {
            this.loopback = null;
            this.keys = List.of();
        } else {
            byte[] random = new byte[32];
            new SecureRandom().nextBytes(random);
            this.loopback = "sy-loopback-" + HexFormat.of().formatHex(random);
            this.keys = withLoopback(read);
        }
    }

    private List<Key> withLoopback(List<Key> read) {
        List<Key> all = new ArrayList<>(read);
        all.add(new Key(LOOPBACK, sha256(loopback)));
        return List.copyOf(all);
    }

    /** No keys: every request passes. */
    public static ApiKeys none() {
        return new ApiKeys(null, null);
    }

    /** One key, named {@code default}; none for null or empty. */
    public static ApiKeys single(String key) {
        return new ApiKeys(key, null);
    }

    /**
     * {@code key} (named {@code default}; null for none) and the keys of {@code file} (null for none):
     * a {@code NAME KEY} per line, blank lines and lines starting with {@code #} skipped.
     *
     * @throws IllegalArgumentException naming the flag and the line for a malformed line, a name or a
     *                                  key given twice, or a file that cannot be read
     */
    public static ApiKeys from(String key, Path file) {
        return new ApiKeys(key, file);
    }

    private static List<Key> read(String key, Path file) {
        List<Key> keys = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        if (key != null) {
            keys.add(new Key("default", sha256(key)));
            names.add("default");
            seen.add(key);
        }
        if (file != null) {
            List<String> lines;
            try {
                lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            } catch (IOException | java.io.UncheckedIOException e) {
                throw new IllegalArgumentException("--api-key-file " + file + ": cannot read it (" + e.getMessage() + ")", e);
            }
            for (int i = 0; i < lines.size(); i++) {
                String line = lines.get(i).strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String where = "--api-key-file " + file + " line " + (i + 1);
                String[] parts = line.split("\\s+");
                if (parts.length < 2 || parts.length > 3 || !NAME.matcher(parts[0]).matches()) {
                    throw new IllegalArgumentException(where + ": expected 'NAME KEY [concurrency=N]', a name of 1 to 64 "
                            + "letters, digits or ._@- and a key without spaces");
                }
                int concurrency = parts.length == 3 ? concurrency(parts[2], where) : 0;
                if (parts[0].equals(LOOPBACK) || names.contains(parts[0])) {
                    throw new IllegalArgumentException(where + ": the name '" + parts[0] + "' is "
                            + (parts[0].equals(LOOPBACK) ? "the server's own" : "used twice"));
                }
                if (seen.contains(parts[1])) {
                    throw new IllegalArgumentException(where + ": this key is given twice");
                }
                keys.add(new Key(parts[0], sha256(parts[1]), concurrency));
                names.add(parts[0]);
                seen.add(parts[1]);
            }
            if (keys.isEmpty()) {
                throw new IllegalArgumentException("--api-key-file " + file + ": no keys in it (a 'NAME KEY' per line); "
                        + "an empty file would leave the server open");
            }
        }
        return keys;
    }

    private static int concurrency(String option, String where) {
        String value = option.startsWith("concurrency=") ? option.substring("concurrency=".length()) : "";
        try {
            int n = Integer.parseInt(value);
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new IllegalArgumentException(where + ": expected 'NAME KEY [concurrency=N]' with N at least 1, got '"
                + option + "'");
    }

    /**
     * Takes a place for a request of the key named {@code name}: true when it may run (its key has no
     * bound, or fewer of its requests run than the bound), and then {@link #release} must follow once
     * it has ended; false, taking nothing, when the key's requests already fill its bound.
     */
    public boolean tryAcquire(String name) {
        int bound = concurrencyOf(name);
        java.util.concurrent.atomic.AtomicInteger running = inFlight.computeIfAbsent(name,
                n -> new java.util.concurrent.atomic.AtomicInteger());
        while (true) {
            int now = running.get();
            if (bound > 0 && now >= bound) {
                return false;
            }
            if (running.compareAndSet(now, now + 1)) {
                return true;
            }
        }
    }

    /** Gives back a place {@link #tryAcquire} took. */
    public void release(String name) {
        java.util.concurrent.atomic.AtomicInteger running = inFlight.get(name);
        if (running != null) {
            running.decrementAndGet();
        }
    }

    /** How many of its requests the key named {@code name} may run at once; 0 for no bound. */
    public int concurrencyOf(String name) {
        for (Key k : keys) {
            if (k.name().equals(name)) {
                return k.concurrency();
            }
        }
        return 0;
    }

    /**
     * Reads the file again if it changed since it was last read, and from then on accepts its keys
     * (the server's own kept): a client is taken out, or a new one let in, without a restart. A file
     * that cannot be trusted now is not used: the keys stay as they were, and the reason is logged.
     *
     * @return whether the keys changed
     */
    public boolean reloadIfChanged() {
        if (file == null) {
            return false;
        }
        String now = stamp(file);
        if (now.equals(fileStamp)) {
            return false;
        }
        fileStamp = now;
        try {
            keys = withLoopback(read(single, file));
            LOG.info("--api-key-file " + file + " read again: " + count() + " keys");
            return true;
        } catch (IllegalArgumentException e) {
            LOG.warning(e.getMessage() + "; the keys stay as they were");
            return false;
        }
    }

    /** Looks at the file every {@code period} and reads it again when it changed ({@link #reloadIfChanged}). */
    public synchronized void watch(java.time.Duration period) {
        if (file == null || watcher != null) {
            return;
        }
        watcher = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "switchyard-api-keys");
            t.setDaemon(true);
            return t;
        });
        watcher.scheduleWithFixedDelay(this::reloadIfChanged, period.toMillis(), period.toMillis(),
                java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /** Stops watching the file. */
    public synchronized void stopWatching() {
        if (watcher != null) {
            watcher.shutdownNow();
            watcher = null;
        }
    }

    /** The file's modification time and size (a Secret swapped under a symbolic link changes both or one). */
    private static String stamp(Path file) {
        if (file == null) {
            return "";
        }
        try {
            return Files.getLastModifiedTime(file).toMillis() + "/" + Files.size(file);
        } catch (IOException e) {
            return "unreadable";
        }
    }

    /** Whether requests need a key (fixed at start: a file read again always holds keys). */
    public boolean enabled() {
        return loopback != null;
    }

    /** Keys the server accepts from clients (its own not counted). */
    public int count() {
        return Math.max(0, keys.size() - 1);
    }

    /** The name of the key {@code presented} is; null when it is none of them (or keys are off). */
    public String nameOf(String presented) {
        List<Key> now = keys;
        if (now.isEmpty() || presented == null) {
            return null;
        }
        byte[] digest = sha256(presented);
        String found = null;
        for (Key k : now) {
            if (MessageDigest.isEqual(k.digest(), digest) && found == null) {
                found = k.name(); // no early exit: every key is compared
            }
        }
        return found;
    }

    /** The key the server's own requests carry (its batches through its endpoints); null without keys. */
    public String loopbackKey() {
        return loopback;
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
