package dev.switchyard.server.serving;

import dev.switchyard.engine.generate.FinishReason;
import dev.switchyard.engine.reasoning.ReasoningSplitter;
import dev.switchyard.engine.sampling.TokenLogprobs;
import dev.switchyard.engine.schedule.SequenceSink;
import dev.switchyard.engine.tokenizer.StreamingDetokenizer;
import dev.switchyard.engine.tools.ToolCall;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntPredicate;

/**
 * One choice's tokens turned into text on the scheduler's thread: the detokenizer releases whole
 * characters, the reasoning splitter (where the reply's reasoning comes apart) sorts them into
 * reasoning and content, the tool calls (where the request offers tools) come out of the content,
 * the stop strings hold back what may begin one, and the result goes to the listener. A matched stop string ends the sequence at once (no further token is computed).
 *
 * <p>Stop strings are looked for in the content only, as it is returned: reasoning runs on however
 * it reads (llama.cpp and vLLM match the raw text instead, markers and reasoning included), since a
 * stop string is the answer's format, and cutting the thinking short would end the reply before
 * it answers.
 */
final class ChoiceSink implements SequenceSink {

    private final int index;
    private final StreamingDetokenizer detokenizer;
    /** Null when the output is all content. */
    private final ReasoningSplitter splitter;
    /** Whether the splitter's reasoning is returned as content: it runs only to take tool calls apart. */
    private final boolean reasoningAsContent;
    /** Null when the request offers no tools. */
    private final ChoiceToolCalls tools;
    private final StopStrings stops;
    private final boolean wantLogprobs;
    private final GenerationListener listener;
    private final Generation owner;
    /** Whether this is its prompt's first choice, which counts the prompt's cached tokens in the usage. */
    private final boolean countsPrompt;
    /** Echoed prompt text, sent with the first event and then dropped. */
    private String echo;
    /** The prompt's tokens and their log-probabilities, when asked for: sent before the first event, then dropped. */
    private List<TokenLogprob> prompt;
    private int tokens;
    /** Tokens that end the reply without their text, beside the request's stop token ids; null for none. */
    private IntPredicate silentEnd;
    /** llama.cpp's code-completion limits on this reply; null for none. */
    private CodeCompletionLimits.Tracker codeLimits;

    /**
     * @param splitter     null for output that is all content
     * @param countsPrompt whether this choice counts its prompt's cached tokens (a prompt's first choice does)
     */
    ChoiceSink(int index, StreamingDetokenizer detokenizer, ReasoningSplitter splitter, StopStrings stops,
               boolean wantLogprobs, String echo, GenerationListener listener, Generation owner, boolean countsPrompt) {
        this(index, detokenizer, splitter, false, null, stops, wantLogprobs, echo, listener, owner, countsPrompt);
    }

    /**
     * @param reasoningAsContent whether the splitter's reasoning goes out as content (it runs for tool
     *                           calls only)
     * @param tools              null when the request offers no tools
     */
    ChoiceSink(int index, StreamingDetokenizer detokenizer, ReasoningSplitter splitter, boolean reasoningAsContent,
               ChoiceToolCalls tools, StopStrings stops, boolean wantLogprobs, String echo, GenerationListener listener,
               Generation owner, boolean countsPrompt) {
        this.countsPrompt = countsPrompt;
        this.index = index;
        this.detokenizer = detokenizer;
        this.splitter = splitter;
        this.reasoningAsContent = reasoningAsContent;
        this.tools = tools;
        this.stops = stops;
        this.wantLogprobs = wantLogprobs;
        this.echo = echo;
        this.listener = listener;
        this.owner = owner;
    }

    /**
     * Collects the prompt's own log-probabilities (whose first token is {@code firstToken}) and hands
     * them to the listener before this choice's first event.
     */
    /**
     * Leaves out the text of the tokens {@code ending} when the reply ends on one (an end of
     * generation, where control tokens' text is output), unless the request keeps what stops it.
     */
    ChoiceSink withSilentEnd(IntPredicate ending) {
        silentEnd = ending;
        return this;
    }

    /** Holds the reply to llama.cpp's code-completion limits ({@code n_indent}, {@code t_max_predict_ms}). */
    ChoiceSink withCodeLimits(CodeCompletionLimits limits) {
        codeLimits = limits.any() ? limits.tracker() : null;
        return this;
    }

    ChoiceSink withPromptLogprobs(int firstToken) {
        prompt = new ArrayList<>();
        prompt.add(TokenLogprob.unscored(firstToken));
        return this;
    }

