package dev.switchyard.server.http;

/** A request a connection is still answering: a generation, or a reader following a background stream. */
interface OpenRequest {

    /** Whether its response has been written to the end. */
    boolean isEnded();

    /** The client went away before the end; returns whether that cancelled a generation. */
    boolean clientLeft();
}
