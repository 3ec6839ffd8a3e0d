package dev.switchyard.loadtest.run;

/** How a request ended. */
public enum Outcome {
    COMPLETED,
    FAILED,
    CANCELLED
}
