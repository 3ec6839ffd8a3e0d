package dev.switchyard.server.batch;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import dev.switchyard.server.openai.ApiError;
import dev.switchyard.server.openai.ResponsesApi;
import dev.switchyard.server.serving.KeyOwnership;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * OpenAI's Batch API ({@code /v1/batches}) while serving: a batch names an uploaded input file and
 * the endpoint its requests go to, runs beside the others on the {@link BatchRunner}, and
 * leaves its results in files of the {@link FilesApi}. Batches are kept while the server runs and,
 * where the files are kept across restarts, as {@code batch_ID.json} beside them from the start: one
 * the server stopped in the middle goes on under the next from the results it had written.
 */
public final class BatchesApi implements AutoCloseable {

    /** Endpoints a batch may run: OpenAI's, and the server's scoring ones. */
    static final Set<String> ENDPOINTS = Set.of("/v1/chat/completions", "/v1/completions", "/v1/responses",
            "/v1/embeddings", "/v1/score", "/v1/rerank", "/v1/messages");
    /** The only completion window OpenAI takes. */
    static final String WINDOW = "24h";
    private static final Duration WINDOW_LENGTH = Duration.ofHours(24);
    private static final Set<String> FIELDS = Set.of("input_file_id", "endpoint", "completion_window", "metadata",
            "output_expires_after");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final SecureRandom IDS = new SecureRandom();

    private final FilesApi files;
    private final BatchRunner runner;
    private final InstantSource clock;
    /** In the order they were made. */
    private final Map<String, Batch> batches = new LinkedHashMap<>();
    /** Batches an earlier server ended, as their objects were then; oldest first. */
    private final Map<String, JsonNode> earlier = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
    /** What {@link #view} made of them, once asked. */
    private final Map<String, Batch.View> earlierViews = new java.util.concurrent.ConcurrentHashMap<>();
    /** Batches an earlier server stopped in the middle, to go on with once the server listens. */
    private final List<Batch> unfinished = new ArrayList<>();
    /** Held while a batch's object is written, so that the last state written is the latest. */
    private final Object keeping = new Object();
    /** The field of a kept batch that is not the API's: its result files' lifetime. */
    private static final String KEPT_OUTPUT_EXPIRY = "switchyard_output_expires_after";
    /** Kept beside a batch's object: the name of the key that made it, which alone sees it. */
    private static final String KEPT_OWNER = "switchyard_owner";
    /** The owners of the batches an earlier server ended, by id (those made without a key are not here). */
    private final Map<String, String> earlierOwners = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Batches over {@code files}, at most {@code concurrency} of a batch's requests in flight at once,
     * at the batch priority where {@code byPriority} says the server schedules by priority, sent with
     * {@code apiKey} (null for none), counted in the served model's {@code metrics} (null while none is served).
     */
    public BatchesApi(FilesApi files, int concurrency, BooleanSupplier byPriority, String apiKey,
                      java.util.function.Supplier<dev.switchyard.server.serving.ServingMetrics> metrics) {
        this(files, concurrency, byPriority, apiKey, InstantSource.system(), new BatchRunner.Outcomes() {
            @Override
            public void request(boolean completed) {
                var m = metrics.get();
                if (m != null) {
                    m.batchRequest(completed);
                }
            }

            @Override
            public void ended(String status) {
                var m = metrics.get();
                if (m != null) {
                    m.batchEnded(status);
                }
            }
        });
    }

    BatchesApi(FilesApi files, int concurrency, BooleanSupplier byPriority, String apiKey, InstantSource clock) {
        this(files, concurrency, byPriority, apiKey, clock, BatchRunner.Outcomes.NONE);
    }

    private BatchesApi(FilesApi files, int concurrency, BooleanSupplier byPriority, String apiKey, InstantSource clock,
                       BatchRunner.Outcomes outcomes) {
        this.files = files;
        this.clock = clock;
        this.runner = new BatchRunner(files.store(), concurrency, clock, byPriority, apiKey, outcomes);
        readEarlier();
    }

