package dev.switchyard.engine.tools;

import dev.switchyard.engine.chat.ChatMessage;
import dev.switchyard.engine.chat.ChatTemplate;
import dev.switchyard.engine.tokenizer.TokenType;
import dev.switchyard.engine.tokenizer.Tokenizer;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * How a model's chat format writes tool calls, found by having its chat template write a past call
 * back into a conversation (the way the model was taught to write them), never from its name: the
 * earliest known call markup in that turn decides. Text the template writes elsewhere (a system
 * prompt describing several forms) does not count. A template that writes none of the known forms has no syntax: the server
 * then refuses {@code tools} for that model rather than send them to a model whose calls it
 * cannot read.
 *
 * <p>Immutable; one per served model.
 */
public final class ToolCallSyntax {

    /** The forms known, by the models that write them. */
    public enum Kind {
        /** {@code <tool_call>{"name", "arguments"}</tool_call>}: Qwen2.5, Qwen3, QwQ, Hermes, Granite 4. */
        HERMES("JSON in <tool_call> tags"),
        /** The same JSON in {@code <tool_calls>} (MiniMax-M1, Apriel) or {@code <TOOLCALL>} (Nemotron Nano 2). */
        JSON_BLOCK("JSON in call tags"),
        /** {@code [TOOL_CALLS]}: Mixtral 8x22B, Mistral Nemo, Mistral Small 3, Devstral. */
        MISTRAL("[TOOL_CALLS]"),
        /** gpt-oss: a commentary message to {@code functions.name}. */
        HARMONY("harmony messages to functions"),
        /** {@code <｜tool▁calls▁begin｜>}: DeepSeek V3, R1 and its distills, V3.1. */
        DEEPSEEK("DeepSeek tool-call tokens"),
        /** {@code <|tool_calls_section_begin|>}: Kimi K2. */
        KIMI("Kimi tool-call sections"),
        /**
         * {@code <tool_call><function=name><parameter=key>value</parameter></function></tool_call>}:
         * Qwen3-Coder, Qwen3.5, Nemotron 3 Nano, Step 3.5 Flash; Seed-OSS in {@code <seed:tool_call>}.
         */
        XML_FUNCTION("Qwen3-Coder XML"),
        /**
         * {@code <tool_call>name<arg_key>key</arg_key><arg_value>value</arg_value></tool_call>}:
         * GLM-4.5 to 4.7, poolside's Laguna.
         */
        GLM("GLM <arg_key>"),
        /** {@code <minimax:tool_call><invoke name="f"><parameter name="key">}: MiniMax-M2. */
        MINIMAX("MiniMax <invoke>"),
        /** {@code ]<]minimax[>[<tool_call>}, every tag behind that token, arguments as nested tags: MiniMax-M3. */
        MINIMAX_M3("MiniMax-M3 nested tags"),
        /** {@code <｜DSML｜function_calls>} (DeepSeek-V3.2) or {@code <｜DSML｜tool_calls>} (V4) of invokes. */
        DSML("DeepSeek DSML"),
        /** {@code <|tool_call_start|>[f(key="value")]<|tool_call_end|>}: LFM2 and LFM2.5. */
        PYTHON_CALLS("Python calls in <|tool_call_start|>");

        private final String description;

