package dev.switchyard.server.serving;

import dev.switchyard.engine.tools.ToolCall;
import dev.switchyard.engine.tools.ToolCallExtractor;
import dev.switchyard.engine.tools.ToolCallSyntax;
import java.util.ArrayList;
import java.util.List;

/**
 * One choice's tool calls: taken out of its content by the syntax's extractor (or handed over by
 * the reasoning splitter, for formats whose calls are messages of their own), numbered, and given
 * ids. With {@code parallel_tool_calls} false, the first call ends the choice and any later one in
 * the same delta is dropped, so a client never sees more than the one it allowed.
 */
final class ChoiceToolCalls {

    private final ToolCallSyntax syntax;
    /** Null when the splitter takes the calls out (harmony). */
    private final ToolCallExtractor extractor;
    private final boolean parallel;
    /** Told of each call made, for the metrics. */
    private final Runnable counted;
    private final List<ChoiceToolCall> released = new ArrayList<>();
    private int made;

    ChoiceToolCalls(ToolCallSyntax syntax, ToolUse use, Runnable counted) {
        this.syntax = syntax;
        this.extractor = syntax.newExtractor(use.schemas());
        this.parallel = use.parallel();
        this.counted = counted;
    }

    /** Takes the calls out of a content delta; returns the content left. {@code fromSplitter}: calls already apart. */
    String push(String content, List<ToolCall> fromSplitter) {
        return take(content, fromSplitter, false);
    }

    /** As {@link #push} for the reply's last content: a block still open is read as it stands. */
    String finish(String content, List<ToolCall> fromSplitter) {
        return take(content, fromSplitter, true);
    }

    /** The calls the last {@link #push} or {@link #finish} completed; empty when none. */
    List<ChoiceToolCall> released() {
        return released.isEmpty() ? List.of() : List.copyOf(released);
    }

    /** Whether the choice has made the only call it may make. */
    boolean ended() {
        return !parallel && made > 0;
    }

    private String take(String content, List<ToolCall> fromSplitter, boolean last) {
        released.clear();
        for (ToolCall call : fromSplitter) {
            add(call);
        }
        if (extractor == null) {
            return content;
        }
        if (last) {
            extractor.finish(content);
        } else {
            extractor.push(content);
        }
        for (ToolCall call : extractor.calls()) {
            add(call);
        }
        return extractor.content();
    }

    private void add(ToolCall call) {
        if (ended()) {
            return;
        }
        String id = call.id() != null ? call.id() : syntax.newCallId();
        released.add(new ChoiceToolCall(made++, id, call.name(), call.arguments()));
        counted.run();
    }
}