    private void readEarlier() {
        java.nio.file.Path dir = files.store().keptIn();
        if (dir == null) {
            return;
        }
        List<JsonNode> found = new ArrayList<>();
        try (var entries = java.nio.file.Files.newDirectoryStream(dir, "{batch_,msgbatch_}*.json")) {
            for (java.nio.file.Path p : entries) {
                try {
                    JsonNode b = JSON.readTree(p.toFile());
                    if (b != null && b.path("id").isTextual() && p.getFileName().toString().equals(b.get("id").asText()
                            + ".json")) {
                        found.add(b);
                    }
                } catch (IOException e) {
                    java.util.logging.Logger.getLogger(BatchesApi.class.getName()).warning("skipping " + p + ": "
                            + e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the batches kept in " + dir, e);
        }
        found.sort(CREATED.thenComparing(b -> b.path("id").asText()));
        for (JsonNode b : found) {
            JsonNode expiry = ((com.fasterxml.jackson.databind.node.ObjectNode) b).remove(KEPT_OUTPUT_EXPIRY);
            JsonNode kept = ((com.fasterxml.jackson.databind.node.ObjectNode) b).remove(KEPT_OWNER);
            String owner = kept != null && kept.isTextual() ? kept.asText() : null;
            String status = b.path("status").asText();
            if (List.of("completed", "failed", "expired", "cancelled").contains(status)) {
                earlier.put(b.get("id").asText(), b);
                if (owner != null) {
                    earlierOwners.put(b.get("id").asText(), owner);
                }
                continue;
            }
            try {
                Batch resumed = Batch.resumed(b, expiry != null && expiry.isNumber() ? expiry.asLong() : null, owner);
                batches.put(resumed.id, resumed);
                unfinished.add(resumed);
            } catch (IllegalArgumentException e) {
                java.util.logging.Logger.getLogger(BatchesApi.class.getName()).warning("skipping batch "
                        + b.get("id").asText() + ": " + e.getMessage());
            }
        }
    }

    /** Oldest first (sorts keep batches of the same second in the order they had). */
    private static final java.util.Comparator<JsonNode> CREATED = java.util.Comparator
            .comparingLong((JsonNode b) -> b.path("created_at").asLong());

    /**
     * Writes a batch's object beside the files, where they are kept across restarts (whole or not at
     * all), with what the next server needs to go on with it.
     */
    private void keep(Batch batch) {
        java.nio.file.Path dir = files.store().keptIn();
        if (dir == null) {
            return;
        }
        synchronized (keeping) {
            try {
                JsonNode object = tree(batch);
                if (batch.outputExpiresAfter != null) {
                    ((com.fasterxml.jackson.databind.node.ObjectNode) object).put(KEPT_OUTPUT_EXPIRY,
                            batch.outputExpiresAfter);
                }
                if (batch.owner != null) {
                    ((com.fasterxml.jackson.databind.node.ObjectNode) object).put(KEPT_OWNER, batch.owner);
                }
                dev.switchyard.server.serving.JsonFiles.writeWhole(JSON, dir.resolve(batch.id + ".json"), object);
            } catch (IOException e) {
                java.util.logging.Logger.getLogger(BatchesApi.class.getName()).warning("could not keep batch " + batch.id
                        + ": " + e.getMessage());
            }
        }
    }

    /**
     * Where the server listens ({@code http://host:port}, reachable from this process): batches run from
     * now on, those an earlier server stopped in the middle first.
     */
    public void listeningAt(String base) {
        runner.listeningAt(base);
        List<Batch> resume;
        synchronized (unfinished) {
            resume = new ArrayList<>(unfinished);
            unfinished.clear();
        }
        for (Batch b : resume) {
            runner.submit(b, this::keep);
        }
    }

    /** {@code POST /v1/batches}: checks the request, queues the batch and answers its object ({@code validating}). */
    public void create(JsonNode body, String owner, JsonGenerator g) throws IOException {
        body.fieldNames().forEachRemaining(name -> {
            if (!FIELDS.contains(name)) {
                throw ApiError.unsupported(name, name);
            }
        });
        String input = text(body, "input_file_id");
        String endpoint = text(body, "endpoint");
        String window = text(body, "completion_window");
        if (!ENDPOINTS.contains(endpoint)) {
            throw ApiError.invalid("endpoint", "endpoint must be one of " + new java.util.TreeSet<>(ENDPOINTS)
                    + ", got " + endpoint);
        }
        if (!window.equals(WINDOW)) {
            throw ApiError.invalid("completion_window", "completion_window must be \"24h\", got \"" + window + "\"");
        }
        FileStore.StoredFile f = files.store().get(input);
        if (f == null || !f.visibleTo(owner)) {
            throw new ApiError(404, "invalid_request_error", "no file '" + input + "' is kept here", "input_file_id",
                    "file_not_found");
        }
        if (!f.purpose().equals(FilesApi.BATCH)) {
            throw ApiError.invalid("input_file_id", "file '" + input + "' has purpose \"" + f.purpose()
                    + "\"; a batch's input must be uploaded with purpose \"batch\"");
        }
        JsonNode expiry = body.get("output_expires_after");
        if (expiry != null && !expiry.isNull() && !expiry.isObject()) {
            throw ApiError.invalid("output_expires_after", "output_expires_after must be {\"anchor\": \"created_at\", "
                    + "\"seconds\": N}");
        }
        Long outputExpiresAfter = null;
        if (expiry != null && !expiry.isNull()) {
            JsonNode anchor = expiry.get("anchor");
            JsonNode seconds = expiry.get("seconds");
            // a number as its digits; anything else as JSON, which the check then refuses by name
            outputExpiresAfter = FilesApi.expiresAfter(anchor == null ? "" : anchor.asText(),
                    seconds == null ? null : seconds.isIntegralNumber() ? seconds.asText() : seconds.toString(),
                    "output_expires_after");
        }
        start("batch_", input, endpoint, metadata(body.get("metadata")), outputExpiresAfter, 0, owner).write(g);
    }

    /**
     * Queues a batch of the requests in file {@code input} for {@code endpoint}, its id starting
     * {@code prefix}, its result files expiring {@code outputExpiresAfter} seconds after they are made (null: never).
     */
    Batch start(String prefix, String input, String endpoint, Map<String, String> metadata, Long outputExpiresAfter) {
        return start(prefix, input, endpoint, metadata, outputExpiresAfter, 0, null);
    }

    /**
     * The same, its {@code requests} counted before its input is checked (0: not known yet), and
     * {@code owner}'s (the name of the key that made it, whose client alone sees it; null for anyone's).
     */
    Batch start(String prefix, String input, String endpoint, Map<String, String> metadata, Long outputExpiresAfter,
                int requests, String owner) {
        long now = clock.instant().getEpochSecond();
        Batch batch = new Batch(prefix + HexFormat.of().formatHex(random()), endpoint, input, WINDOW, metadata, now,
                now + WINDOW_LENGTH.toSeconds(), outputExpiresAfter, owner);
        batch.expect(requests);
        synchronized (batches) {
            batches.put(batch.id, batch);
        }
        keep(batch);
        runner.submit(batch, this::keep);
        return batch;
    }

    /**
     * How the batch of that id stands, this server's or an earlier one's; null when there is none the
     * client of the key named {@code caller} may see.
     */
    Batch.View view(String id, String caller) {
        if (!visible(id, caller)) {
            return null;
        }
        Batch b = live(id);
        if (b != null) {
            return b.view();
        }
        JsonNode ended = earlier.get(id);
        return ended == null ? null : earlierViews.computeIfAbsent(id, k -> Batch.View.of(ended, expiredIn(ended)));
    }

    /** Whether the batch of that id, if any, is for the client of the key named {@code caller}. */
    private boolean visible(String id, String caller) {
        Batch b = live(id);
        return KeyOwnership.visible(b != null ? b.owner : earlierOwners.get(id), caller);
    }

    /** Every batch whose id starts with {@code prefix} that the client of the key named {@code caller} may see, oldest first. */
    List<Batch.View> views(String prefix, String caller) {
        List<Batch.View> out = new ArrayList<>();
        List<String> ended;
        synchronized (earlier) {
            ended = new ArrayList<>(earlier.keySet());
        }
        for (String id : ended) {
            if (id.startsWith(prefix) && visible(id, caller)) {
                out.add(view(id, caller));
            }
        }
        List<Batch> all;
        synchronized (batches) {
            all = new ArrayList<>(batches.values());
        }
        for (Batch b : all) {
            if (b.id.startsWith(prefix) && KeyOwnership.visible(b.owner, caller)) {
                out.add(b.view());
            }
        }
        out.sort(java.util.Comparator.comparingLong(Batch.View::createdAt)); // (stable: see CREATED)
        return out;
    }

    /** An earlier server's batch's requests that expired: its error file's lines that say so. */
    private int expiredIn(JsonNode ended) {
        FileStore.StoredFile errors = ended.path("error_file_id").isTextual()
                ? files.store().get(ended.get("error_file_id").asText()) : null;
        if (errors == null) {
            return 0;
        }
        try (var lines = java.nio.file.Files.lines(errors.path())) {
            return (int) lines.filter(l -> l.contains(BatchRunner.EXPIRED)).filter(l -> {
                try {
                    return BatchRunner.EXPIRED.equals(JSON.readTree(l).path("error").path("code").asText(null));
                } catch (IOException e) {
                    return false;
                }
            }).count();
        } catch (IOException | UncheckedIOException e) {
            return 0;
        }
    }

    /** Asks the batch of that id to stop; false when it has ended. @throws ApiError 404 when there is none */
    boolean stop(String id) {
        Batch b = live(id);
        if (b == null) {
            if (earlier.containsKey(id)) {
                return false;
            }
            throw notFound(id);
        }
        boolean stops = b.cancel(clock.instant().getEpochSecond());
        keep(b);
        return stops;
    }

    /**
     * Forgets an ended batch and deletes its files (input and results); false when it has not ended.
     *
     * @throws ApiError 404 when there is none
     */
    boolean delete(String id) {
        Batch.View v = view(id, null); // the caller has checked that it may see it
        if (v == null) {
            throw notFound(id);
        }
        if (!v.status().ended()) {
            return false;
        }
        synchronized (batches) {
            batches.remove(id);
        }
        earlier.remove(id);
        earlierViews.remove(id);
        earlierOwners.remove(id);
        for (String file : new String[] {v.inputFileId(), v.outputFileId(), v.errorFileId()}) {
            if (file != null) {
                files.store().delete(file);
            }
        }
        java.nio.file.Path dir = files.store().keptIn();
        if (dir != null) {
            try {
                java.nio.file.Files.deleteIfExists(dir.resolve(id + ".json"));
            } catch (IOException e) {
                java.util.logging.Logger.getLogger(BatchesApi.class.getName()).warning("could not remove batch " + id
                        + ": " + e.getMessage());
            }
        }
        return true;
    }

    FilesApi files() {
        return files;
    }

    private static String text(JsonNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            throw ApiError.invalid(field, field + " is required");
        }
        if (!v.isTextual()) {
            throw ApiError.invalid(field, field + " must be a string");
        }
        return v.textValue();
    }

    /** OpenAI's metadata: up to 16 string values, keys of at most 64 characters, values of at most 512. */
    private static Map<String, String> metadata(JsonNode m) {
        if (m == null || m.isNull()) {
            return null;
        }
        if (!m.isObject() || m.size() > 16) {
            throw ApiError.invalid("metadata", "metadata must be an object of at most 16 string values");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (var e : m.properties()) {
            if (!e.getValue().isTextual() || e.getKey().length() > 64 || e.getValue().textValue().length() > 512) {
                throw ApiError.invalid("metadata", "metadata." + e.getKey() + ": keys are at most 64 characters and "
                        + "values strings of at most 512");
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    private static byte[] random() {
        byte[] b = new byte[12];
        IDS.nextBytes(b);
        return b;
    }

    /** The batch of that id this server made; null when there is none (an earlier server's, or none at all). */
    private Batch live(String id) {
        synchronized (batches) {
            return batches.get(id);
        }
    }

    private ApiError notFound(String id) {
        return new ApiError(404, "invalid_request_error", "no batch '" + id + "' is kept here", "batch_id",
                "batch_not_found");
    }

    /** {@code GET /v1/batches/{id}}. */
    public void retrieve(String id, String caller, JsonGenerator g) throws IOException {
        if (!visible(id, caller)) {
            throw notFound(id);
        }
        Batch b = live(id);
        if (b != null) {
            b.write(g);
            return;
        }
        JsonNode ended = earlier.get(id);
        if (ended == null) {
            throw notFound(id);
        }
        g.writeTree(ended);
    }

    /**
     * {@code POST /v1/batches/{id}/cancel}: a batch that has not ended stops ({@code cancelling}, then
     * {@code cancelled} with what finished kept); one that ended is a 400.
     */
    public void cancel(String id, String caller, JsonGenerator g) throws IOException {
        if (!visible(id, caller)) {
            throw notFound(id);
        }
        Batch b = live(id);
        if (b == null) {
            JsonNode ended = earlier.get(id);
            if (ended == null) {
                throw notFound(id);
            }
            throw notCancellable(id, ended.path("status").asText());
        }
        if (!b.cancel(clock.instant().getEpochSecond())) {
            throw notCancellable(id, b.status().label());
        }
        keep(b);
        b.write(g);
    }

    private static ApiError notCancellable(String id, String status) {
        return ApiError.invalid(null, "batch '" + id + "' is " + status + "; only a batch that has not ended can be "
                + "cancelled");
    }

    /** {@code GET /v1/batches}: a page of the batches, newest first. */
    public void list(String limit, String after, String caller, JsonGenerator g) throws IOException {
        List<Batch> all;
        synchronized (batches) {
            all = new ArrayList<>(batches.values());
        }
        List<JsonNode> objects = new ArrayList<>();
        synchronized (earlier) {
            for (JsonNode ended : earlier.values()) {
                if (KeyOwnership.visible(earlierOwners.get(ended.path("id").asText()), caller)) {
                    objects.add(ended);
                }
            }
        }
        for (Batch b : all) {
            if (KeyOwnership.visible(b.owner, caller)) {
                objects.add(tree(b));
            }
        }
        objects.sort(CREATED); // batches this server went on with among those an earlier one ended
        ResponsesApi.writeItemPage(g, objects, "desc", limit, after);
    }

    private static JsonNode tree(Batch b) {
        try (TokenBuffer buffer = new TokenBuffer(JSON, false)) {
            b.write(buffer);
            return JSON.readTree(buffer.asParser());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Stops running batches. Where the files are kept across restarts, those running and those queued
     * are left as they stand, and the next server goes on with them; otherwise they end cancelled.
     */
    @Override
    public void close() {
        if (files.store().keptIn() == null) {
            long now = clock.instant().getEpochSecond();
            synchronized (batches) {
                for (Batch b : batches.values()) {
                    b.cancel(now);
                }
            }
        }
        runner.close();
    }
}
