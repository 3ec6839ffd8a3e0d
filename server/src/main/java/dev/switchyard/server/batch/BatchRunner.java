package dev.switchyard.server.batch;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Runs the Batch API's batches side by side, each on a thread of its own (up to {@link #MAX_RUNNING};
 * more wait their turn): each is validated (every line sendable, for the batch's endpoint, its
 * {@code custom_id} unique), then its requests go to the server's own endpoints, at most
 * {@code concurrency} in flight at once across all batches, taken in turn (a fair semaphore), so a
 * small batch is not held behind a large one; their results are written in the input's order, answers with status 200 to the output file and the rest to the error file, as
 * OpenAI's batches split them. Where the server schedules by priority, a batch's requests that set no
 * {@code priority} of their own run at {@link #PRIORITY}, behind every request at the default 0, so a
 * batch fills what clients leave idle.
 */
final class BatchRunner implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(BatchRunner.class.getName());

    /** The priority of a batch's requests where the server schedules by priority (lower is served first). */
    static final int PRIORITY = 1000;
    /** The error code of a request whose batch's window ended before it ran. */
    static final String EXPIRED = "batch_expired";
    /** The first pause before a request the server turned away is sent again, and the longest. */
    static final long FIRST_RETRY_PAUSE_MILLIS = 250;
    static final long MAX_RETRY_PAUSE_MILLIS = 8000;
    /** How often a batch waiting for a result looks whether it was asked to stop. */
    private static final long STOP_POLL_MILLIS = 100;
    /** Problems listed for a refused input file at most; the message counts the rest. */
    static final int MAX_PROBLEMS = 100;
    /** Endpoints whose requests take vLLM's {@code priority}. */
    private static final Set<String> TAKE_PRIORITY = Set.of("/v1/chat/completions", "/v1/completions", "/v1/responses",
            "/v1/embeddings", "/v1/score", "/v1/rerank");

    private static final com.fasterxml.jackson.databind.ObjectMapper READER = new com.fasterxml.jackson.databind.ObjectMapper();

    private final FileStore files;
    private final int concurrency;
    private final InstantSource clock;
    private final BooleanSupplier byPriority;
    private final String apiKey;
    private final Outcomes outcomes;
    /** Batches running at once at most; the requests in flight are bounded apart, by {@link #inFlight}. */
    static final int MAX_RUNNING = 8;
    private final ExecutorService thread = Executors.newFixedThreadPool(MAX_RUNNING, r -> {
        Thread t = new Thread(r, "switchyard-batch");
        t.setDaemon(true);
        return t;
    });
    /** Permits for requests in flight, across all batches; fair, so that batches take them in turn. */
    private final java.util.concurrent.Semaphore inFlight;
    private volatile String base;
    private volatile boolean closed;

    /** Where a batch's requests and its end are counted (the server's metrics). */
    interface Outcomes {
        void request(boolean completed);

        void ended(String status);

        Outcomes NONE = new Outcomes() {
            @Override
            public void request(boolean completed) {
            }

            @Override
            public void ended(String status) {
            }
        };
    }

    BatchRunner(FileStore files, int concurrency, InstantSource clock, BooleanSupplier byPriority, String apiKey,
                Outcomes outcomes) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("--batch-concurrency must be at least 1, got " + concurrency);
        }
        this.files = files;
        this.concurrency = concurrency;
        this.clock = clock;
        this.byPriority = byPriority;
        this.apiKey = apiKey;
        this.outcomes = outcomes;
        this.inFlight = new java.util.concurrent.Semaphore(concurrency, true);
    }

    /** Where the server listens ({@code http://host:port}): batches run from now on. */
    void listeningAt(String base) {
        this.base = base;
    }

    /**
     * Starts a batch (when fewer than {@link #MAX_RUNNING} run, else when one ends); {@code changed} is
     * told when its requests start and when it has ended, or was left for the next server to go on with.
     * A batch whose requests had started (under an earlier server) goes on from the results it wrote.
     */
    void submit(Batch batch, java.util.function.Consumer<Batch> changed) {
        thread.execute(() -> {
            boolean ended = true;
            try {
                ended = run(batch, changed);
            } catch (RuntimeException e) {
                LOG.log(Level.SEVERE, "batch " + batch.id + " failed", e);
                batch.refused(List.of(new Batch.Problem("server_error", "the batch failed: " + e, null, null)), now());
            } finally {
                if (ended) {
                    outcomes.ended(batch.status().label());
                }
                changed.accept(batch);
            }
        });
    }

    private long now() {
        return clock.instant().getEpochSecond();
    }

    /** Runs a batch; false when the server stopped first and left it for the next one to go on with. */
    private boolean run(Batch batch, java.util.function.Consumer<Batch> changed) {
        if (suspends(batch)) {
            return false;
        }
        boolean checked = batch.checked();
        if (!checked && stopping(batch)) {
            batch.refused(List.of(), now());
            return true;
        }
        Path input = inputOf(batch);
        if (input == null) {
            if (checked) { // what it wrote before is kept
                readBack(batch, results(batch, OUTPUT), results(batch, ERRORS));
                conclude(batch, Batch.Status.FAILED);
            }
            return true;
        }
        if (!checked) {
            int total;
            try {
                total = validate(batch, input);
            } catch (IOException e) {
                batch.refused(List.of(new Batch.Problem("file_unreadable", "the input file could not be read: "
                        + e.getMessage(), "input_file_id", null)), now());
                return true;
            }
            if (total < 0) {
                return true;
            }
            batch.started(total, now());
            changed.accept(batch);
        }
        return execute(batch, input, checked);
    }

    private Path inputOf(Batch batch) {
        FileStore.StoredFile f = files.get(batch.inputFileId);
        if (f == null) {
            Batch.Problem gone = new Batch.Problem("file_not_found", "the input file " + batch.inputFileId
                    + " was deleted before the batch ran", "input_file_id", null);
            if (batch.checked()) {
                batch.noted(gone);
            } else {
                batch.refused(List.of(gone), now());
            }
            return null;
        }
        return f.path();
    }

    /** Checks every line; the number of requests, or -1 when the batch was refused. */
    private int validate(Batch batch, Path input) throws IOException {
        List<Batch.Problem> problems = new ArrayList<>();
        int more = 0;
        int requests = 0;
        Set<String> ids = new HashSet<>();
        try (BufferedReader in = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
            BatchLines.Numbered lines = new BatchLines.Numbered(in);
            String text;
            while ((text = lines.next()) != null) {
                requests++;
                Batch.Problem problem = check(batch, text, lines.number(), ids);
                if (problem != null) {
                    if (problems.size() < MAX_PROBLEMS) {
                        problems.add(problem);
                    } else {
                        more++;
                    }
                }
            }
        } catch (java.nio.charset.CharacterCodingException e) {
            problems.add(new Batch.Problem("invalid_file", "the input file is not UTF-8 text", "input_file_id", null));
        }
        if (requests == 0 && problems.isEmpty()) {
            problems.add(new Batch.Problem("empty_file", "the input file holds no requests", "input_file_id", null));
        }
        if (more > 0) {
            problems.add(new Batch.Problem("too_many_errors", more + " more lines have problems", null, null));
        }
        if (!problems.isEmpty()) {
            batch.refused(problems, now());
            return -1;
        }
        return requests;
    }

    private static Batch.Problem check(Batch batch, String text, int number, Set<String> ids) {
        BatchLines.Line line;
        try {
            line = BatchLines.parse(text, number);
        } catch (BatchLines.Unsendable e) {
            return new Batch.Problem("invalid_request", e.getMessage(), null, number);
        }
        if (!line.url().equals(batch.endpoint)) {
            return new Batch.Problem("mismatched_endpoint", "line " + number + ": url " + line.url()
                    + " is not the batch's endpoint " + batch.endpoint, "url", number);
        }
        if (!ids.add(line.customId())) {
            return new Batch.Problem("duplicate_custom_id", "line " + number + ": custom_id '" + line.customId()
                    + "' is used by an earlier line", "custom_id", number);
        }
        return null;
    }

    /** A request in flight, and its line (to send it again). */
    private record Pending(BatchLines.Line line, CompletableFuture<ObjectNode> result) {

        String customId() {
            return line.customId();
        }
    }

    private static final String OUTPUT = "_output.jsonl";
    private static final String ERRORS = "_error.jsonl";

    /** Where a batch writes its answers ({@link #OUTPUT}) or its refusals ({@link #ERRORS}) while it runs. */
    private Path results(Batch batch, String kind) {
        return files.running().resolve(batch.id + kind);
    }

    /**
     * Sends the batch's requests (those it has no result for where it goes on from an earlier server's
     * run) and writes their results; false when the server stopped first and left it for the next one.
     */
    private boolean execute(Batch batch, Path input, boolean goesOn) {
        Path outputs = results(batch, OUTPUT);
        Path errors = results(batch, ERRORS);
        Set<String> done = goesOn ? readBack(batch, outputs, errors) : Set.of();
        java.nio.file.OpenOption[] mode = goesOn
                ? new java.nio.file.OpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.APPEND}
                : new java.nio.file.OpenOption[] {StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                        StandardOpenOption.WRITE};
        Deque<Pending> pending = new ArrayDeque<>();
        Batch.Status end = Batch.Status.COMPLETED;
        HttpClient client = BatchLines.newClient();
        BatchLines lines = new BatchLines(base, apiKey, batch.owner, client);
        boolean priority = TAKE_PRIORITY.contains(batch.endpoint) && byPriority.getAsBoolean();
        try (BufferedReader in = Files.newBufferedReader(input, StandardCharsets.UTF_8);
             BufferedWriter out = Files.newBufferedWriter(outputs, StandardCharsets.UTF_8, mode);
             BufferedWriter err = Files.newBufferedWriter(errors, StandardCharsets.UTF_8, mode)) {
            BatchLines.Numbered numbered = new BatchLines.Numbered(in);
            String text;
            while ((text = numbered.next()) != null) {
                BatchLines.Line line = BatchLines.parse(text, numbered.number());
                if (done.contains(line.customId())) {
                    continue;
                }
                if (pending.size() == concurrency) {
                    finish(batch, lines, pending.removeFirst(), out, err);
                }
                if (stopping(batch)) {
                    break; // (perhaps while waiting for room)
                }
                // after waiting for room: the window may have ended meanwhile
                if (now() >= batch.expiresAt) {
                    end = Batch.Status.EXPIRED;
                    pending.addLast(new Pending(line, CompletableFuture.completedFuture(BatchLines.failed(
                            line.customId(), EXPIRED, "the request could not be run before the batch's completion "
                                    + "window ended"))));
                    continue;
                }
                if (!permitted(batch)) {
                    break;
                }
                if (priority && !line.body().has("priority")) {
                    line.body().put("priority", PRIORITY);
                }
                pending.addLast(new Pending(line, send(lines, line, numbered.number())));
            }
            if (stopping(batch)) {
                // what has ended is kept; what is in flight is abandoned, and the server stops those requests
                // when their connections close
                for (Pending p : pending) {
                    if (p.result().isDone() && !p.result().isCompletedExceptionally()
                            && !turnedAway(p.result().join())) {
                        write(batch, p.result().join(), out, err);
                    } else {
                        p.result().cancel(true);
                    }
                }
                pending.clear();
            }
            while (!pending.isEmpty()) {
                finish(batch, lines, pending.removeFirst(), out, err);
            }
            if (suspends(batch)) {
                // (perhaps once the last request was abandoned) the next server sends what has no result here
                return false;
            }
        } catch (IOException | BatchLines.Unsendable e) {
            LOG.log(Level.WARNING, "batch " + batch.id + " stopped: " + e.getMessage(), e);
            end = Batch.Status.FAILED;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            end = Batch.Status.FAILED;
        } finally {
            client.shutdownNow();
        }
        conclude(batch, end);
        return true;
    }

    /** Ends a batch as {@code end} says (unless it was cancelled), its results kept as files of the store. */
    private void conclude(Batch batch, Batch.Status end) {
        batch.finalizing(now());
        String outputFile = keep(batch, results(batch, OUTPUT), batch.id + OUTPUT);
        String errorFile = keep(batch, results(batch, ERRORS), batch.id + ERRORS);
        batch.ended(end, outputFile, errorFile, now());
    }

    /**
     * Reads back what a batch wrote before the server stopped: each result counted, and the
     * {@code custom_id}s that have one. A line the stop cut short is cut off (its request runs again).
     */
    private Set<String> readBack(Batch batch, Path outputs, Path errors) {
        Set<String> done = new HashSet<>();
        for (Path p : List.of(outputs, errors)) {
            try {
                if (!Files.exists(p)) {
                    continue;
                }
                cutAfterLastLine(p);
                try (BufferedReader in = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
                    String text;
                    while ((text = in.readLine()) != null) {
                        if (text.isBlank()) {
                            continue;
                        }
                        com.fasterxml.jackson.databind.JsonNode result = READER.readTree(text);
                        if (done.add(result.path("custom_id").asText())) {
                            batch.counted(BatchLines.succeeded(result),
                                    EXPIRED.equals(result.path("error").path("code").asText(null)),
                                    Batch.Tokens.of(result.path("response").get("body")));
                        }
                    }
                }
            } catch (IOException e) {
                LOG.log(Level.WARNING, "batch " + batch.id + ": could not read back " + p + ": " + e.getMessage(), e);
            }
        }
        return done;
    }

    /** Cuts a file after its last line break: what follows is a line a stop cut short. */
    private static void cutAfterLastLine(Path p) throws IOException {
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            long size = ch.size();
            java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocate(8192);
            long end = size;
            while (end > 0) {
                long from = Math.max(0, end - chunk.capacity());
                chunk.clear().limit((int) (end - from));
                while (chunk.hasRemaining() && ch.read(chunk, from + chunk.position()) >= 0) {
                    // fill the chunk
                }
                for (int i = (int) (end - from) - 1; i >= 0; i--) {
                    if (chunk.get(i) == '\n') {
                        ch.truncate(from + i + 1);
                        return;
                    }
                }
                end = from;
            }
            ch.truncate(0);
        }
    }

    /**
     * Whether the server is stopping and leaves {@code batch} (not cancelled) to the next server, which
     * goes on from its results: where the files are kept across restarts.
     */
    private boolean suspends(Batch batch) {
        return closed && files.keptIn() != null && !batch.cancelRequested();
    }

    /** Whether {@code batch} is to send nothing more: it was cancelled, or the server is stopping. */
    private boolean stopping(Batch batch) {
        return batch.cancelRequested() || closed;
    }

    /** Waits for a permit to send a request; false when the batch was asked to stop meanwhile. */
    private boolean permitted(Batch batch) throws InterruptedException {
        while (!inFlight.tryAcquire(STOP_POLL_MILLIS, TimeUnit.MILLISECONDS)) {
            if (stopping(batch)) {
                return false;
            }
        }
        if (stopping(batch)) {
            // the permit may be one a stopping batch let go of: a stopping server sends nothing more
            inFlight.release();
            return false;
        }
        return true;
    }

    /** Sends a line (its permit taken), the permit given back when it ends, however it ends. */
    private CompletableFuture<ObjectNode> send(BatchLines lines, BatchLines.Line line, int number) {
        try {
            CompletableFuture<ObjectNode> sent = lines.send(line);
            sent.whenComplete((r, e) -> inFlight.release()); // on cancellation too
            return sent;
        } catch (IllegalArgumentException e) { // a url no request can be made of
            inFlight.release();
            return CompletableFuture.completedFuture(BatchLines.failed(line.customId(), "invalid_request",
                    "line " + number + ": " + e.getMessage()));
        }
    }

    /**
     * Writes the next result in input order once it comes; a batch asked to stop meanwhile abandons it
     * instead (its connection closes, which stops the request). A request the server turned away for
     * now (429: its queue is full; 503) is sent again after a pause that doubles, up to
     * {@link #MAX_RETRY_PAUSE_MILLIS}, for as long as the batch's window lasts: a busy server delays a
     * batch, it does not fail its requests.
     */
    private void finish(Batch batch, BatchLines lines, Pending next, BufferedWriter out, BufferedWriter err)
            throws IOException, InterruptedException {
        ObjectNode result = await(batch, next);
        long pause = FIRST_RETRY_PAUSE_MILLIS;
        while (result != null && turnedAway(result) && now() < batch.expiresAt) {
            if (!pause(batch, pause) || !permitted(batch)) {
                return;
            }
            pause = Math.min(2 * pause, MAX_RETRY_PAUSE_MILLIS);
            result = await(batch, new Pending(next.line(), send(lines, next.line(), 0)));
        }
        if (result != null) {
            write(batch, result, out, err);
        }
    }

    /** A request's result once it comes; null when the batch was asked to stop first (the request abandoned). */
    private ObjectNode await(Batch batch, Pending p) throws InterruptedException {
        while (true) {
            try {
                return p.result().get(STOP_POLL_MILLIS, TimeUnit.MILLISECONDS);
            } catch (ExecutionException e) {
                return BatchLines.failed(p.customId(), "request_failed", "the request could not be sent: "
                        + e.getCause().getMessage());
            } catch (java.util.concurrent.TimeoutException e) {
                if (stopping(batch)) {
                    p.result().cancel(true);
                    return null;
                }
            }
        }
    }

    private static boolean turnedAway(ObjectNode result) {
        int status = result.path("response").path("status_code").asInt();
        return status == 429 || status == 503;
    }

    /** Waits {@code millis}; false when the batch was asked to stop meanwhile. */
    private boolean pause(Batch batch, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + millis * 1_000_000;
        while (System.nanoTime() < deadline) {
            if (stopping(batch)) {
                return false;
            }
            Thread.sleep(Math.min(STOP_POLL_MILLIS, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
        }
        return !stopping(batch);
    }

    private void write(Batch batch, ObjectNode result, BufferedWriter out, BufferedWriter err) throws IOException {
        boolean succeeded = BatchLines.succeeded(result);
        BufferedWriter to = succeeded ? out : err;
        to.write(BatchLines.text(result));
        to.newLine();
        if (files.keptIn() != null) {
            to.flush(); // a server killed now loses no result it had: the next one goes on from them
        }
        batch.counted(succeeded, EXPIRED.equals(result.path("error").path("code").asText(null)),
                Batch.Tokens.of(result.path("response").get("body")));
        outcomes.request(succeeded);
    }

    /** Keeps a result file that has lines; its id, or null. */
    private String keep(Batch batch, Path written, String name) {
        try {
            if (Files.size(written) == 0) {
                Files.deleteIfExists(written);
                return null;
            }
            return files.add(name, "batch_output", batch.outputExpiresAfter, target -> Files.move(written, target), true,
                    batch.owner).id();
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | FileStore.SpaceExhaustedException e) {
            LOG.log(Level.WARNING, "could not keep " + name + ": " + e.getMessage(), e);
            return null;
        }
    }

    /**
     * Stops: no batch sends anything more. Where the files are kept across restarts, a batch not
     * cancelled is left as it stands (its results so far written), for the next server to go on with;
     * otherwise a cancelled batch ends with what finished kept, and the queued ones never start.
     */
    @Override
    public void close() {
        closed = true;
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
