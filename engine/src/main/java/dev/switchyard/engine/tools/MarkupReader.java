package dev.switchyard.engine.tools;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Reads the body of an XML-style call block left to right, for the formats that write one tag per
 * call and per parameter. It is strict on purpose: each step says whether the text is what the
 * format writes there, so a parser gives up at the first surprise and the block stays content as
 * written, rather than guessing at a call the model did not finish or did not mean.
 */
final class MarkupReader {

    private final String text;
    private int at;

    MarkupReader(String text) {
        this.text = text;
    }

    /** Whether only whitespace is left. */
    boolean atEnd() {
        skipSpace();
        return at == text.length();
    }

    /** Skips whitespace, then {@code literal} if it comes next; whether it did. */
    boolean take(String literal) {
        skipSpace();
        return takeHere(literal);
    }

    /** Skips {@code literal} if it comes next, whitespace not skipped; whether it did. */
    boolean takeHere(String literal) {
        if (!text.startsWith(literal, at)) {
            return false;
        }
        at += literal.length();
        return true;
    }

    /** Whether {@code literal} comes next, whitespace included; nothing is skipped. */
    boolean seesHere(String literal) {
        return text.startsWith(literal, at);
    }

    /** The text up to the next {@code literal}, which is skipped too; null when none follows. */
    String upTo(String literal) {
        int end = text.indexOf(literal, at);
        if (end < 0) {
            return null;
        }
        String taken = text.substring(at, end);
        at = end + literal.length();
        return taken;
    }

    /** Where the next {@code literal} starts, or -1; nothing is skipped. */
    int find(String literal) {
        return text.indexOf(literal, at);
    }

    /** The text up to {@code end}, an index at or after the current one; reading goes on from there. */
    String takeTo(int end) {
        String taken = text.substring(at, end);
        at = end;
        return taken;
    }

    private void skipSpace() {
        while (at < text.length() && Character.isWhitespace(text.charAt(at))) {
            at++;
        }
    }

    /**
     * The attributes of the rest of a tag, up to its {@code >}, which is skipped: {@code <invoke}
     * read, this reads {@code  name="f">}; null when the tag does not end or its head is not
     * whitespace then attributes.
     */
    Map<String, String> attributesToTagEnd() {
        String head = upTo(">");
        return head == null || head.isEmpty() || !Character.isWhitespace(head.charAt(0)) ? null : attributes(head);
    }

    /**
     * Skips blanks and {@code tag} (the start of an opening tag, {@code <invoke}) and reads its
     * attributes to the tag's end; its {@code name}, or null when that tag is not next or names
     * nothing that can be a name.
     */
    String takeNamedTag(String tag) {
        return take(tag) ? nameIn(attributesToTagEnd()) : null;
    }

    /** The {@code name} among a tag's attributes (null for none read), or null when it cannot be one. */
    static String nameIn(Map<String, String> attributes) {
        String name = attributes == null ? null : attributes.get("name");
        return isName(name) ? name : null;
    }

    /**
     * Whether {@code s} can be a function's or a parameter's name as these formats write it between
     * markup: not empty, not a closing tag's {@code /}, and without whitespace or the characters
     * that would make it markup.
     */
    static boolean isName(String s) {
        return s != null && !s.isEmpty() && s.charAt(0) != '/'
                && s.chars().noneMatch(c -> Character.isWhitespace(c) || c == '<' || c == '>' || c == '"');
    }

    /**
     * The attributes of a tag's head, {@code  name="f" string="true"}: each a name, {@code =} and a
     * double-quoted value, separated by whitespace; null when the head holds anything else or names
     * one twice.
     */
    static Map<String, String> attributes(String head) {
        Map<String, String> out = new HashMap<>();
        MarkupReader r = new MarkupReader(head);
        while (!r.atEnd()) {
            int eq = r.find("=");
            if (eq < 0) {
                return null;
            }
            String name = r.takeTo(eq).strip();
            if (name.isEmpty() || !name.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '_' || c == '-')
                    || !r.takeHere("=") || !r.take("\"")) {
                return null;
            }
            String value = r.upTo("\"");
            if (value == null || out.put(name, value) != null
                    || r.at < head.length() && !Character.isWhitespace(head.charAt(r.at))) {
                return null; // a value cut off, a name twice, or attributes run together: a="1"b="2"
            }
        }
        return out;
    }

    /**
     * The calls of a body that holds only calls, each between {@code begin} and {@code end} with
     * whitespace between them (DeepSeek's and Kimi's tokens), each read by {@code read}; null when
     * anything else stands between them, a call is cut off, or {@code read} refuses one.
     */
    static List<ToolCall> delimitedCalls(String body, String begin, String end, Function<String, ToolCall> read) {
        MarkupReader r = new MarkupReader(body);
        List<ToolCall> calls = new ArrayList<>();
        while (!r.atEnd()) {
            String inner = r.take(begin) ? r.upTo(end) : null;
            ToolCall call = inner == null ? null : read.apply(inner);
            if (call == null) {
                return null;
            }
            calls.add(call);
        }
        return calls.isEmpty() ? null : calls;
    }

    /** Reads one invoke's arguments, named {@code name}, through the invoke's end; null when malformed. */
    interface InvokeArguments {
        ObjectNode read(MarkupReader r, String name);
    }

    /**
     * The calls of a body of invokes ({@code <invoke name="f">} in the format's spelling
     * {@code invoke}), each one's arguments read by {@code arguments}; null when anything else
     * stands between them or an invoke does not read.
     */
    static List<ToolCall> invokeCalls(String body, String invoke, InvokeArguments arguments) {
        MarkupReader r = new MarkupReader(body);
        List<ToolCall> calls = new ArrayList<>();
        while (!r.atEnd()) {
            String name = r.takeNamedTag(invoke);
            ObjectNode read = name == null ? null : arguments.read(r, name);
            if (read == null) {
                return null;
            }
            calls.add(new ToolCall(name, ToolArguments.write(read)));
        }
        return calls;
    }
}
