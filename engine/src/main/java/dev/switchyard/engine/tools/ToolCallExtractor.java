package dev.switchyard.engine.tools;

import dev.switchyard.engine.text.Markers;
import java.util.ArrayList;
import java.util.List;

/**
 * Takes the tool calls out of one reply's content as it streams: content outside a format's call
 * blocks passes on, each block becomes the calls it holds.
 *
 * <p>Feed it each content delta with {@link #push} and the last one with {@link #finish}; after each
 * call {@link #content()} and {@link #calls()} hold what that call released. Only text that could
 * still be the beginning of an opening marker is held back (at most the marker's length less one),
 * so content outside calls streams with the same latency as without tools. A block is released as
 * calls once its closing marker arrives, or at the reply's end when it has none or the reply
 * stopped short of it. A block that does not parse goes out as content, exactly as written:
 * nothing the model wrote is lost.
 *
 * <p>Whitespace between and after blocks is dropped (a reply of calls alone has no content); any
 * other text after a block is content, whitespace included. One instance follows one reply; not
 * thread-safe.
 */
public final class ToolCallExtractor {

    private final ToolCallFormat format;
    private final ToolSchemas schemas;
    private final String[] openers;
    /** The first character every opener starts with, or 0 when they differ: text without it holds no opener. */
    private final char lead;
    /** Content that may be the beginning of an opener. */
    private final StringBuilder held = new StringBuilder();
    /** The open block's text after its opener; its closer is looked for in it. */
    private final StringBuilder block = new StringBuilder();
    /** The open block's opener, or -1 outside blocks. */
    private int opener = -1;
    /** Where in {@link #block} the closer may begin that has not been looked at. */
    private int searchFrom;
    /** Whitespace after a block, released only if other content follows it. */
    private final StringBuilder trailing = new StringBuilder();
    private boolean afterBlock;
    private final StringBuilder contentOut = new StringBuilder();
    private final List<ToolCall> callsOut = new ArrayList<>();
    private String content = "";
    private List<ToolCall> calls = List.of();
    private final int[] which = new int[1];

    ToolCallExtractor(ToolCallFormat format, ToolSchemas schemas) {
        this.format = format;
        this.schemas = schemas;
        this.openers = format.openers();
        char first = openers[0].charAt(0);
        for (String o : openers) {
            first = o.charAt(0) == first ? first : 0;
        }
        this.lead = first;
    }

    /** Adds the next content delta. */
    public void push(String text) {
        accept(text, false);
    }

    /** Adds the last content (possibly empty) and releases whatever was held back. */
    public void finish(String text) {
        accept(text, true);
    }

    /** Content released by the last call; empty when none. */
    public String content() {
        return content;
    }

    /** Calls completed by the last call; empty when none. */
    public List<ToolCall> calls() {
        return calls;
    }

    private void accept(String text, boolean last) {
        contentOut.setLength(0);
        callsOut.clear();
        if (opener < 0 && held.isEmpty() && !afterBlock && lead != 0 && text.indexOf(lead) < 0) {
            content = text; // the common case: plain content, released as it is
            calls = List.of();
            return;
        }
        String rest = held.isEmpty() ? text : held.append(text).toString();
        held.setLength(0);
        while (rest != null) {
            rest = opener >= 0 ? inBlock(rest, last) : inContent(rest, last);
        }
        if (last) {
            trailing.setLength(0);
        }
        content = contentOut.toString();
        calls = callsOut.isEmpty() ? List.of() : List.copyOf(callsOut);
    }

    /** Content until the next opener; returns what follows the opener, or null when the text is used up. */
    private String inContent(String text, boolean last) {
        int best = Markers.earliest(text, 0, openers, which);
        if (best >= 0) {
            content(text, 0, best, true);
            opener = which[0];
            block.setLength(0);
            searchFrom = 0;
            return text.substring(best + openers[opener].length());
        }
        int keep = last ? 0 : Markers.heldBack(text, 0, openers);
        content(text, 0, text.length() - keep, last);
        held.append(text, text.length() - keep, text.length());
        return null;
    }

    /** Block text until its closer; returns the content after the closer, or null when the text is used up. */
    private String inBlock(String text, boolean last) {
        block.append(text);
        String closer = format.closer(opener);
        if (closer != null) {
            int at = block.indexOf(closer, searchFrom);
            if (at >= 0) {
                String after = block.substring(at + closer.length());
                closeBlock(block.substring(0, at), closer);
                return after;
            }
            searchFrom = Math.max(0, block.length() - closer.length() + 1);
        }
        if (last) {
            closeBlock(block.toString(), "");
        }
        return null;
    }

    private void closeBlock(String body, String closer) {
        List<ToolCall> parsed = format.parse(opener, body, schemas);
        if (parsed == null || parsed.isEmpty()) {
            releaseTrailing();
            contentOut.append(openers[opener]).append(body).append(closer);
        } else {
            trailing.setLength(0);
            callsOut.addAll(parsed);
            afterBlock = true;
        }
        opener = -1;
        block.setLength(0);
    }

    /**
     * Releases {@code text[from, to)}; after a block, whitespace waits in {@link #trailing} until other
     * content shows it is part of the content ({@code beforeBlock}: a block follows, so it is dropped).
     */
    private void content(String text, int from, int to, boolean beforeBlock) {
        if (from >= to) {
            return;
        }
        if (afterBlock) {
            int i = from;
            while (i < to && Character.isWhitespace(text.charAt(i))) {
                i++;
            }
            if (i == to) {
                if (!beforeBlock) {
                    trailing.append(text, from, to);
                }
                return;
            }
            afterBlock = false;
            releaseTrailing();
        }
        contentOut.append(text, from, to);
    }

    private void releaseTrailing() {
        contentOut.append(trailing);
        trailing.setLength(0);
        afterBlock = false;
    }
}
