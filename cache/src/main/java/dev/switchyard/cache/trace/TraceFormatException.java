package dev.switchyard.cache.trace;

/** A routing trace file that is not what {@link TraceFormat} says it must be. */
public final class TraceFormatException extends IllegalArgumentException {

    private final long offset;

    public TraceFormatException(String problem, long offset) {
        super(problem + " (at byte offset " + offset + ")");
        this.offset = offset;
    }

    /** Where in the file the problem was found. */
    public long offset() {
        return offset;
    }
}
