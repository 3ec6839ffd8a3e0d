package dev.switchyard.server.serving;

import dev.switchyard.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.List;

/**
 * vLLM's {@code bad_words} as token sequences the output may not write: each word as the model would
 * write it at a text's start and after a space (a tokenizer usually spells the two differently), so
 * the word is held back in both places.
 */
public final class BadWords {

    private BadWords() {
    }

    /**
     * @param param the request field, for errors ({@code bad_words}, {@code sampling.bad_words})
     * @throws InvalidRequestException for a blank word
     */
    public static List<List<Integer>> sequences(Tokenizer tokenizer, List<String> words, String param) {
        List<List<Integer>> banned = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            String word = words.get(i);
            if (word == null || word.isBlank()) {
                throw new InvalidRequestException(param + "[" + i + "]", param + "[" + i + "] must be a non-blank string");
            }
            String bare = word.stripLeading();
            for (String form : List.of(bare, " " + bare)) {
                List<Integer> tokens = new ArrayList<>();
                for (int id : tokenizer.encode(form, false, false)) {
                    tokens.add(id);
                }
                if (!tokens.isEmpty() && !banned.contains(tokens)) {
                    banned.add(tokens);
                }
            }
        }
        return banned;
    }
}
