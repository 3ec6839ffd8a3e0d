package dev.switchyard.server.accesslog;

import java.util.List;

/**
 * What is told of each request once it has ended: the access log's line, a trace's span. The HTTP
 * front end and the gRPC service hand every ended request's {@link AccessRecord} to one recorder.
 */
public interface RequestRecorder extends AutoCloseable {

    /** Records nothing. */
    RequestRecorder OFF = AccessLog.OFF;

    /** Whether anything is recorded at all. */
    boolean on();

    /** A request ended: {@code outcome} is {@link AccessRecord#ANSWERED} or {@link AccessRecord#DISCONNECTED}. */
    void ended(AccessRecord record, String outcome);

    /** Sends what is still held and stops. */
    @Override
    void close();

    /** The recorders of {@code all} that are on, each told of every request, in turn. */
    static RequestRecorder of(List<? extends RequestRecorder> all) {
        List<RequestRecorder> on = all.stream().filter(RequestRecorder::on).map(r -> (RequestRecorder) r).toList();
        if (on.isEmpty()) {
            return OFF;
        }
        if (on.size() == 1) {
            return on.getFirst();
        }
        return new RequestRecorder() {
            @Override
            public boolean on() {
                return true;
            }

            @Override
            public void ended(AccessRecord record, String outcome) {
                for (RequestRecorder r : on) {
                    r.ended(record, outcome);
                }
            }

            @Override
            public void close() {
                for (RequestRecorder r : on) {
                    r.close();
                }
            }
        };
    }
}
