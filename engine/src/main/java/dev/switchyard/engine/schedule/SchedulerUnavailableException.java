package dev.switchyard.engine.schedule;

/** The scheduler no longer accepts requests: the server is draining for shutdown, or closed. */
public final class SchedulerUnavailableException extends RuntimeException {

    public SchedulerUnavailableException(String message) {
        super(message);
    }
}
