package dev.switchyard.loadtest.target;

/** A request that has been sent and may still be streaming. */
@FunctionalInterface
public interface InFlight {

    /**
     * Abandons the request: the connection is closed, so the server sees the client leave, and the
     * listener hears nothing more. Safe to call at any time, more than once, and after the request ended.
     */
    void cancel();
}
