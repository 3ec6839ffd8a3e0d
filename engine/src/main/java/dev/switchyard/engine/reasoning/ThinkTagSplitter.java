package dev.switchyard.engine.reasoning;

import static dev.switchyard.engine.text.Markers.earliest;
import static dev.switchyard.engine.text.Markers.heldBack;

/**
 * The think-tag convention (DeepSeek-R1, Qwen3, QwQ, GLM-4.5, Kimi-K2-Thinking, MiniMax-M2, ...):
 * {@code <think>reasoning</think>answer}. Text up to the first {@code </think>} is reasoning; after
 * it everything is content, a later {@code </think>} included. Some families name the tags their
 * own way (Seed-OSS's {@code <seed:think>}, MiniMax-M3's {@code <mm:think>}); they work alike.
 *
 * <p>Where the reply begins depends on the prompt's tail: many templates open the thinking in the
 * generation prompt ({@code <｜Assistant｜><think>\n}), so the reply starts inside it with no tag of
 * its own; a template that closed it ({@code <think>\n\n</think>\n\n}, thinking turned off) leaves
 * only content; otherwise thinking happens only if the reply itself opens with {@code <think>}
 * (which is dropped, with any whitespace before it), and a reply that does not is all content. At
 * the reply's start, whitespace is held back with what may begin the tag, since it may precede it.
 *
 * <p>Whitespace at the start of the reasoning and at the start of the content is dropped (models
 * write {@code <think>\n} and {@code </think>\n\n}); whitespace at their ends is kept, since
 * holding it back would hold text that cannot begin a marker.
 */
final class ThinkTagSplitter extends ReasoningSplitter {

    static final String OPEN = "<think>";
    static final String CLOSE = "</think>";

    private final String open;
    private final String close;
    private final String[] closeOnly;

    /** Where the reply begins. */
    enum Start {
        /** The prompt opened the thinking: the reply starts inside it. */
        INSIDE,
        /** The prompt closed the thinking: the reply is all content. */
        CLOSED,
        /** Thinking only if the reply opens with {@code <think>}. */
        MAY_OPEN
    }

    private enum State { MAY_OPEN, REASONING, CONTENT }

    private State state;
    /** Whitespace at the start of the current section is still being dropped. */
    private boolean sectionStart;
    /** Text that may be the beginning of {@code <think>} (at the reply's start) or of {@code </think>}. */
    private final StringBuilder held = new StringBuilder();
    private final int[] which = new int[1];

    ThinkTagSplitter(Start start) {
        this(OPEN, CLOSE, start);
    }

    /** With tags of a family's own ({@code <seed:think>}, {@code </seed:think>}); both begin with {@code <}. */
    ThinkTagSplitter(String open, String close, Start start) {
        this.open = open;
        this.close = close;
        this.closeOnly = new String[] {close};
        switch (start) {
            case INSIDE -> {
                state = State.REASONING;
                sectionStart = true;
            }
            case CLOSED -> {
                state = State.CONTENT;
                sectionStart = true;
            }
            case MAY_OPEN -> state = State.MAY_OPEN;
        }
    }

    /** Where a reply begins after a prompt whose rendered text ends with {@code promptTail}. */
    static Start startAfter(String promptTail) {
        return startAfter(promptTail, OPEN, CLOSE);
    }

    /** As above, for the tags {@code open} and {@code close}. */
    static Start startAfter(String promptTail, String open, String close) {
        String tail = promptTail.stripTrailing();
        if (tail.endsWith(open)) {
            return Start.INSIDE;
        }
        if (tail.endsWith(close)) {
            return Start.CLOSED;
        }
        return Start.MAY_OPEN;
    }

    @Override
    void accept(String text, boolean last) {
        switch (state) {
            case MAY_OPEN -> opening(text, last);
            case REASONING -> reasoning(text, last);
            case CONTENT -> section(false, text, 0, text.length());
        }
    }

    /** The reply's first characters: {@code <think>}, after whitespace if any (GLM writes {@code \n<think>}), or content. */
    private void opening(String text, boolean last) {
        held.append(text);
        int tag = skipWhitespace(held, 0, held.length());
        if (startsWith(held, tag, open)) {
            String rest = held.substring(tag + open.length());
            held.setLength(0);
            state = State.REASONING;
            sectionStart = true;
            reasoning(rest, last);
            return;
        }
        if (!last && isPrefixOf(held, tag, open)) {
            return; // still may be the tag
        }
        state = State.CONTENT;
        String all = held.toString();
        held.setLength(0);
        release(false, all);
    }

    private void reasoning(String text, boolean last) {
        if (held.isEmpty() && text.indexOf('<') < 0) {
            section(true, text, 0, text.length());
            return;
        }
        CharSequence buf = text;
        if (!held.isEmpty()) {
            held.append(text);
            buf = held;
        }
        int at = earliest(buf, 0, closeOnly, which);
        if (at >= 0) {
            section(true, buf, 0, at);
            String rest = buf.subSequence(at + close.length(), buf.length()).toString();
            held.setLength(0);
            state = State.CONTENT;
            sectionStart = true;
            section(false, rest, 0, rest.length());
            return;
        }
        int keep = last ? 0 : heldBack(buf, 0, closeOnly);
        int end = buf.length() - keep;
        section(true, buf, 0, end);
        if (buf == held) {
            held.delete(0, end);
        } else {
            held.append(text, end, text.length());
        }
    }

    /** Releases {@code text[from, to)} to a section, dropping whitespace at the section's start. */
    private void section(boolean toReasoning, CharSequence text, int from, int to) {
        int begin = from;
        if (sectionStart) {
            begin = skipWhitespace(text, from, to);
            if (begin == to) {
                return;
            }
            sectionStart = false;
        }
        release(toReasoning, text, begin, to);
    }

    /** Whether {@code text} holds {@code prefix} from {@code at}. */
    private static boolean startsWith(CharSequence text, int at, String prefix) {
        if (text.length() - at < prefix.length()) {
            return false;
        }
        for (int i = 0; i < prefix.length(); i++) {
            if (text.charAt(at + i) != prefix.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Whether {@code text[from, length)} is a proper prefix of {@code tag} (empty included). */
    private static boolean isPrefixOf(CharSequence text, int from, String tag) {
        int n = text.length() - from;
        if (n >= tag.length()) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            if (text.charAt(from + i) != tag.charAt(i)) {
                return false;
            }
        }
        return true;
    }
}