        Kind(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    static final String PROBE_TOOL = "probe_tool";
    private static final char[] ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final Kind kind;
    /** Null for {@link Kind#HARMONY}, whose calls the reasoning splitter takes out of its messages. */
    private final ToolCallFormat format;
    /** How a call is spelled around its name and arguments, for replies made to call; null where it cannot be. */
    private ForcedCallFrame forcedCall;
    private final int[] controlMarkers;

    private ToolCallSyntax(Kind kind, ToolCallFormat format, Tokenizer tokenizer) {
        this.kind = kind;
        this.format = format;
        this.controlMarkers = format == null || tokenizer == null ? new int[0]
                : format.markers().stream().mapToInt(tokenizer::tokenId)
                .filter(id -> id >= 0 && tokenizer.tokenType(id) == TokenType.CONTROL).toArray();
    }

    /** The model's form, or null when its template writes no tool calls this server can read. */
    public static ToolCallSyntax detect(ChatTemplate template, Tokenizer tokenizer) {
        if (template == null) {
            return null;
        }
        String call;
        try {
            String rendered = template.render(PROBE, false, null, Map.of());
            int asked = rendered.indexOf(PROBE_QUESTION);
            call = asked < 0 ? "" : rendered.substring(asked + PROBE_QUESTION.length());
        } catch (RuntimeException e) {
            return null; // a template that cannot write a call back has no syntax we could confirm
        }
        ToolCallSyntax syntax = fromRenderedCall(call, tokenizer);
        if (syntax != null) {
            syntax.forcedCall = ForcedCallFrame.probe(template, syntax.kind, syntax.format);
        }
        return syntax;
    }

    /**
     * How a reply made to call a tool must spell it around the function's name and JSON arguments,
     * with a fresh id where the format writes one; null where calls' arguments are not JSON
     * (XML-style parameters), so a call cannot be held to a schema.
     */
    public ForcedCallFrame forcedCall() {
        return forcedCall == null ? null : forcedCall.withId(newCallId());
    }

    /** Whether a reply can be made to call a tool: the syntax's arguments are JSON. */
    public boolean forcesCalls() {
        return forcedCall != null;
    }

    /**
     * The form of the earliest known call markup in {@code call}, the text a template wrote for an
     * assistant turn calling {@value #PROBE_TOOL}; a null tokenizer renders no marker (tests of the
     * forms alone).
     */
    static ToolCallSyntax fromRenderedCall(String call, Tokenizer tokenizer) {
        int best = Integer.MAX_VALUE;
        ToolCallSyntax found = null;
        for (Candidate c : CANDIDATES) {
            int at = call.indexOf(c.marker());
            if (at >= 0 && at < best && c.accepts(call.substring(at))) {
                best = at;
                found = new ToolCallSyntax(c.kind(), c.format().get(), tokenizer);
            }
        }
        return found;
    }

    /** A form, recognised by the marker its calls start with and, where forms share one, by what follows. */
    private record Candidate(Kind kind, String marker, Predicate<String> follows, Supplier<ToolCallFormat> format) {

        Candidate(Kind kind, String marker, Supplier<ToolCallFormat> format) {
            this(kind, marker, rest -> true, format);
        }

        boolean accepts(String fromMarker) {
            return follows.test(fromMarker);
        }
    }

    private static final List<Candidate> CANDIDATES = List.of(
            new Candidate(Kind.HARMONY, "to=functions." + PROBE_TOOL, () -> null),
            new Candidate(Kind.MISTRAL, MistralFormat.TOOL_CALLS, MistralFormat::new),
            new Candidate(Kind.HERMES, "<tool_call>", rest -> rest.substring("<tool_call>".length()).strip()
                    .startsWith("{"), () -> new HermesFormat("<tool_call>", "</tool_call>")),
            new Candidate(Kind.XML_FUNCTION, "<tool_call>",
                    rest -> XmlFunctionFormat.opensFunction("<tool_call>", rest),
                    () -> new XmlFunctionFormat("<tool_call>", "</tool_call>")),
            new Candidate(Kind.XML_FUNCTION, "<seed:tool_call>",
                    rest -> XmlFunctionFormat.opensFunction("<seed:tool_call>", rest),
                    () -> new XmlFunctionFormat("<seed:tool_call>", "</seed:tool_call>")),
            new Candidate(Kind.GLM, GlmFormat.TOOL_CALL, GlmFormat::namesFunction, GlmFormat::new),
            new Candidate(Kind.MINIMAX, MiniMaxFormat.TOOL_CALL, MiniMaxFormat::new),
            // Its opener ends in <tool_call>, which the forms above look at too: being earlier, it wins.
            new Candidate(Kind.MINIMAX_M3, MiniMaxM3Format.TOOL_CALL, MiniMaxM3Format::new),
            new Candidate(Kind.DSML, DsmlFormat.FUNCTION_CALLS, DsmlFormat::new),
            new Candidate(Kind.DSML, DsmlFormat.TOOL_CALLS, DsmlFormat::new),
            new Candidate(Kind.JSON_BLOCK, "<tool_calls>", () -> new HermesFormat("<tool_calls>", "</tool_calls>")),
            new Candidate(Kind.JSON_BLOCK, "<TOOLCALL>", () -> new HermesFormat("<TOOLCALL>", "</TOOLCALL>")),
            new Candidate(Kind.DEEPSEEK, DeepSeekFormat.CALLS_BEGIN, DeepSeekFormat::new),
            new Candidate(Kind.KIMI, KimiFormat.SECTION_BEGIN, KimiFormat::new),
            new Candidate(Kind.KIMI, KimiFormat.SECTION_BEGIN_SINGULAR, KimiFormat::new),
            new Candidate(Kind.PYTHON_CALLS, PythonCallsFormat.CALL_START, PythonCallsFormat::opensCallList,
                    PythonCallsFormat::new));

    private static final String PROBE_QUESTION = "Which tool answers this probe?";
    /** A conversation whose assistant turn calls a tool, followed by the tool's result. */
    private static final List<ChatMessage> PROBE = List.of(
            ChatMessage.user(PROBE_QUESTION),
            ChatMessage.assistantToolCalls("", List.of(openAiCall("call00001", PROBE_TOOL, Map.of("topic", "probe")))),
            ChatMessage.toolResult("call00001", PROBE_TOOL, "probe result"));

    /**
     * A past call as OpenAI's API shapes it, its keys in OpenAI's order: templates that write a
     * call with {@code tojson} write its keys in the order the map holds them.
     */
    static Map<String, Object> openAiCall(String id, String name, Map<String, Object> arguments) {
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", name);
        function.put("arguments", arguments);
        Map<String, Object> call = new LinkedHashMap<>();
        call.put("id", id);
        call.put("type", "function");
        call.put("function", function);
        return call;
    }

    public Kind kind() {
        return kind;
    }

    /** Ids of the format's markers that are control tokens: a reply's detokenizer must render them. */
    public int[] controlMarkers() {
        return controlMarkers.clone();
    }

    /**
     * An extractor for one reply's content, or null for {@link Kind#HARMONY}, whose calls are whole
     * messages that {@code HarmonySplitter} takes apart with the reasoning.
     */
    public ToolCallExtractor newExtractor(ToolSchemas schemas) {
        return format == null ? null : new ToolCallExtractor(format, schemas);
    }

    /**
     * A fresh id for a call the model did not name: {@code call_} and 24 letters and digits, as
     * OpenAI's look; Mistral's templates take only nine letters and digits, so its ids are those.
     */
    public String newCallId() {
        int length = kind == Kind.MISTRAL ? 9 : 24;
        char[] id = new char[length];
        for (int i = 0; i < length; i++) {
            id[i] = ID_CHARS[RANDOM.nextInt(ID_CHARS.length)];
        }
        return kind == Kind.MISTRAL ? new String(id) : "call_" + new String(id);
    }

    /** One line for the server log. */
    public String describe() {
        return kind.description();
    }

    /** The marker strings of the format, for tests that spell replies. */
    List<String> markers() {
        return format == null ? List.of() : format.markers();
    }

    @Override
    public String toString() {
        return "ToolCallSyntax[" + kind + "]";
    }
}
