package dev.switchyard.engine.reasoning;

import static dev.switchyard.engine.text.Markers.earliest;
import static dev.switchyard.engine.text.Markers.heldBack;

import dev.switchyard.engine.tools.ToolCall;

/**
 * gpt-oss's harmony format: a reply is a run of messages, each a header and a body,
 * {@code <|channel|>analysis<|message|>thinking<|end|><|start|>assistant<|channel|>final<|message|>answer<|return|>}.
 * The markers are control tokens, which the detokenizer renders for this splitter only; none of
 * them, and no header, reaches either output.
 *
 * <p>Bodies of the {@code analysis} channel are reasoning. Every other channel is content:
 * {@code final} is the answer, and {@code commentary} carries tool calls (their JSON arguments) and
 * the preambles the model writes to the user before calling tools; OpenAI's harmony guide says
 * preambles are meant to be shown, and this server has no tool-call parser to hand the calls to, so
 * a client that parses them itself finds them in the content rather than losing them in the
 * reasoning. A message's end ({@code <|end|>}) does not end the reply; {@code <|return|>} and
 * {@code <|call|>} do, and are dropped like the rest.
 *
 * <p>The generation prompt ends inside a header ({@code <|start|>assistant}), so a reply begins in
 * one: the channel comes first. A reply that begins with plain text instead (a model that ignores
 * the format) is all content, released at once; only a reply that begins with a space (a
 * recipient, {@code " to=functions.f"}) keeps its opening as header text until its first marker,
 * and at most {@value #MAX_LEADING_HEADER} characters of it.
 */
final class HarmonySplitter extends ReasoningSplitter {

    static final String START = "<|start|>";
    static final String END = "<|end|>";
    static final String MESSAGE = "<|message|>";
    static final String CHANNEL = "<|channel|>";
    static final String CONSTRAIN = "<|constrain|>";
    static final String RETURN = "<|return|>";
    static final String CALL = "<|call|>";
    /** Indexed by the constants below. */
    static final String[] MARKERS = {START, END, MESSAGE, CHANNEL, CONSTRAIN, RETURN, CALL};
    private static final int M_MESSAGE = 2;
    private static final int M_CHANNEL = 3;
    private static final int M_CONSTRAIN = 4;

    static final String REASONING_CHANNEL = "analysis";
    /** What a header names a function recipient with. */
    private static final String FUNCTION_RECIPIENT = "to=functions.";
    static final int MAX_LEADING_HEADER = 256;

    private enum State {
        /** Between {@code <|start|>} (or the reply's start) and {@code <|message|>}: nothing is shown. */
        HEADER,
        /** A message's body, until {@code <|end|>}, {@code <|return|>} or {@code <|call|>}. */
        BODY,
        /** The reply does not follow the format: all content, markers dropped. */
        PLAIN
    }

    private State state = State.HEADER;
    private boolean reasoningBody;
    /** The channel name is being read (after {@code <|channel|>}, up to whitespace or a marker). */
    private boolean readingChannel;
    private final StringBuilder channel = new StringBuilder();
    /** Whether the reply has shown a marker yet; until it does, its header text is kept in {@link #leading}. */
    private boolean sawMarker;
    private final StringBuilder leading = new StringBuilder();
    /** Text that may be the beginning of a marker. */
    private final StringBuilder held = new StringBuilder();
    private final int[] which = new int[1];
    /** Whether messages to functions become tool calls. */
    private final boolean takeCalls;
    /** The current message's header text, markers left out: where its recipient is named. */
    private final StringBuilder header = new StringBuilder();
    /** The function the current body calls, or null when the body is not a call. */
    private String calling;
    private final StringBuilder arguments = new StringBuilder();

    private HarmonySplitter(boolean takeCalls) {
        this.takeCalls = takeCalls;
    }

    /** A splitter for a reply that follows a prompt whose rendered text ends with {@code promptTail}. */
    static HarmonySplitter after(String promptTail) {
        return after(promptTail, false);
    }

    /** As above; {@code takeCalls}: messages to functions become {@link #calls()}. */
    static HarmonySplitter after(String promptTail, boolean takeCalls) {
        HarmonySplitter s = new HarmonySplitter(takeCalls);
        int at = promptTail.lastIndexOf(START);
        if (at >= 0) {
            s.push(promptTail.substring(at)); // enters the header the prompt opened
        }
        s.sawMarker = false;
        s.leading.setLength(0);
        return s;
    }

