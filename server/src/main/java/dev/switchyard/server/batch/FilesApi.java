package dev.switchyard.server.batch;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchyard.server.openai.ApiError;
import dev.switchyard.server.openai.ResponsesApi;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * OpenAI's Files API over a {@link FileStore}: a file's object, the list, retrieval and deletion.
 * Uploads ({@code POST /v1/files}) are read by the HTTP layer as they arrive and handed to
 * {@link #upload}. Only batch inputs are taken ({@code purpose: "batch"}); batches write their results
 * as {@code batch_output} files.
 */
public final class FilesApi {

    /** The purpose of a batch's input file, the only one uploads may have here. */
    public static final String BATCH = "batch";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final FileStore store;

    public FilesApi(FileStore store) {
        this.store = store;
    }

    public FileStore store() {
        return store;
    }

    /**
     * Keeps an uploaded file whose bytes {@code content} writes, until {@code expiresAfter} seconds
     * have passed (null: until deleted), and answers its object.
     *
     * @throws ApiError 400 for a purpose other than batch, 413 when the store has no space for it
     */
    public void upload(String filename, String purpose, Long expiresAfter, FileStore.Content content, String owner,
                       JsonGenerator g) throws IOException {
        checkPurpose(purpose);
        try {
            write(g, store.add(filename == null || filename.isBlank() ? "upload.jsonl" : filename, purpose, expiresAfter,
                    content, false, owner));
        } catch (FileStore.SpaceExhaustedException e) {
            throw new ApiError(413, "invalid_request_error", e.getMessage(), "file", "file_too_large");
        }
    }

    /** The least and most seconds OpenAI lets a file live when it sets an expiry: an hour, and 30 days. */
    static final long MIN_EXPIRY = 3600;
    static final long MAX_EXPIRY = 30L * 24 * 3600;

    /**
     * OpenAI's {@code expires_after}: {@code anchor} must be {@code created_at}, {@code seconds} from an
     * hour to 30 days; both null for none.
     *
     * @return the seconds, or null for no expiry
     * @throws ApiError 400 naming {@code param} otherwise
     */
    public static Long expiresAfter(String anchor, String seconds, String param) {
        if (anchor == null && seconds == null) {
            return null;
        }
        if (!"created_at".equals(anchor)) {
            throw ApiError.invalid(param + ".anchor", param + ".anchor must be \"created_at\", got " + anchor);
        }
        long s;
        try {
            s = Long.parseLong(seconds == null ? "" : seconds.strip());
        } catch (NumberFormatException e) {
            s = -1;
        }
        if (s < MIN_EXPIRY || s > MAX_EXPIRY) {
            throw ApiError.invalid(param + ".seconds", param + ".seconds must be a whole number from " + MIN_EXPIRY
                    + " (an hour) to " + MAX_EXPIRY + " (30 days), got " + seconds);
        }
        return s;
    }

    /** @throws ApiError 400 unless {@code purpose} is one this server takes */
    public static void checkPurpose(String purpose) {
        if (purpose == null) {
            throw ApiError.invalid("purpose", "purpose is required: \"batch\" for a batch's input file");
        }
        if (!purpose.equals(BATCH)) {
            throw ApiError.unsupportedAs("purpose", "purpose \"" + purpose + "\" is not taken here: files are "
                    + "batch inputs (\"batch\") on this server");
        }
    }

    /**
     * The file of that id, where the client of the key named {@code caller} may see it (see
     * {@link FileStore.StoredFile#visibleTo}). @throws ApiError 404 when there is none it may see
     */
    public FileStore.StoredFile file(String id, String caller) {
        FileStore.StoredFile f = store.get(id);
        if (f == null || !f.visibleTo(caller)) {
            throw new ApiError(404, "invalid_request_error", "no file '" + id + "' is kept here", "file_id",
                    "file_not_found");
        }
        return f;
    }

    public void retrieve(String id, String caller, JsonGenerator g) throws IOException {
        write(g, file(id, caller));
    }

    public void delete(String id, String caller, JsonGenerator g) throws IOException {
        file(id, caller); // the 404 for a file that is not there, or not the caller's
        if (!store.delete(id)) {
            file(id, caller); // deleted meanwhile
        }
        g.writeStartObject();
        g.writeStringField("id", id);
        g.writeStringField("object", "file");
        g.writeBooleanField("deleted", true);
        g.writeEndObject();
    }

    /** {@code GET /v1/files}: a page of the files (newest first unless {@code order} is asc), of one purpose if named. */
    public void list(String purpose, String order, String limit, String after, String caller, JsonGenerator g)
            throws IOException {
        List<JsonNode> objects = new ArrayList<>();
        for (FileStore.StoredFile f : store.list()) {
            if ((purpose == null || purpose.equals(f.purpose())) && f.visibleTo(caller)) {
                objects.add(object(f));
            }
        }
        ResponsesApi.writeItemPage(g, objects, order, limit, after);
    }

    private static ObjectNode object(FileStore.StoredFile f) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", f.id());
        o.put("object", "file");
        o.put("bytes", f.bytes());
        o.put("created_at", f.createdAt());
        if (f.expiresAt() == null) {
            o.putNull("expires_at");
        } else {
            o.put("expires_at", f.expiresAt());
        }
        o.put("filename", f.filename());
        o.put("purpose", f.purpose());
        o.put("status", "processed");
        o.putNull("status_details");
        return o;
    }

    static void write(JsonGenerator g, FileStore.StoredFile f) throws IOException {
        g.writeTree(object(f));
    }
}