    @Override
    public void onPromptToken(int position, TokenLogprobs logprobs) {
        prompt.add(TokenLogprob.copyOf(logprobs));
    }

    /** Hands the collected prompt log-probabilities on, once. */
    private void releasePrompt() {
        if (prompt != null) {
            List<TokenLogprob> entries = prompt;
            prompt = null;
            listener.onPromptLogprobs(index, entries);
        }
    }

    @Override
    public boolean onToken(int token, TokenLogprobs logprobs) {
        return onToken(token, logprobs, false);
    }

    /**
     * A token of the request's {@code stop_token_ids} ends the choice without its text, as vLLM
     * answers, unless the request keeps what stops it ({@code include_stop_str_in_output}).
     */
    @Override
    public boolean onToken(int token, TokenLogprobs logprobs, boolean requestStop) {
        releasePrompt();
        tokens++;
        if (codeLimits != null) {
            codeLimits.tokenAt(System.nanoTime());
        }
        boolean stopToken = requestStop || silentEnd != null && silentEnd.test(token);
        String text = stopToken && !stops.keepsMatch() ? "" : detokenizer.push(token);
        String reasoning = "";
        List<ToolCall> calls = List.of();
        if (splitter != null) {
            splitter.push(text);
            reasoning = splitter.reasoning();
            text = splitter.content();
            calls = splitter.calls();
            if (reasoningAsContent) {
                text = reasoning + text;
                reasoning = "";
            }
        }
        if (tools != null) {
            text = tools.push(text, calls);
            List<ChoiceToolCall> made = tools.released();
            if (!made.isEmpty()) {
                listener.onToolCalls(index, made);
            }
        }
        text = stops.push(text);
        if (codeLimits != null && !codeLimits.limited()) {
            text = codeLimits.push(text);
        } else if (codeLimits != null) {
            text = "";
        }
        text = withEcho(text);
        listener.onToken(index, token, reasoning, text, wantLogprobs ? TokenLogprob.copyOf(logprobs) : null);
        return !stops.matched() && (tools == null || !tools.ended()) && (codeLimits == null || !codeLimits.limited());
    }

    @Override
    public void onEmbedding(float[] embedding) {
        listener.onEmbedding(index, embedding);
    }

    @Override
    public void onPrefixReused(int cached) {
        listener.onAdmitted(index); // (told once, as the sequence is first admitted)
        if (countsPrompt) {
            owner.promptCached(cached);
        }
    }

    @Override
    public void onPrediction(int accepted, int rejected) {
        owner.predicted(accepted, rejected);
    }

    @Override
    public void onFinish(FinishReason reason) {
        releasePrompt();
        String reasoning = "";
        String rest = "";
        FinishReason why = reason;
        if (!stops.matched()) {
            String last = detokenizer.finish();
            List<ToolCall> calls = List.of();
            if (splitter != null) {
                splitter.finish(last);
                reasoning = splitter.reasoning();
                last = splitter.content();
                calls = splitter.calls();
                if (reasoningAsContent) {
                    last = reasoning + last;
                    reasoning = "";
                }
            }
            if (tools != null) {
                last = tools.finish(last, calls);
            }
            rest = stops.push(last);
            if (stops.matched()) {
                why = FinishReason.STOP; // the last characters completed a stop string
            } else {
                rest += stops.flush();
            }
        }
        if (codeLimits != null) {
            rest = codeLimits.limited() ? "" : codeLimits.push(rest);
            if (!codeLimits.limited()) {
                rest += codeLimits.flush();
            } else if (!stops.matched() && why != FinishReason.ABORT) {
                why = FinishReason.LENGTH; // a limit, as llama-server's stop_type says
            }
        }
        try {
            List<ChoiceToolCall> made = tools == null ? List.of() : tools.released();
            if (!made.isEmpty()) {
                listener.onToolCalls(index, made);
            }
            if (stops.matched()) {
                listener.onStopSequence(index, stops.found());
            }
            listener.onChoiceFinished(index, why, reasoning, withEcho(rest));
        } finally {
            owner.choiceDone(tokens);
        }
    }

    @Override
    public void onFailure(RuntimeException error) {
        try {
            listener.onChoiceFailed(index, error);
        } finally {
            owner.choiceDone(tokens);
        }
    }

    private String withEcho(String text) {
        if (echo == null) {
            return text;
        }
        String out = echo + text;
        echo = null;
        return out;
    }
}
