package dev.switchyard.engine.tools;

import dev.switchyard.engine.chat.ChatMessage;
import dev.switchyard.engine.chat.ChatTemplate;
import java.util.List;
import java.util.Map;

/**
 * How a model writes one call, as the text around its name and its JSON arguments: what a reply
 * made to call a tool ({@code tool_choice} required or naming a function) must spell, with the
 * name and the arguments in between. Found the way the syntax is, by having the template write a
 * call back, here to a function and with arguments whose text can be found again.
 *
 * @param beforeName what the reply starts with, up to the function's name
 * @param beforeArguments between the name and the arguments (the id in it, where the format writes
 *                        one, is {@link #PROBE_ID}, to be replaced by a fresh one)
 * @param afterArguments what closes the call; empty where nothing does (Mistral's newer form)
 */
public record ForcedCallFrame(String beforeName, String beforeArguments, String afterArguments) {

    static final String PROBE_NAME = "switchyard_forced_call";
    /** Nine letters and digits: Mistral's templates refuse other ids. */
    static final String PROBE_ID = "sYcall042";
    private static final String ARGUMENT = "switchyard_argument";

    /** The frame {@code syntax}'s template writes, or null where its calls' arguments are not JSON (XML-style). */
    static ForcedCallFrame probe(ChatTemplate template, ToolCallSyntax.Kind kind, ToolCallFormat format) {
        String rendered;
        try {
            rendered = template.render(List.of(ChatMessage.user("Call the tool."), ChatMessage.assistantToolCalls("",
                    List.of(ToolCallSyntax.openAiCall(PROBE_ID, PROBE_NAME, Map.of(ARGUMENT, 0))))), false, null, Map.of());
        } catch (RuntimeException e) {
            return null;
        }
        int args = indexOfEither(rendered, "{\"" + ARGUMENT + "\": 0}", "{\"" + ARGUMENT + "\":0}");
        int name = rendered.lastIndexOf(PROBE_NAME, args);
        if (args < 0 || name < 0) {
            return null;
        }
        int[] opener = {-1};
        int start = start(rendered, name, kind, format, opener);
        if (start < 0 || start == name) {
            return null; // a call must open with something before its name, or it could not be told from text
        }
        int argsEnd = rendered.indexOf('}', args) + 1;
        String after = kind == ToolCallSyntax.Kind.HARMONY ? "<|call|>"
                : closing(rendered, argsEnd, format.closer(opener[0]), template.eosToken());
        if (after == null) {
            return null;
        }
        return new ForcedCallFrame(rendered.substring(start, name), rendered.substring(name + PROBE_NAME.length(), args),
                after);
    }

    /** The frame with {@code id} where the probe's id stood. */
    public ForcedCallFrame withId(String id) {
        return new ForcedCallFrame(beforeName.replace(PROBE_ID, id), beforeArguments.replace(PROBE_ID, id),
                afterArguments.replace(PROBE_ID, id));
    }

    /** Where the reply's own text starts: its opening marker, or, for harmony, after the header's {@code <|start|>assistant}. */
    private static int start(String rendered, int name, ToolCallSyntax.Kind kind, ToolCallFormat format,
                             int[] opener) {
        if (kind == ToolCallSyntax.Kind.HARMONY) {
            String header = "<|start|>assistant";
            int at = rendered.lastIndexOf(header, name);
            return at < 0 ? -1 : at + header.length();
        }
        int best = -1;
        String[] openers = format.openers();
        for (int i = 0; i < openers.length; i++) {
            int at = rendered.lastIndexOf(openers[i], name);
            if (at > best) {
                best = at;
                opener[0] = i;
            }
        }
        return best;
    }

    /**
     * What follows the arguments up to the end of the block's {@code closer}; where a block has none
     * (Mistral's), up to the turn's end: the end-of-sequence text, or the rendering's end.
     */
    private static String closing(String rendered, int argsEnd, String closer, String eos) {
        if (closer == null) {
            int end = eos == null || eos.isEmpty() ? -1 : rendered.indexOf(eos, argsEnd);
            return (end < 0 ? rendered.substring(argsEnd) : rendered.substring(argsEnd, end)).stripTrailing();
        }
        int at = rendered.indexOf(closer, argsEnd);
        return at < 0 ? null : rendered.substring(argsEnd, at + closer.length());
    }

    private static int indexOfEither(String text, String a, String b) {
        int at = text.indexOf(a);
        return at >= 0 ? at : text.indexOf(b);
    }
}
