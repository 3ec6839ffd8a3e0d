package dev.switchyard.engine.reasoning;

import dev.switchyard.engine.chat.ChatTemplate;
import dev.switchyard.engine.tokenizer.StreamingDetokenizer;
import dev.switchyard.engine.tokenizer.TokenType;
import dev.switchyard.engine.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * How a model's chat format sets its reasoning apart from its answer, found from its chat template
 * and vocabulary, never from its name:
 * <ul>
 *   <li>{@link Kind#HARMONY} (gpt-oss) when the vocabulary has harmony's message tokens
 *       {@code <|start|>}, {@code <|channel|>}, {@code <|message|>} and {@code <|end|>};
 *   <li>{@link Kind#THINK_TAGS} when the template writes {@code <think>} or {@code </think>}, or the
 *       vocabulary has a {@code </think>} token (a template may leave the tags to the model); the
 *       same for the tags some families name their own way, {@code <seed:think>} (Seed-OSS) and
 *       {@code <mm:think>} (MiniMax-M3);
 *   <li>none otherwise: the reply is all content.
 * </ul>
 * A template that mentions the tags without thinking by default (Granite's optional thinking) is
 * safe: a reply counts as thinking only if the prompt opened the thinking or the reply opens with
 * {@code <think>}. Whether the prompt opened it is read from each prompt's own tail, since the same
 * template opens or closes it depending on its arguments ({@code enable_thinking}).
 *
 * <p>Immutable; one per served model.
 */
public final class ReasoningSyntax {

    /** The conventions known. */
    public enum Kind {
        THINK_TAGS("<think> tags"),
        HARMONY("harmony channels");

        private final String description;

        Kind(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    /** Prompt tokens decoded to find where the reply begins: more than any generation prompt's markup. */
    static final int PROMPT_TAIL_TOKENS = 32;

    /** Think tags by family, those named their own way first (neither contains {@code <think>}). */
    private static final List<String[]> TAG_PAIRS = List.of(new String[] {"<seed:think>", "</seed:think>"},
            new String[] {"<mm:think>", "</mm:think>"}, new String[] {ThinkTagSplitter.OPEN, ThinkTagSplitter.CLOSE});

    private final Kind kind;
    private final Tokenizer tokenizer;
    /** {@link Kind#THINK_TAGS}: the opening and closing tag; null otherwise. */
    private final String[] tags;
    /** The markers that are control tokens: silent in plain output, rendered for the splitter. */
    private final int[] controlMarkers;

    private ReasoningSyntax(Kind kind, Tokenizer tokenizer, int[] controlMarkers, String[] tags) {
        this.kind = kind;
        this.tokenizer = tokenizer;
        this.controlMarkers = controlMarkers;
        this.tags = tags;
    }

    /** The model's convention, or null when its replies have no reasoning to set apart. */
    public static ReasoningSyntax detect(ChatTemplate template, Tokenizer tokenizer) {
        if (hasToken(tokenizer, HarmonySplitter.START) && hasToken(tokenizer, HarmonySplitter.CHANNEL)
                && hasToken(tokenizer, HarmonySplitter.MESSAGE) && hasToken(tokenizer, HarmonySplitter.END)) {
            return new ReasoningSyntax(Kind.HARMONY, tokenizer, controlTokens(tokenizer, HarmonySplitter.MARKERS), null);
        }
        String text = template == null ? "" : template.text();
        for (String[] tags : TAG_PAIRS) {
            if (text.contains(tags[0]) || text.contains(tags[1]) || hasToken(tokenizer, tags[1])) {
                return new ReasoningSyntax(Kind.THINK_TAGS, tokenizer, controlTokens(tokenizer, tags), tags);
            }
        }
        return null;
    }

    public Kind kind() {
        return kind;
    }

    /** Ids of the markers that are control tokens, which {@link #newDetokenizer()} renders. */
    public int[] controlMarkers() {
        return controlMarkers.clone();
    }

    /** A detokenizer for one reply: as the vocabulary's own, but rendering the markers that are control tokens. */
    public StreamingDetokenizer newDetokenizer() {
        return controlMarkers.length == 0 ? tokenizer.newDetokenizer()
                : new StreamingDetokenizer(tokenizer, controlMarkers);
    }

    /** The end of the rendered prompt {@code ids}, control tokens included: what decides where a reply begins. */
    public String promptTail(int[] ids) {
        int from = Math.max(0, ids.length - PROMPT_TAIL_TOKENS);
        return tokenizer.decode(Arrays.copyOfRange(ids, from, ids.length), true);
    }

    /**
     * What ends the reasoning of a reply to a prompt whose {@link #promptTail} is {@code promptTail},
     * so that the answer follows: the closing tag where the prompt opened the thinking, harmony's
     * opening of the final channel; null where the answer comes first (the prompt closed the
     * thinking, or left it to the reply to open).
     */
    public String answerMarker(String promptTail) {
        return switch (kind) {
            case THINK_TAGS -> ThinkTagSplitter.startAfter(promptTail, tags[0], tags[1]) == ThinkTagSplitter.Start.INSIDE
                    ? tags[1] : null;
            case HARMONY -> HarmonySplitter.CHANNEL + "final" + HarmonySplitter.MESSAGE;
        };
    }

    /** A splitter for one reply to a prompt whose {@link #promptTail} is {@code promptTail}. */
    public ReasoningSplitter newSplitter(String promptTail) {
        return newSplitter(promptTail, false);
    }

    /**
     * As above; {@code takeCalls}: tool calls that are messages of their own (harmony's messages to
     * functions) come out as {@link ReasoningSplitter#calls()} instead of content.
     */
    public ReasoningSplitter newSplitter(String promptTail, boolean takeCalls) {
        return switch (kind) {
            case THINK_TAGS -> new ThinkTagSplitter(tags[0], tags[1],
                    ThinkTagSplitter.startAfter(promptTail, tags[0], tags[1]));
            case HARMONY -> HarmonySplitter.after(promptTail, takeCalls);
        };
    }

    /** One line for the server log. */
    public String describe() {
        return tags == null ? kind.description() : tags[0] + " tags";
    }

    private static boolean hasToken(Tokenizer tokenizer, String text) {
        return tokenizer.tokenId(text) >= 0;
    }

    private static int[] controlTokens(Tokenizer tokenizer, String[] markers) {
        return Arrays.stream(markers).mapToInt(tokenizer::tokenId)
                .filter(id -> id >= 0 && tokenizer.tokenType(id) == TokenType.CONTROL).toArray();
    }

    @Override
    public String toString() {
        return "ReasoningSyntax[" + kind + "]";
    }
}
