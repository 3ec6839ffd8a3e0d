package dev.switchyard.server.serving;

import dev.switchyard.engine.sampling.TokenRestrictions;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * vLLM's {@code min_tokens}, {@code allowed_token_ids} and {@code bad_words} as either transport reads
 * them (each null or empty when absent), checked against the model and turned into the engine's
 * {@link TokenRestrictions}.
 */
public final class RequestRestrictions {

    private RequestRestrictions() {
    }

    /**
     * @param maxTokens the request's token limit, or null when it set none
     * @param maxParam  the field that set it, for errors
     * @param prefix    what the fields' names start with in errors ({@code ""} over HTTP,
     *                  {@code "sampling."} over gRPC)
     * @throws InvalidRequestException naming the field out of range
     */
    public static TokenRestrictions of(Integer minTokens, List<Integer> allowedTokenIds, List<String> badWords,
                                       Integer maxTokens, String maxParam, ServedModel model, String prefix) {
        int min = minTokens == null ? 0 : minTokens;
        if (min < 0) {
            throw new InvalidRequestException(prefix + "min_tokens", prefix + "min_tokens must be 0 or more, got "
                    + Integer.toUnsignedString(min));
        }
        if (maxTokens != null && min > maxTokens) {
            throw new InvalidRequestException(prefix + "min_tokens", prefix + "min_tokens (" + min + ") may not exceed "
                    + maxParam + " (" + maxTokens + ")");
        }
        int vocab = model.tokenizer().vocabSize();
        for (int i = 0; i < allowedTokenIds.size(); i++) {
            int id = allowedTokenIds.get(i);
            if (id < 0 || id >= vocab) {
                throw new InvalidRequestException(prefix + "allowed_token_ids[" + i + "]", "token id "
                        + Integer.toUnsignedString(id) + " is outside the vocabulary (0.." + (vocab - 1) + ")");
            }
        }
        return new TokenRestrictions(min, new LinkedHashSet<>(allowedTokenIds),
                BadWords.sequences(model.tokenizer(), badWords, prefix + "bad_words"));
    }
}
