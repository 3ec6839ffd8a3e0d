package dev.switchyard.server.batch;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One batch of OpenAI's Batch API, as its object shows it: where it stands ({@code validating},
 * {@code in_progress}, {@code finalizing}, {@code completed}, {@code failed}, {@code expired},
 * {@code cancelling}, {@code cancelled}), when it got there, its requests' counts and tokens, and its
 * result files. Its runner moves it on; readers take consistent snapshots.
 */
final class Batch {

    /** Where a batch stands; the names are the API's. */
    enum Status {
        VALIDATING, IN_PROGRESS, FINALIZING, COMPLETED, FAILED, EXPIRED, CANCELLING, CANCELLED;

        String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }

        boolean ended() {
            return this == COMPLETED || this == FAILED || this == EXPIRED || this == CANCELLED;
        }
    }

    /** Tokens one reply reports: its prompt's (of them, taken from the prefix cache), its output's (of them, reasoning). */
    record Tokens(long input, long cached, long output, long reasoning) {

        static final Tokens NONE = new Tokens(0, 0, 0, 0);

        /** What a reply body's {@code usage} says, in the Chat Completions' names or the Responses API's. */
        static Tokens of(com.fasterxml.jackson.databind.JsonNode body) {
            var usage = body == null ? null : body.get("usage");
            if (usage == null || !usage.isObject()) {
                return NONE;
            }
            long input = usage.has("prompt_tokens") ? usage.path("prompt_tokens").asLong()
                    : usage.path("input_tokens").asLong();
            long output = usage.has("completion_tokens") ? usage.path("completion_tokens").asLong()
                    : usage.path("output_tokens").asLong();
            var inDetails = usage.has("prompt_tokens_details") ? usage.get("prompt_tokens_details")
                    : usage.path("input_tokens_details");
            var outDetails = usage.has("completion_tokens_details") ? usage.get("completion_tokens_details")
                    : usage.path("output_tokens_details");
            return new Tokens(input, inDetails.path("cached_tokens").asLong(), output,
                    outDetails.path("reasoning_tokens").asLong());
        }
    }

    /** A problem with the input file: the batch fails with a list of them. */
    record Problem(String code, String message, String param, Integer line) {
    }

    final String id;
    final String endpoint;
    final String inputFileId;
    final String completionWindow;
    final Map<String, String> metadata;
    final long createdAt;
    final long expiresAt;
    /** Seconds the result files live once made; null for as long as they are not deleted. */
    final Long outputExpiresAfter;
    /** The name of the API key that made it, whose client alone sees it and its files; null for anyone's. */
    final String owner;

    private Status status = Status.VALIDATING;
    private Long inProgressAt;
    private Long finalizingAt;
    private Long completedAt;
    private Long failedAt;
    private Long expiredAt;
    private Long cancellingAt;
    private Long cancelledAt;
    private int total;
    private int completed;
    private int failed;
    /** Of the failed, those whose window ended before they ran. */
    private int expired;
    private long inputTokens;
    private long cachedTokens;
    private long outputTokens;
    private long reasoningTokens;
    private String outputFileId;
    private String errorFileId;
    private final List<Problem> problems = new ArrayList<>();

    Batch(String id, String endpoint, String inputFileId, String completionWindow, Map<String, String> metadata,
          long createdAt, long expiresAt, Long outputExpiresAfter, String owner) {
        this.outputExpiresAfter = outputExpiresAfter;
        this.owner = owner;
        this.id = id;
        this.endpoint = endpoint;
        this.inputFileId = inputFileId;
        this.completionWindow = completionWindow;
        this.metadata = metadata;
        this.createdAt = createdAt;
        this.expiresAt = expiresAt;
    }

    /**
     * A batch an earlier server kept while it had not ended, from its object as kept: where it stood and
     * when, and its requests' number; the counts and tokens come back as its results are read again.
     */
    static Batch resumed(com.fasterxml.jackson.databind.JsonNode kept, Long outputExpiresAfter, String owner) {
        Map<String, String> metadata = null;
        if (kept.path("metadata").isObject()) {
            metadata = new java.util.LinkedHashMap<>();
            for (var e : kept.get("metadata").properties()) {
                metadata.put(e.getKey(), e.getValue().asText());
            }
        }
        Batch b = new Batch(kept.path("id").asText(), kept.path("endpoint").asText(),
                kept.path("input_file_id").asText(), kept.path("completion_window").asText(), metadata,
                kept.path("created_at").asLong(), kept.path("expires_at").asLong(), outputExpiresAfter, owner);
        Status was = Status.valueOf(kept.path("status").asText().toUpperCase(java.util.Locale.ROOT));
        if (was.ended()) {
            throw new IllegalArgumentException("batch " + b.id + " has ended");
        }
        b.inProgressAt = longOrNull(kept, "in_progress_at");
        b.cancellingAt = longOrNull(kept, "cancelling_at");
        b.total = kept.path("request_counts").path("total").asInt();
        // one stopped while finalizing goes on as it was running: every request it wrote is read again
        b.status = was == Status.FINALIZING ? Status.IN_PROGRESS : was;
        return b;
    }

    private static Long longOrNull(com.fasterxml.jackson.databind.JsonNode node, String field) {
        return node.path(field).isNumber() ? node.get(field).asLong() : null;
    }

    synchronized Status status() {
        return status;
    }

    /** Whether its input was checked and its requests started (by this server or an earlier one). */
    synchronized boolean checked() {
        return inProgressAt != null;
    }

    /** A problem found once it ran, listed in its {@code errors}. */
    synchronized void noted(Problem problem) {
        problems.add(problem);
    }

    /** Asks a batch that has not ended to stop; false when it had ended. */
    synchronized boolean cancel(long now) {
        if (status.ended() || status == Status.CANCELLING) {
            return !status.ended();
        }
        status = Status.CANCELLING;
        cancellingAt = now;
        return true;
    }

    synchronized boolean cancelRequested() {
        return status == Status.CANCELLING;
    }

    /** Its requests counted before its input is checked (where they came inline, and are known). */
    synchronized void expect(int requests) {
        if (total == 0) {
            total = requests;
        }
    }

    /** Its input checked: {@code total} requests to run. */
    synchronized void started(int total, long now) {
        this.total = total;
        if (status == Status.VALIDATING) {
            status = Status.IN_PROGRESS;
        }
        inProgressAt = now;
    }

    /** One request's result counted (one that {@code expired} unsent among the failed), with the tokens its reply reports. */
    synchronized void counted(boolean succeeded, boolean expired, Tokens tokens) {
        if (succeeded) {
            completed++;
        } else {
            failed++;
        }
        if (expired) {
            this.expired++;
        }
        inputTokens += tokens.input();
        cachedTokens += tokens.cached();
        outputTokens += tokens.output();
        reasoningTokens += tokens.reasoning();
    }

    synchronized void finalizing(long now) {
        if (status == Status.IN_PROGRESS) {
            status = Status.FINALIZING;
        }
        finalizingAt = now;
    }

    /** It ended: as {@code end} says unless it was asked to stop (then cancelled), with its result files. */
    synchronized void ended(Status end, String outputFile, String errorFile, long now) {
        outputFileId = outputFile;
        errorFileId = errorFile;
        status = status == Status.CANCELLING ? Status.CANCELLED : end;
        switch (status) {
            case COMPLETED -> completedAt = now;
            case EXPIRED -> expiredAt = now;
            case CANCELLED -> cancelledAt = now;
            default -> failedAt = now;
        }
    }

    /** Its input was refused: it fails with these problems and runs nothing. */
    synchronized void refused(List<Problem> found, long now) {
        problems.addAll(found);
        status = status == Status.CANCELLING ? Status.CANCELLED : Status.FAILED;
        if (status == Status.CANCELLED) {
            cancelledAt = now;
        } else {
            failedAt = now;
        }
    }

    /**
     * What another API's view of a batch needs (Anthropic's Message Batches): where it stands, when,
     * and how many of its requests succeeded, failed, expired and were never run (cancelled).
     */
    record View(String id, Status status, long createdAt, long expiresAt, Long endedAt, Long cancellingAt, int total,
                int succeeded, int failed, int expired, String inputFileId, String outputFileId, String errorFileId) {

        /** Requests not run, or not yet: those a cancelled batch never ran, or those still to run. */
        int unprocessed() {
            return Math.max(0, total - succeeded - failed);
        }

        /** The view of a batch's object as the OpenAI API showed it when it ended, {@code expired} counted apart. */
        static View of(com.fasterxml.jackson.databind.JsonNode ended, int expired) {
            Status status = Status.valueOf(ended.path("status").asText().toUpperCase(java.util.Locale.ROOT));
            var counts = ended.path("request_counts");
            Long endedAt = null;
            for (String at : new String[] {"completed_at", "failed_at", "expired_at", "cancelled_at"}) {
                if (ended.path(at).isNumber()) {
                    endedAt = ended.get(at).asLong();
                }
            }
            return new View(ended.path("id").asText(), status, ended.path("created_at").asLong(),
                    ended.path("expires_at").asLong(), endedAt,
                    ended.path("cancelling_at").isNumber() ? ended.get("cancelling_at").asLong() : null,
                    counts.path("total").asInt(), counts.path("completed").asInt(), counts.path("failed").asInt(),
                    expired, ended.path("input_file_id").asText(), text(ended, "output_file_id"),
                    text(ended, "error_file_id"));
        }

        private static String text(com.fasterxml.jackson.databind.JsonNode node, String field) {
            return node.path(field).isTextual() ? node.get(field).asText() : null;
        }
    }

    synchronized View view() {
        Long endedAt = completedAt != null ? completedAt : failedAt != null ? failedAt : expiredAt != null ? expiredAt
                : cancelledAt;
        return new View(id, status, createdAt, expiresAt, endedAt, cancellingAt, total, completed, failed, expired,
                inputFileId, outputFileId, errorFileId);
    }

    /** The batch object, as the API returns it. */
    synchronized void write(JsonGenerator g) throws IOException {
        g.writeStartObject();
        g.writeStringField("id", id);
        g.writeStringField("object", "batch");
        g.writeStringField("endpoint", endpoint);
        if (problems.isEmpty()) {
            g.writeNullField("errors");
        } else {
            g.writeObjectFieldStart("errors");
            g.writeStringField("object", "list");
            g.writeArrayFieldStart("data");
            for (Problem p : problems) {
                g.writeStartObject();
                g.writeStringField("code", p.code());
                g.writeStringField("message", p.message());
                g.writeStringField("param", p.param());
                if (p.line() == null) {
                    g.writeNullField("line");
                } else {
                    g.writeNumberField("line", p.line());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
        g.writeStringField("input_file_id", inputFileId);
        g.writeStringField("completion_window", completionWindow);
        g.writeStringField("status", status.label());
        g.writeStringField("output_file_id", outputFileId);
        g.writeStringField("error_file_id", errorFileId);
        g.writeNumberField("created_at", createdAt);
        time(g, "in_progress_at", inProgressAt);
        g.writeNumberField("expires_at", expiresAt);
        time(g, "finalizing_at", finalizingAt);
        time(g, "completed_at", completedAt);
        time(g, "failed_at", failedAt);
        time(g, "expired_at", expiredAt);
        time(g, "cancelling_at", cancellingAt);
        time(g, "cancelled_at", cancelledAt);
        g.writeObjectFieldStart("request_counts");
        g.writeNumberField("total", total);
        g.writeNumberField("completed", completed);
        g.writeNumberField("failed", failed);
        g.writeEndObject();
        g.writeObjectFieldStart("usage");
        g.writeNumberField("input_tokens", inputTokens);
        g.writeObjectFieldStart("input_tokens_details");
        g.writeNumberField("cached_tokens", cachedTokens);
        g.writeEndObject();
        g.writeNumberField("output_tokens", outputTokens);
        g.writeObjectFieldStart("output_tokens_details");
        g.writeNumberField("reasoning_tokens", reasoningTokens);
        g.writeEndObject();
        g.writeNumberField("total_tokens", inputTokens + outputTokens);
        g.writeEndObject();
        if (metadata == null) {
            g.writeNullField("metadata");
        } else {
            g.writeObjectFieldStart("metadata");
            for (var e : metadata.entrySet()) {
                g.writeStringField(e.getKey(), e.getValue());
            }
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    private static void time(JsonGenerator g, String name, Long at) throws IOException {
        if (at == null) {
            g.writeNullField(name);
        } else {
            g.writeNumberField(name, at);
        }
    }
}
