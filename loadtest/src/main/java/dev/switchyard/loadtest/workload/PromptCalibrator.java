package dev.switchyard.loadtest.workload;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Finds how many words of a word stream make a prompt of a given number of tokens.
 *
 * <p>With the server's tokenizer: first the tokens-per-word ratio of a long sample, then per prompt a
 * few corrections of the word count by {@code (target - count) / ratio}, keeping the closest. Token
 * counts of a growing word prefix are close to linear, so two or three calls usually land exactly.
 * Without a tokenizer: one token per word, which is an approximation and reported as one.
 */
public final class PromptCalibrator {

    private static final int SAMPLE_WORDS = 1000;
    private static final int MAX_TRIES = 6;

    private final TokenCounter counter;
    private final double tokensPerWord;
    private final AtomicLong prompts = new AtomicLong();
    private final AtomicLong exact = new AtomicLong();
    private final AtomicLong absError = new AtomicLong();

    private PromptCalibrator(TokenCounter counter, double tokensPerWord) {
        this.counter = counter;
        this.tokensPerWord = tokensPerWord;
    }

    /** Calibrates against the server's tokenizer. */
    public static PromptCalibrator measured(TokenCounter counter) throws IOException, InterruptedException {
        int tokens = counter.count(WordSource.words(-1, SAMPLE_WORDS));
        if (tokens <= 0) {
            throw new IOException("the tokenizer counted " + tokens + " tokens in " + SAMPLE_WORDS + " words");
        }
        return new PromptCalibrator(counter, (double) tokens / SAMPLE_WORDS);
    }

    /** One token per word, with no server to ask. */
    public static PromptCalibrator approximate() {
        return new PromptCalibrator(null, 1.0);
    }

    public boolean isMeasured() {
        return counter != null;
    }

    public double tokensPerWord() {
        return tokensPerWord;
    }

    /** The counted (or, without a tokenizer, estimated) tokens of {@code text}. */
    public int count(String text) throws IOException, InterruptedException {
        if (counter != null) {
            return counter.count(text);
        }
        return text.isBlank() ? 0 : text.strip().split("\\s+").length;
    }

    /**
     * A prompt of {@code head} (may be empty) followed by words of stream {@code seed}, whose token count
     * is as close to {@code targetTokens} as the search found.
     */
    public Prompt fit(String head, long seed, int targetTokens) throws IOException, InterruptedException {
        int headTokens = head.isEmpty() ? 0 : count(head);
        int words = Math.max(0, (int) Math.round((targetTokens - headTokens) / tokensPerWord));
        Prompt best = null;
        int lastWords = -1;
        for (int attempt = 0; attempt < MAX_TRIES && words != lastWords; attempt++) {
            String text = join(head, WordSource.words(seed, words));
            int tokens = count(text);
            if (best == null || Math.abs(tokens - targetTokens) < Math.abs(best.tokens() - targetTokens)) {
                best = new Prompt(text, tokens);
            }
            if (tokens == targetTokens || counter == null) {
                break;
            }
            lastWords = words;
            int step = (int) Math.round((targetTokens - tokens) / tokensPerWord);
            words = Math.max(0, words + (step != 0 ? step : Integer.signum(targetTokens - tokens)));
        }
        prompts.incrementAndGet();
        absError.addAndGet(Math.abs(best.tokens() - targetTokens));
        if (best.tokens() == targetTokens) {
            exact.incrementAndGet();
        }
        return best;
    }

    /** How close the fitted prompts came to their targets, for the report. */
    public Report report() {
        long n = prompts.get();
        if (!isMeasured() || n == 0) {
            return new Report(isMeasured() ? "tokenize" : "approximate", tokensPerWord, n, null, null);
        }
        return new Report("tokenize", tokensPerWord, n, (double) exact.get() / n, (double) absError.get() / n);
    }

    private static String join(String head, String tail) {
        return head.isEmpty() ? tail : tail.isEmpty() ? head : head + " " + tail;
    }

    /** A prompt and its token count (counted by the server, or estimated). */
    public record Prompt(String text, int tokens) {
    }

    /**
     * {@code method} is "tokenize" (counted by the server) or "approximate" (one token per word);
     * {@code exactFraction} and {@code meanAbsError} compare the prompts' counts with their targets
     * (null when nothing was counted).
     */
    public record Report(String method, double tokensPerWord, long prompts, Double exactFraction, Double meanAbsError) {
    }
}
