package dev.switchyard.server.openai;

/**
 * Caps on what one request may ask for, checked before any work starts.
 *
 * @param maxN           choices per prompt ({@code n})
 * @param maxPrompts     prompts in one completions request (a list of prompts)
 * @param maxChoices     sequences one request may start in all (prompts x n)
 * @param maxStop        stop strings
 * @param maxStopLength  characters in one stop string
 */
public record ApiLimits(int maxN, int maxPrompts, int maxChoices, int maxStop, int maxStopLength) {

    public static ApiLimits defaults() {
        return new ApiLimits(16, 32, 64, 16, 256);
    }
}
