package dev.switchyard.engine.reasoning;

import dev.switchyard.engine.tools.ToolCall;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits one reply's text, as it streams, into reasoning (what the model thinks before it answers)
 * and content (the answer), dropping the chat format's markers between them.
 *
 * <p>Feed it each text delta with {@link #push} and the last one with {@link #finish}; after each
 * call {@link #reasoning()} and {@link #content()} hold what that call released, either or both
 * possibly empty. Over a reply, the released pieces concatenate to the same two texts however the
 * text was cut into deltas: a marker split across deltas is recognised, because only the text that
 * could still be the beginning of a marker is held back (at most a marker's length less one), and
 * it is released with the next delta that rules the marker out, or at the end.
 *
 * <p>Cheap per token: a delta that holds no {@code '<'} (every marker begins with one) and follows no
 * held text is released as it is, without copying. One instance follows one reply; not thread-safe.
 */
public abstract sealed class ReasoningSplitter permits ThinkTagSplitter, HarmonySplitter {

    private final StringBuilder reasoningOut = new StringBuilder();
    private final StringBuilder contentOut = new StringBuilder();
    private String reasoning = "";
    private String content = "";
    private final List<ToolCall> callsOut = new ArrayList<>();
    private List<ToolCall> calls = List.of();

    ReasoningSplitter() {
    }

    /**
     * A harmony splitter for a reply after {@code promptTail}, without a vocabulary (tests of what
     * reads harmony's text); {@code takeCalls}: messages to functions become {@link #calls()}.
     */
    public static ReasoningSplitter harmony(String promptTail, boolean takeCalls) {
        return HarmonySplitter.after(promptTail, takeCalls);
    }

    /** Adds the next text delta of the reply. */
    public final void push(String text) {
        reasoning = "";
        content = "";
        accept(text, false);
        publish();
    }

    /** Adds the last text of the reply (possibly empty) and releases whatever was held back. */
    public final void finish(String text) {
        reasoning = "";
        content = "";
        accept(text, true);
        publish();
    }

    /** Reasoning released by the last call; empty when none. */
    public final String reasoning() {
        return reasoning;
    }

    /** Content released by the last call; empty when none. */
    public final String content() {
        return content;
    }

    /**
     * Tool calls completed by the last call, for formats whose calls are messages of their own
     * (harmony) and only when asked for; empty otherwise.
     */
    public final List<ToolCall> calls() {
        return calls;
    }

    /** Releases a completed call. */
    final void releaseCall(ToolCall call) {
        callsOut.add(call);
    }

    /** Takes {@code text}; releases through {@link #release}; {@code last} means nothing follows, so hold nothing. */
    abstract void accept(String text, boolean last);

    /** Releases a whole delta, without copying when it is the only piece of this call. */
    final void release(boolean toReasoning, String text) {
        if (text.isEmpty()) {
            return;
        }
        StringBuilder out = toReasoning ? reasoningOut : contentOut;
        String already = toReasoning ? reasoning : content;
        if (out.isEmpty() && already.isEmpty()) {
            if (toReasoning) {
                reasoning = text;
            } else {
                content = text;
            }
            return;
        }
        pending(toReasoning).append(text);
    }

    /** Releases {@code text[from, to)}. */
    final void release(boolean toReasoning, CharSequence text, int from, int to) {
        if (from >= to) {
            return;
        }
        if (from == 0 && to == text.length() && text instanceof String s) {
            release(toReasoning, s);
            return;
        }
        pending(toReasoning).append(text, from, to);
    }

    /**
     * The builder this call's {@code toReasoning} output collects in, holding by now whatever was
     * released uncopied before (a second piece of one call cannot be released uncopied).
     */
    private StringBuilder pending(boolean toReasoning) {
        StringBuilder out = toReasoning ? reasoningOut : contentOut;
        String already = toReasoning ? reasoning : content;
        if (!already.isEmpty()) {
            out.append(already);
            if (toReasoning) {
                reasoning = "";
            } else {
                content = "";
            }
        }
        return out;
    }

    private void publish() {
        calls = callsOut.isEmpty() ? List.of() : List.copyOf(callsOut);
        callsOut.clear();
        if (!reasoningOut.isEmpty()) {
            reasoning = reasoningOut.toString();
            reasoningOut.setLength(0);
        }
        if (!contentOut.isEmpty()) {
            content = contentOut.toString();
            contentOut.setLength(0);
        }
    }

    /** Index of the first non-whitespace character of {@code text[from, to)}, or {@code to}. */
    static int skipWhitespace(CharSequence text, int from, int to) {
        int i = from;
        while (i < to && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        return i;
    }
}
