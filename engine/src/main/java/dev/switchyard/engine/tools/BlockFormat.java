package dev.switchyard.engine.tools;

import java.util.ArrayList;
import java.util.List;

/** A {@link ToolCallFormat} whose blocks open and close with fixed markers, pair by pair. */
abstract class BlockFormat implements ToolCallFormat {

    private final String[] openers;
    /** {@code closers[i]} closes what {@code openers[i]} opens; null where the block runs to the reply's end. */
    private final String[] closers;

    BlockFormat(String opener, String closer) {
        this(new String[] {opener}, new String[] {closer});
    }

    BlockFormat(String[] openers, String[] closers) {
        if (openers.length == 0 || openers.length != closers.length) {
            throw new IllegalArgumentException("a format needs one closer (or null) per opener");
        }
        this.openers = openers.clone();
        this.closers = closers.clone();
    }

    @Override
    public final String[] openers() {
        return openers.clone();
    }

    @Override
    public final String closer(int opener) {
        return closers[opener];
    }

    /** The openers and closers, then {@code inner}: the markers of a format whose blocks hold those. */
    final List<String> blockMarkers(String... inner) {
        List<String> markers = new ArrayList<>(List.of(openers));
        for (String c : closers) {
            if (c != null) {
                markers.add(c);
            }
        }
        markers.addAll(List.of(inner));
        return markers;
    }
}
