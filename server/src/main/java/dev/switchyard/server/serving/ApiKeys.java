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
import java.util.function.LongSupplier;
import java.util.regex.Pattern;

/**
 * The API keys a server accepts, each with a name that the access log and traces give for the
 * requests it made (never the key): {@code --api-key} (named {@code default}) and the keys of
 * {@code --api-key-file} (a {@code NAME KEY} per line, and optionally its {@link KeyLimits}:
 * {@code concurrency=N}, at most N of its requests at once; {@code requests_per_minute=N} and
 * {@code tokens_per_minute=N}, its allowances per minute; {@code models=A,B}, what it may use;
 * {@code priority=N}, where its requests are scheduled), so that each client has a key of its own,
 * taken back by deleting its line: the file is read again when it changes ({@link #watch}). Where any
 * key is set, a random key of the server's own, named {@link #LOOPBACK}, is accepted too, without
 * limits: the batches the server runs through its own endpoints send it.
 *
 * <p>A request of a key is {@link #admit}ted by its limits in a fixed order, tokens, requests, then
 * concurrency, and one refused by a later check gets back what an earlier one took; its tokens are
 * {@link #charge}d once it has ended, when they are known. The time the allowances refill by is an
 * injected nanosecond clock, so that tests need not sleep.
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

    /** A key: its name, its digest, its settings in the file and the limits they set (null until installed). */
    private record Key(String name, byte[] digest, KeyLimits.Settings settings, KeyLimits limits) {

        Key(String name, byte[] digest) {
            this(name, digest, KeyLimits.Settings.NONE, KeyLimits.NONE);
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
    /** {@code System.nanoTime}, or a test's: the time the per-minute allowances refill by. */
    private final LongSupplier clock;

    private ApiKeys(String single, Path file, LongSupplier clock) {
        this.single = single == null || single.isEmpty() ? null : single;
        this.file = file;
        this.clock = clock;
        this.fileStamp = stamp(file);
        List<Key> read = limited(read(this.single, file), List.of());
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
        return new ApiKeys(null, null, System::nanoTime);
    }

    /** One key, named {@code default}; none for null or empty. */
    public static ApiKeys single(String key) {
        return new ApiKeys(key, null, System::nanoTime);
    }

    /**
     * {@code key} (named {@code default}; null for none) and the keys of {@code file} (null for none):
     * a {@code NAME KEY} per line, blank lines and lines starting with {@code #} skipped.
     *
     * @throws IllegalArgumentException naming the flag and the line for a malformed line, a name or a
     *                                  key given twice, or a file that cannot be read
     */
    public static ApiKeys from(String key, Path file) {
        return new ApiKeys(key, file, System::nanoTime);
    }

    /** As {@link #from(String, Path)}, the allowances refilling by {@code nanoTime} (a test's fake clock). */
    public static ApiKeys from(String key, Path file, LongSupplier nanoTime) {
        return new ApiKeys(key, file, nanoTime);
    }

    /** {@code read}, each key's limits made: kept from {@code before} where a key keeps its name. */
    private List<Key> limited(List<Key> read, List<Key> before) {
        long now = clock.getAsLong();
        List<Key> out = new ArrayList<>(read.size());
        for (Key k : read) {
            KeyLimits previous = null;
            for (Key b : before) {
                if (b.name().equals(k.name())) {
                    previous = b.limits();
                }
            }
            out.add(new Key(k.name(), k.digest(), k.settings(), KeyLimits.of(k.settings(), previous, now)));
        }
        return out;
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
                if (parts.length < 2 || !NAME.matcher(parts[0]).matches()) {
                    throw new IllegalArgumentException(where + ": expected " + KeyLimits.USAGE + ", a name of 1 to 64 "
                            + "letters, digits or ._@- and a key without spaces");
                }
                KeyLimits.Settings settings = KeyLimits.Settings.parse(parts, 2, where);
                if (parts[0].equals(LOOPBACK) || names.contains(parts[0])) {
                    throw new IllegalArgumentException(where + ": the name '" + parts[0] + "' is "
                            + (parts[0].equals(LOOPBACK) ? "the server's own" : "used twice"));
                }
                if (seen.contains(parts[1])) {
                    throw new IllegalArgumentException(where + ": this key is given twice");
                }
                keys.add(new Key(parts[0], sha256(parts[1]), settings, null));
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

    /**
     * Takes a place for a request of the key named {@code name}: true when it may run (its key has no
     * bound, or fewer of its requests run than the bound), and then {@link #release} must follow once
     * it has ended; false, taking nothing, when the key's requests already fill its bound.
     */
    public boolean tryAcquire(String name) {
        return tryAcquire(name, concurrencyOf(name));
    }

    private boolean tryAcquire(String name, int bound) {
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
        return limitsOf(name).concurrency();
    }

    /** The names of the models and adapters the key named {@code name} may use; null for every one. */
    public java.util.Set<String> modelsOf(String name) {
        return name == null ? null : limitsOf(name).models();
    }

    /**
     * What the key named {@code name} (null: requests need no key) changes about its requests'
     * generations: its name as their prefix-cache tenant where the cache is scoped by key, and its
     * {@code priority=N}.
     */
    public KeyScope scopeOf(String name) {
        if (name == null) {
            return KeyScope.NONE;
        }
        Integer priority = priorities ? limitsOf(name).priority() : null;
        String tenant = prefixCacheByKey ? name : null;
        return tenant == null && priority == null ? KeyScope.NONE : new KeyScope(tenant, priority);
    }

    /** The limits of the key named {@code name}; {@link KeyLimits#NONE} for none (or no such key). */
    public KeyLimits limitsOf(String name) {
        for (Key k : keys) {
            if (k.name().equals(name)) {
                return k.limits();
            }
        }
        return KeyLimits.NONE;
    }

    /**
     * Lets a request of the key named {@code name} in, or says which of its limits refuses it, checked
     * in {@link KeyAdmission}'s order: its token budget must not be in debt, then one of its requests
     * this minute is taken, then a place among its requests at once (given back by {@link #release}
     * once it has ended). A refusal takes nothing: a request taken this minute is put back when the
     * concurrency bound refuses.
     */
    public KeyAdmission admit(String name) {
        KeyLimits limits = limitsOf(name);
        RateBucket tokens = limits.tokens();
        RateBucket requests = limits.requests();
        long now = limits.perMinute() ? clock.getAsLong() : 0;
        if (tokens != null && !tokens.inCredit(now)) {
            return KeyAdmission.TOKENS_PER_MINUTE;
        }
        if (requests != null && !requests.tryTake(now)) {
            return KeyAdmission.REQUESTS_PER_MINUTE;
        }
        if (!tryAcquire(name, limits.concurrency())) {
            if (requests != null) {
                requests.giveBack(now);
            }
            return KeyAdmission.CONCURRENCY;
        }
        return KeyAdmission.ADMITTED;
    }

    /**
     * Nanoseconds until a request of the key named {@code name} that {@code refused} turned away would
     * be let in by that limit: a request back in its allowance, or its token debt paid back; 0 for
     * the other refusals.
     */
    public long retryAfterNanos(String name, KeyAdmission refused) {
        KeyLimits limits = limitsOf(name);
        long now = clock.getAsLong();
        return switch (refused) {
            case TOKENS_PER_MINUTE -> limits.tokens() == null ? 0 : limits.tokens().nanosUntil(0, now);
            case REQUESTS_PER_MINUTE -> limits.requests() == null ? 0 : limits.requests().nanosUntil(1, now);
            case ADMITTED, CONCURRENCY -> 0;
        };
    }

    /** What a request of the key named {@code name} refused by a per-minute limit is told: which, and when to retry. */
    public String refusal(String name, KeyAdmission refused, long retryAfterNanos) {
        KeyLimits limits = limitsOf(name);
        RateBucket bucket = refused == KeyAdmission.TOKENS_PER_MINUTE ? limits.tokens() : limits.requests();
        String retry = RateBucket.resetFormat(RateBucket.retryAfterSeconds(retryAfterNanos) * 1_000_000_000L);
        return "the API key '" + name + "' is over its limit of " + (bucket == null ? "?" : bucket.perMinute()) + " "
                + refused.limit() + (refused == KeyAdmission.TOKENS_PER_MINUTE
                ? " (the prompt and completion tokens of its requests)" : "") + "; retry after " + retry;
    }

    /**
     * Charges {@code tokens} (an ended request's prompt and completion tokens) to the budget of the key
     * named {@code name}, where it has {@code tokens_per_minute}: past what is left it is a debt.
     */
    public void charge(String name, long tokens) {
        if (tokens <= 0 || name == null) {
            return;
        }
        RateBucket budget = limitsOf(name).tokens();
        if (budget != null) {
            budget.charge(tokens, clock.getAsLong());
        }
    }

    /** The clock's time now (nanoseconds), to read the allowances by. */
    public long now() {
        return clock.getAsLong();
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
            keys = withLoopback(withPrioritiesAllowed(limited(read(single, file), keys)));
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

    /** Whether each key's requests share cached prompt blocks only with one another; see {@link #isolatingPrefixCache}. */
    private volatile boolean prefixCacheByKey;

    /**
     * Keeps each key's cached prompt blocks to that key's requests ({@code --prefix-cache-scope key}):
     * a client can then never time another client's prompts by what it finds cached (each key's
     * requests still share their own blocks, and a {@code cache_salt} narrows them further). Set at
     * start, before any request.
     *
     * @throws IllegalArgumentException when requests need no key, so that they carry no name to scope by
     */
    public ApiKeys isolatingPrefixCache(boolean on) {
        if (on && !enabled()) {
            throw new IllegalArgumentException("--prefix-cache-scope key scopes the prefix cache by API key: give "
                    + "--api-key-file (or --api-key)");
        }
        prefixCacheByKey = on;
        return this;
    }

    /** Whether the server schedules by priority, so that a key may set {@code priority=N}; see {@link #schedulingByPriority}. */
    private volatile boolean priorities;

    /**
     * Says whether the server schedules by priority ({@code --scheduling-policy priority}); without it
     * a key's {@code priority=N} would order requests that are meant to be served first come, first
     * served, so a key file that sets one is refused (when the file is read again, it is not used).
     * Until this is said, keys' priorities are not applied. Set at start, before any request.
     *
     * @throws IllegalArgumentException naming the key, where one sets a priority and {@code on} is false
     */
    public ApiKeys schedulingByPriority(boolean on) {
        priorities = on;
        withPrioritiesAllowed(keys);
        return this;
    }

    /** {@code read} as it is, where no key sets a priority the server would not schedule by. */
    private List<Key> withPrioritiesAllowed(List<Key> read) {
        if (!priorities) {
            for (Key k : read) {
                if (k.settings().priority() != null) {
                    throw new IllegalArgumentException("--api-key-file " + file + ": the key '" + k.name() + "' sets priority="
                            + k.settings().priority() + ", which needs --scheduling-policy priority");
                }
            }
        }
        return read;
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
