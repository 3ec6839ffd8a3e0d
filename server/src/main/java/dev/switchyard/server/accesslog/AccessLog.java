package dev.switchyard.server.accesslog;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Where the server writes one JSON line per request it answered ({@code --access-log}): standard
 * output, or a file it appends to (and opens again at its path when a rotation tool moves it away,
 * so logrotate's {@code create} works as well as its {@code copytruncate}). Lines are handed to a writer thread of its own through a bounded
 * queue, so a slow disk never holds up an event loop or the scheduler; a line that finds the queue
 * full is dropped and counted ({@link #dropped()}), since a log must not become back-pressure on
 * serving. The writer flushes whenever it has caught up, so a line is out within moments of its
 * request's end.
 */
public final class AccessLog implements RequestRecorder {

    private static final Logger LOG = Logger.getLogger(AccessLog.class.getName());
    /** Lines waiting for the writer at most. */
    static final int QUEUE = 16_384;
    /** A line that tells the writer to stop (compared by identity). */
    private static final String END = new String("end");

    /** No log: lines are not even made. */
    public static final AccessLog OFF = new AccessLog();

    private final BlockingQueue<String> lines;
    private final Thread writer;
    private final String where;
    private final AtomicLong dropped = new AtomicLong();
    private volatile boolean closed;

    /** The file lines are appended to; null for standard output or a writer. */
    private final Path file;
    /** What identifies the file opened (its inode, where the file system has one), to see that it was moved away. */
    private Object fileKey;
    private long checkedNanos = System.nanoTime();
    /** How often the writer looks whether the file was moved away (rotated). */
    private static final long ROTATION_CHECK_NANOS = 1_000_000_000L;

    private AccessLog() {
        this.lines = null;
        this.writer = null;
        this.where = "off";
        this.file = null;
    }

    private AccessLog(Writer out, String where, boolean closeOut) {
        this(out, where, closeOut, null);
    }

    /** {@code file}: the file {@code out} appends to, opened again when a rotation moves it away; null for none. */
    private AccessLog(Writer out, String where, boolean closeOut, Path file) {
        this.lines = new ArrayBlockingQueue<>(QUEUE);
        this.where = where;
        this.file = file;
        this.fileKey = file == null ? null : fileKey(file);
        this.writer = Thread.ofPlatform().daemon().name("switchyard-access-log").unstarted(() -> drain(out, closeOut));
        this.writer.start();
    }

    private static Object fileKey(Path file) {
        try {
            Object key = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            return key != null ? key : "";
        } catch (IOException e) {
            return null;
        }
    }

    private static BufferedWriter append(Path file) throws IOException {
        return Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                StandardOpenOption.WRITE);
    }

    /**
     * The writer to go on with: the same, or, where a rotation tool moved the file away (or deleted it)
     * since it was opened, a new one at its path (looked at once a second at most).
     */
    private BufferedWriter current(BufferedWriter out) {
        if (file == null || System.nanoTime() - checkedNanos < ROTATION_CHECK_NANOS) {
            return out;
        }
        checkedNanos = System.nanoTime();
        Object now = fileKey(file);
        if (now != null && now.equals(fileKey)) {
            return out;
        }
        try {
            BufferedWriter reopened = append(file);
            flush(out);
            try {
                out.close();
            } catch (IOException e) {
                LOG.log(Level.WARNING, "could not close the rotated access log: " + e.getMessage());
            }
            fileKey = fileKey(file);
            return reopened;
        } catch (IOException e) {
            LOG.log(Level.WARNING, "could not open the access log " + file + " again after a rotation: "
                    + e.getMessage());
            return out;
        }
    }

    /**
     * The log {@code --access-log} names: {@code off}, {@code stdout}, or a file (created, else
     * appended to, so that a rotation tool may move it and a restart goes on in a new one).
     *
     * @throws IllegalArgumentException naming the flag when the file cannot be opened
     */
    public static AccessLog open(String target) {
        if (target == null || target.equals("off")) {
            return OFF;
        }
        if (target.equals("stdout") || target.equals("-")) {
            return new AccessLog(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), "standard output", false);
        }
        Path file = Path.of(target);
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            return new AccessLog(append(file), file.toString(), true, file);
        } catch (IOException | UncheckedIOException | SecurityException e) {
            throw new IllegalArgumentException("--access-log " + target + ": cannot append to it (" + e.getMessage()
                    + ")", e);
        }
    }

    /** A log written to {@code out}, which it closes when it closes. */
    public static AccessLog to(Writer out) {
        return new AccessLog(out, "a writer", true);
    }

    /** Whether lines are written at all (the server makes none otherwise). */
    @Override
    public boolean on() {
        return lines != null;
    }

    /** Queues a line (without its line break); dropped, and counted, when the writer is that far behind. */
    public void write(String line) {
        if (lines == null || closed) {
            return;
        }
        if (!lines.offer(line)) {
            dropped.incrementAndGet();
        }
    }

    /** Writes the request's line. */
    @Override
    public void ended(AccessRecord record, String outcome) {
        write(record.line(outcome));
    }

    /** Lines dropped because the writer was {@link #QUEUE} lines behind. */
    public long dropped() {
        return dropped.get();
    }

    private void drain(Writer out, boolean closeOut) {
        BufferedWriter buffered = out instanceof BufferedWriter b ? b : new BufferedWriter(out);
        boolean failing = false;
        try {
            while (true) {
                String line = lines.poll();
                if (line == null) {
                    flush(buffered);
                    line = lines.take();
                }
                if (line == END) {
                    break;
                }
                buffered = current(buffered);
                try {
                    buffered.write(line);
                    buffered.newLine();
                    failing = false;
                } catch (IOException e) {
                    dropped.incrementAndGet();
                    if (!failing) { // once per run of failures, not once per line
                        LOG.log(Level.WARNING, "the access log " + where + " cannot be written: " + e.getMessage());
                        failing = true;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            flush(buffered);
            if (closeOut) {
                try {
                    buffered.close();
                } catch (IOException e) {
                    LOG.log(Level.WARNING, "could not close the access log " + where + ": " + e.getMessage());
                }
            }
        }
    }

    private static void flush(Writer out) {
        try {
            out.flush();
        } catch (IOException e) {
            // counted with the lines that fail to be written
        }
    }

    /** Writes what is queued and stops the writer (lines written after this are dropped). */
    @Override
    public void close() {
        if (lines == null || closed) {
            return;
        }
        closed = true;
        try {
            lines.put(END);
            writer.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
