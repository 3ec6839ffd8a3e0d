package dev.switchyard.server.http;

import dev.switchyard.server.accesslog.AccessRecord;
import dev.switchyard.server.openai.ApiError;

/**
 * What a handler tells the access log of the answer it is about to write: a generation's figures, or
 * the API error it answers. Written through the pipeline just before the answer's last part, so it
 * meets the right request however requests follow one another on a connection (answers go out in
 * the order of their requests, except a refusal of the latest, which says so); the
 * {@link AccessLogHandler} takes it off there, and nothing of it reaches the socket.
 */
record AccessNote(AccessRecord.Generated generated, ApiError error, boolean forLatest) {

    static AccessNote of(AccessRecord.Generated generated) {
        return new AccessNote(generated, null, false);
    }

    static AccessNote of(ApiError error) {
        return new AccessNote(null, error, false);
    }

    /**
     * The refusal of a request that came while another was still being answered: the answer that
     * follows is the latest request's, written ahead of the earlier one's (whose connection then closes).
     */
    static AccessNote refusingTheLatest(ApiError error) {
        return new AccessNote(null, error, true);
    }

    void applyTo(AccessRecord record) {
        if (generated != null) {
            record.generated(generated);
        }
        if (error != null) {
            record.error(error.type(), error.code(), error.param());
        }
    }
}
