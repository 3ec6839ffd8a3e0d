package dev.switchyard.server.serving;

/**
 * A per-minute allowance of one API key ({@code requests_per_minute=N} or {@code tokens_per_minute=N}
 * in {@code --api-key-file}): a token bucket holding at most N, refilled continuously at N per minute,
 * full when made. A request takes one on admission ({@link #tryTake}); a generation's tokens, known
 * only once it has ended, are {@link #charge}d then, which may leave the bucket below zero: a debt
 * that refuses the key's new requests ({@link #inCredit}) until the refill has paid it back.
 *
 * <p>The level is kept in whole units of {@code 1/60e9} of an allowance, so that one nanosecond
 * refills exactly N units and the arithmetic is integer and exact (no drift, and a test with a fake
 * clock gets exact figures): with N at most {@link #MAX_PER_MINUTE} (1e7) the capacity is at most
 * 6e17 units and the debt is floored at {@link #FLOOR} (-4.6e18, some 7.6e7 tokens), so that no sum
 * overflows a long. Time is the caller's {@code System.nanoTime()} (or a fake one), passed in, so the
 * bucket holds no clock. One lock per bucket: each key's requests contend only with each other.
 */
public final class RateBucket {

    /** The window the allowance is for: a minute. */
    static final long MINUTE_NANOS = 60_000_000_000L;
    /** The largest allowance per minute (see the class comment for why there is one). */
    public static final int MAX_PER_MINUTE = 10_000_000;
    /** The deepest debt, in units: a charge past it is clamped (see the class comment). */
    private static final long FLOOR = Long.MIN_VALUE / 2;

    /** N: the allowance per minute, and the most the bucket holds. */
    private int perMinute;
    /** {@code perMinute * MINUTE_NANOS}: the level when full, in units. */
    private long capacity;
    /** What the bucket holds, in units (one allowance is {@link #MINUTE_NANOS} units); negative: a debt. */
    private long level;
    /** The nanoTime {@link #level} was last brought up to. */
    private long at;

    /** A full bucket of {@code perMinute} (1 to {@link #MAX_PER_MINUTE}) at {@code now}. */
    public RateBucket(int perMinute, long now) {
        if (perMinute < 1 || perMinute > MAX_PER_MINUTE) {
            throw new IllegalArgumentException("an allowance per minute is from 1 to " + MAX_PER_MINUTE + ": " + perMinute);
        }
        this.perMinute = perMinute;
        this.capacity = perMinute * MINUTE_NANOS;
        this.level = capacity;
        this.at = now;
    }

    /** N, the allowance per minute. */
    public synchronized int perMinute() {
        return perMinute;
    }

    /** Takes one if the bucket holds a whole one now: true when taken. */
    public synchronized boolean tryTake(long now) {
        refill(now);
        if (level >= MINUTE_NANOS) {
            level -= MINUTE_NANOS;
            return true;
        }
        return false;
    }

    /** Puts back one {@link #tryTake} took (the request was refused by a later check), never past full. */
    public synchronized void giveBack(long now) {
        refill(now);
        level = Math.min(capacity, level + MINUTE_NANOS);
    }

    /** Takes {@code amount} (a request's tokens, once it has ended), going below zero where it holds less. */
    public synchronized void charge(long amount, long now) {
        refill(now);
        if (amount <= 0) {
            return;
        }
        long room = (level - FLOOR) / MINUTE_NANOS;
        level = amount >= room ? FLOOR : level - amount * MINUTE_NANOS;
    }

    /** Whether the bucket is not below zero: no debt to pay back first. */
    public synchronized boolean inCredit(long now) {
        refill(now);
        return level >= 0;
    }

    /** Whole allowances left now (0 in debt). */
    public synchronized long remaining(long now) {
        refill(now);
        return Math.max(0, level / MINUTE_NANOS);
    }

    /** Nanoseconds until the bucket holds {@code amount} whole allowances (0 for a debt paid back); 0 when it does now. */
    public synchronized long nanosUntil(long amount, long now) {
        refill(now);
        return nanosToReach(amount * MINUTE_NANOS);
    }

    /** Nanoseconds until the bucket is full again; 0 when it is. */
    public synchronized long nanosUntilFull(long now) {
        refill(now);
        return nanosToReach(capacity);
    }

    /**
     * Takes a new allowance (the key file changed), keeping what the bucket holds up to the new
     * capacity: the refill until {@code now} is at the old rate, from then on at the new.
     */
    public synchronized void resize(int newPerMinute, long now) {
        if (newPerMinute < 1 || newPerMinute > MAX_PER_MINUTE) {
            throw new IllegalArgumentException("an allowance per minute is from 1 to " + MAX_PER_MINUTE + ": "
                    + newPerMinute);
        }
        refill(now);
        perMinute = newPerMinute;
        capacity = newPerMinute * MINUTE_NANOS;
        level = Math.min(level, capacity);
    }

    private long nanosToReach(long target) {
        long missing = target - level;
        return missing <= 0 ? 0 : ceilDiv(missing, perMinute);
    }

    /** Brings the level up to {@code now}: {@code perMinute} units a nanosecond, up to the capacity. */
    private void refill(long now) {
        long elapsed = now - at;
        if (elapsed <= 0) {
            return; // a caller that read the clock before another took the lock: no time to add
        }
        at = now;
        long missing = capacity - level; // at most 5.2e18: see the class comment
        level = elapsed >= ceilDiv(missing, perMinute) ? capacity : level + elapsed * perMinute;
    }

    private static long ceilDiv(long a, long b) {
        return -Math.floorDiv(-a, b);
    }

    /**
     * A duration as OpenAI's {@code x-ratelimit-reset-*} headers write it (Go's form), rounded up to
     * the millisecond: {@code 0s}, {@code 120ms}, {@code 1s}, {@code 1.5s}, {@code 6m0s}, {@code 1h0m0s}.
     */
    public static String resetFormat(long nanos) {
        long ms = nanos <= 0 ? 0 : ceilDiv(nanos, 1_000_000L);
        if (ms == 0) {
            return "0s";
        }
        if (ms < 1000) {
            return ms + "ms";
        }
        StringBuilder sb = new StringBuilder(12);
        long hours = ms / 3_600_000L;
        long minutes = ms / 60_000L % 60;
        if (hours > 0) {
            sb.append(hours).append('h');
        }
        if (hours > 0 || minutes > 0) {
            sb.append(minutes).append('m');
        }
        sb.append(ms / 1000 % 60);
        int fraction = (int) (ms % 1000);
        if (fraction > 0) {
            String digits = String.valueOf(1000 + fraction).substring(1); // three digits
            int end = digits.length();
            while (digits.charAt(end - 1) == '0') {
                end--;
            }
            sb.append('.').append(digits, 0, end);
        }
        return sb.append('s').toString();
    }

    /** Whole seconds a {@code retry-after} header says for {@code nanos}: rounded up, at least 1. */
    public static long retryAfterSeconds(long nanos) {
        return Math.max(1, ceilDiv(nanos, 1_000_000_000L));
    }

    /** Milliseconds a {@code retry-after-ms} header says for {@code nanos}: rounded up, at least 1. */
    public static long retryAfterMillis(long nanos) {
        return Math.max(1, ceilDiv(nanos, 1_000_000L));
    }
}