    @Override
    void accept(String text, boolean last) {
        if (state != State.HEADER && held.isEmpty() && text.indexOf('<') < 0) {
            if (calling != null && state == State.BODY) {
                arguments.append(text);
            } else {
                release(state == State.BODY && reasoningBody, text);
            }
            if (last) {
                endCall();
            }
            return;
        }
        CharSequence buf = text;
        if (!held.isEmpty()) {
            held.append(text);
            buf = held;
        }
        int pos = 0;
        for (int at = earliest(buf, pos, MARKERS, which); at >= 0; at = earliest(buf, pos, MARKERS, which)) {
            text(buf, pos, at);
            pos = at + MARKERS[which[0]].length();
            marker(which[0]);
        }
        int end = buf.length() - (last ? 0 : heldBack(buf, pos, MARKERS));
        text(buf, pos, end);
        if (buf == held) {
            held.delete(0, end);
        } else {
            held.append(text, end, text.length());
        }
        if (last) {
            endCall(); // a reply cut off inside a call
        }
        if (last && state == State.HEADER && !sawMarker && !leading.isEmpty()) {
            release(false, leading, 0, leading.length()); // the reply never took up the format
            leading.setLength(0);
        }
    }

    private void text(CharSequence buf, int from, int to) {
        if (from >= to) {
            return;
        }
        switch (state) {
            case BODY -> {
                if (calling != null) {
                    arguments.append(buf, from, to);
                } else {
                    release(reasoningBody, buf, from, to);
                }
            }
            case PLAIN -> release(false, buf, from, to);
            case HEADER -> header(buf, from, to);
        }
    }

    private void header(CharSequence buf, int from, int to) {
        header.append(buf, from, to);
        for (int i = from; readingChannel && i < to; i++) {
            char c = buf.charAt(i);
            if (!Character.isWhitespace(c)) {
                channel.append(c);
            } else if (!channel.isEmpty()) {
                readingChannel = false;
            }
        }
        if (!sawMarker) {
            leading.append(buf, from, to);
            if (leading.charAt(0) != ' ' || leading.length() > MAX_LEADING_HEADER) {
                state = State.PLAIN;
                release(false, leading, 0, leading.length());
                leading.setLength(0);
            }
        }
    }

    private void marker(int m) {
        if (state == State.PLAIN) {
            return;
        }
        sawMarker = true;
        leading.setLength(0);
        switch (m) {
            case M_CHANNEL -> {
                header.append(' '); // the recipient may come before the channel, with no space between
                state = State.HEADER;
                readingChannel = true;
                channel.setLength(0);
            }
            case M_MESSAGE -> {
                if (state == State.HEADER) {
                    state = State.BODY;
                    reasoningBody = REASONING_CHANNEL.contentEquals(channel);
                    readingChannel = false;
                    calling = takeCalls ? recipientFunction() : null;
                    header.setLength(0);
                }
            }
            case M_CONSTRAIN -> {
                header.append(' ');
                readingChannel = false;
            }
            default -> { // start, end, return, call: a message ends, and any next one begins with a header
                endCall();
                header.setLength(0);
                state = State.HEADER;
                readingChannel = false;
                channel.setLength(0);
            }
        }
    }

    /** The function the header names as recipient ({@code to=functions.name}), or null. */
    private String recipientFunction() {
        int at = header.indexOf(FUNCTION_RECIPIENT);
        if (at < 0) {
            return null;
        }
        int from = at + FUNCTION_RECIPIENT.length();
        int to = from;
        while (to < header.length() && !Character.isWhitespace(header.charAt(to))) {
            to++;
        }
        return to > from ? header.substring(from, to) : null;
    }

    /** Ends the call whose arguments are being read: a call when they are a JSON object, else content as written. */
    private void endCall() {
        if (calling == null) {
            return;
        }
        ToolCall call = ToolCall.withJsonArguments(calling, arguments.toString());
        if (call != null) {
            releaseCall(call);
        } else {
            release(false, arguments, 0, arguments.length());
        }
        calling = null;
        arguments.setLength(0);
    }
}
