package dev.switchyard.server.batch;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchyard.server.openai.ApiError;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Anthropic's Message Batches API ({@code /v1/messages/batches}), for clients written against
 * Anthropic's SDKs: a batch's requests come inline ({@code requests: [{custom_id, params}]}), run as
 * a batch of the Messages API on the same {@link BatchesApi} (whose id it keeps, with Anthropic's
 * {@code msgbatch_} prefix), and their results are read back as one JSON line per request:
 * {@code succeeded} with its message, {@code errored} with the error the Messages API answered,
 * {@code expired}, or {@code canceled}.
 */
public final class MessageBatchesApi {

    /** The id prefix of these batches among all the server's. */
    static final String PREFIX = "msgbatch_";
    private static final String ENDPOINT = "/v1/messages";
    /** Anthropic's limit on a batch's requests. */
    static final int MAX_REQUESTS = 100_000;
    private static final Pattern CUSTOM_ID = Pattern.compile("[a-zA-Z0-9_-]{1,64}");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final BatchesApi batches;

    public MessageBatchesApi(BatchesApi batches) {
        this.batches = batches;
    }

    /** {@code POST /v1/messages/batches}: checks every request, keeps them as the batch's input and queues it. */
    public void create(JsonNode body, String owner, String base, JsonGenerator g) throws IOException {
        body.fieldNames().forEachRemaining(name -> {
            if (!name.equals("requests")) {
                throw ApiError.unsupported(name, name);
            }
        });
        JsonNode requests = body.get("requests");
        if (requests == null || !requests.isArray() || requests.isEmpty()) {
            throw ApiError.invalid("requests", "requests must be a non-empty list of {custom_id, params}");
        }
        if (requests.size() > MAX_REQUESTS) {
            throw ApiError.invalid("requests", "a batch holds at most " + MAX_REQUESTS + " requests, got "
                    + requests.size());
        }
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < requests.size(); i++) {
            JsonNode r = requests.get(i);
            String where = "requests[" + i + "]";
            String id = r.path("custom_id").isTextual() ? r.get("custom_id").textValue() : null;
            if (id == null || !CUSTOM_ID.matcher(id).matches()) {
                throw ApiError.invalid(where + ".custom_id", where + ".custom_id must be 1 to 64 letters, digits, '_' "
                        + "or '-'");
            }
            if (!ids.add(id)) {
                throw ApiError.invalid(where + ".custom_id", "custom_id '" + id + "' is used by an earlier request");
            }
            JsonNode params = r.get("params");
            if (params == null || !params.isObject()) {
                throw ApiError.invalid(where + ".params", where + ".params must be the Messages API's request");
            }
            if (params.path("stream").asBoolean(false)) {
                throw ApiError.invalid(where + ".params.stream", "a batch's messages are whole, not streamed");
            }
        }
        FileStore.StoredFile input;
        try {
            input = batches.files().store().add("message_batch_requests.jsonl", FilesApi.BATCH, null, target -> {
                try (BufferedWriter out = Files.newBufferedWriter(target, StandardCharsets.UTF_8)) {
                    for (JsonNode r : requests) {
                        ObjectNode line = JSON.createObjectNode().put("custom_id", r.get("custom_id").textValue())
                                .put("method", "POST").put("url", ENDPOINT);
                        line.set("body", r.get("params"));
                        out.write(JSON.writeValueAsString(line));
                        out.newLine();
                    }
                }
            }, false, owner);
        } catch (FileStore.SpaceExhaustedException e) {
            throw new ApiError(413, "invalid_request_error", e.getMessage(), "requests", "request_too_large");
        }
        Batch batch = batches.start(PREFIX, input.id(), ENDPOINT, null, null, requests.size(), owner);
        write(batch.view(), base, g);
    }

    private Batch.View view(String id, String caller) {
        Batch.View v = id.startsWith(PREFIX) ? batches.view(id, caller) : null;
        if (v == null) {
            throw new ApiError(404, "invalid_request_error", "no message batch '" + id + "' is kept here", null,
                    "batch_not_found");
        }
        return v;
    }

    /** {@code GET /v1/messages/batches/{id}}. */
    public void retrieve(String id, String caller, String base, JsonGenerator g) throws IOException {
        write(view(id, caller), base, g);
    }

    /** {@code POST /v1/messages/batches/{id}/cancel}: the batch stops (what finished is kept); one that ended is as it was. */
    public void cancel(String id, String caller, String base, JsonGenerator g) throws IOException {
        view(id, caller);
        batches.stop(id);
        write(view(id, caller), base, g);
    }

    /** {@code DELETE /v1/messages/batches/{id}}: an ended batch and its results go; a running one is a 400. */
    public void delete(String id, String caller, JsonGenerator g) throws IOException {
        view(id, caller);
        if (!batches.delete(id)) {
            throw ApiError.invalid(null, "message batch '" + id + "' is still processing; cancel it and wait for it "
                    + "to end before deleting it");
        }
        Path results = resultsPath(id);
        Files.deleteIfExists(results);
        g.writeStartObject();
        g.writeStringField("id", id);
        g.writeStringField("type", "message_batch_deleted");
        g.writeEndObject();
    }

    /** {@code GET /v1/messages/batches}: newest first, {@code limit} (1 to 1000, 20 by default) after or before an id. */
    public void list(String limit, String afterId, String beforeId, String caller, String base, JsonGenerator g)
            throws IOException {
        int count;
        try {
            count = limit == null ? 20 : Integer.parseInt(limit);
        } catch (NumberFormatException e) {
            count = -1;
        }
        if (count < 1 || count > 1000) {
            throw ApiError.invalid("limit", "limit must be an integer from 1 to 1000, got " + limit);
        }
        List<Batch.View> all = new ArrayList<>(batches.views(PREFIX, caller));
        java.util.Collections.reverse(all);
        int from = 0;
        int to = all.size();
        if (afterId != null) {
            from = indexOf(all, afterId, "after_id") + 1;
            to = Math.min(all.size(), from + count);
        } else if (beforeId != null) {
            to = indexOf(all, beforeId, "before_id");
            from = Math.max(0, to - count);
        } else {
            to = Math.min(all.size(), count);
        }
        g.writeStartObject();
        g.writeArrayFieldStart("data");
        for (int i = from; i < to; i++) {
            write(all.get(i), base, g);
        }
        g.writeEndArray();
        g.writeBooleanField("has_more", beforeId != null ? from > 0 : to < all.size());
        if (to > from) {
            g.writeStringField("first_id", all.get(from).id());
            g.writeStringField("last_id", all.get(to - 1).id());
        } else {
            g.writeNullField("first_id");
            g.writeNullField("last_id");
        }
        g.writeEndObject();
    }

    private static int indexOf(List<Batch.View> all, String id, String param) {
        for (int i = 0; i < all.size(); i++) {
            if (all.get(i).id().equals(id)) {
                return i;
            }
        }
        throw ApiError.invalid(param, "no message batch '" + id + "' in this list");
    }

    /**
     * {@code GET /v1/messages/batches/{id}/results}: a file of one line per request, written once the
     * batch has ended: the answered ones, then the refused, then those never run.
     *
     * @throws ApiError 400 while the batch is still processing
     */
    public Path results(String id, String caller) throws IOException {
        Batch.View v = view(id, caller);
        if (!v.status().ended()) {
            throw ApiError.invalid(null, "message batch '" + id + "' is still processing; its results are ready when "
                    + "processing_status is ended");
        }
        Path results = resultsPath(id);
        synchronized (this) {
            if (!Files.exists(results)) {
                Path partial = results.resolveSibling(results.getFileName() + ".partial");
                writeResults(v, partial);
                Files.move(partial, results, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return results;
    }

    private Path resultsPath(String id) {
        return batches.files().store().incoming().resolve(id + "_results.jsonl");
    }

    private void writeResults(Batch.View v, Path to) throws IOException {
        Set<String> seen = new HashSet<>();
        try (BufferedWriter out = Files.newBufferedWriter(to, StandardCharsets.UTF_8)) {
            for (String file : new String[] {v.outputFileId(), v.errorFileId()}) {
                FileStore.StoredFile f = file == null ? null : batches.files().store().get(file);
                if (f == null) {
                    continue;
                }
                try (BufferedReader in = Files.newBufferedReader(f.path(), StandardCharsets.UTF_8)) {
                    String text;
                    while ((text = in.readLine()) != null) {
                        if (!text.isBlank()) {
                            JsonNode line = JSON.readTree(text);
                            seen.add(line.path("custom_id").asText());
                            line(out, line.path("custom_id").asText(), result(line));
                        }
                    }
                }
            }
            FileStore.StoredFile input = batches.files().store().get(v.inputFileId());
            if (input == null) {
                return;
            }
            try (BufferedReader in = Files.newBufferedReader(input.path(), StandardCharsets.UTF_8)) {
                BatchLines.Numbered lines = new BatchLines.Numbered(in);
                String text;
                while ((text = lines.next()) != null) {
                    String id = JSON.readTree(text).path("custom_id").asText();
                    if (!seen.contains(id)) {
                        line(out, id, v.status() == Batch.Status.CANCELLED ? JSON.createObjectNode().put("type", "canceled")
                                : errored("api_error", "the request was not run: the batch ended first"));
                    }
                }
            }
        }
    }

    /** The result of one line of the OpenAI-shaped output or error file. */
    private static ObjectNode result(JsonNode line) {
        JsonNode response = line.get("response");
        if (response != null && response.isObject()) {
            if (response.path("status_code").asInt() == 200) {
                ObjectNode r = JSON.createObjectNode().put("type", "succeeded");
                r.set("message", response.get("body"));
                return r;
            }
            ObjectNode r = JSON.createObjectNode().put("type", "errored");
            r.set("error", response.get("body"));
            return r;
        }
        if (BatchRunner.EXPIRED.equals(line.path("error").path("code").asText(null))) {
            return JSON.createObjectNode().put("type", "expired");
        }
        return errored("api_error", line.path("error").path("message").asText("the request failed"));
    }

    private static ObjectNode errored(String type, String message) {
        ObjectNode r = JSON.createObjectNode().put("type", "errored");
        ObjectNode error = r.putObject("error").put("type", "error");
        error.putObject("error").put("type", type).put("message", message);
        return r;
    }

    private static void line(BufferedWriter out, String customId, ObjectNode result) throws IOException {
        ObjectNode line = JSON.createObjectNode().put("custom_id", customId);
        line.set("result", result);
        out.write(JSON.writeValueAsString(line));
        out.newLine();
    }

    /** The batch object, as Anthropic's API returns it; {@code base} is the URL its results are read at. */
    private static void write(Batch.View v, String base, JsonGenerator g) throws IOException {
        boolean ended = v.status().ended();
        int unrun = v.unprocessed();
        g.writeStartObject();
        g.writeStringField("id", v.id());
        g.writeStringField("type", "message_batch");
        g.writeStringField("processing_status", ended ? "ended" : v.status() == Batch.Status.CANCELLING ? "canceling"
                : "in_progress");
        g.writeObjectFieldStart("request_counts");
        g.writeNumberField("processing", ended ? 0 : unrun);
        g.writeNumberField("succeeded", v.succeeded());
        g.writeNumberField("errored", v.failed() - v.expired() + (ended && v.status() != Batch.Status.CANCELLED ? unrun : 0));
        g.writeNumberField("canceled", ended && v.status() == Batch.Status.CANCELLED ? unrun : 0);
        g.writeNumberField("expired", v.expired());
        g.writeEndObject();
        time(g, "ended_at", ended ? v.endedAt() : null);
        time(g, "created_at", v.createdAt());
        time(g, "expires_at", v.expiresAt());
        g.writeNullField("archived_at");
        time(g, "cancel_initiated_at", v.cancellingAt());
        if (ended) {
            g.writeStringField("results_url", base + "/v1/messages/batches/" + v.id() + "/results");
        } else {
            g.writeNullField("results_url");
        }
        g.writeEndObject();
    }

    private static void time(JsonGenerator g, String name, Long epochSeconds) throws IOException {
        if (epochSeconds == null) {
            g.writeNullField(name);
        } else {
            g.writeStringField(name, Instant.ofEpochSecond(epochSeconds).toString());
        }
    }
}
