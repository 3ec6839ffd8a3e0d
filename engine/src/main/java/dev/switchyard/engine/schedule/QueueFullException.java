package dev.switchyard.engine.schedule;

/** The waiting queue is at its bound: the request was not accepted, and may be retried later. */
public final class QueueFullException extends RuntimeException {

    public QueueFullException(int bound) {
        super("the server is overloaded: " + bound + " requests are already waiting; retry later");
    }
}
