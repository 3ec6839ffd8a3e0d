package dev.switchyard.engine.modelgen;

import dev.switchyard.engine.tokenizer.ByteLevel;
import dev.switchyard.engine.tokenizer.PreTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Learns a small byte-level BPE vocabulary (GPT-2 style) from a built-in corpus, so that generated
 * models carry a real, self-consistent tokenizer without any download: 256 byte tokens, then one
 * token per learned merge, then the ChatML control tokens. Training is deterministic: the most
 * frequent pair wins, equal counts break by the pair's text.
 */
public final class ByteLevelBpeTrainer {

    /** The pre-tokenizer the generated files name, so training splits words as encoding will. */
    public static final String PRE_TOKENIZER = "gpt-2";

    public static final String END_OF_TEXT = "<|endoftext|>";
    public static final String IM_START = "<|im_start|>";
    public static final String IM_END = "<|im_end|>";

    /** The learned vocabulary: tokens in id order, their ggml token types, and the merges by rank. */
    public record Vocabulary(List<String> tokens, List<Integer> tokenTypes, List<String> merges,
                             int bosId, int eosId, int padId) {
    }

    private ByteLevelBpeTrainer() {
    }

    /** Trains on the built-in corpus with at most {@code maxMerges} merges. */
    public static Vocabulary trainDefault(int maxMerges) {
        try (InputStream in = ByteLevelBpeTrainer.class.getResourceAsStream("corpus.txt")) {
            if (in == null) {
                throw new IllegalStateException("built-in corpus.txt is missing from the classpath");
            }
            return train(new String(in.readAllBytes(), StandardCharsets.UTF_8), maxMerges);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Vocabulary train(String corpus, int maxMerges) {
        String[] byteToSymbol = new String[256];
        for (int b = 0; b < 256; b++) {
            byteToSymbol[b] = String.valueOf(ByteLevel.charOf(b));
        }
        // Word frequencies, each word as its sequence of byte symbols; TreeMap keeps runs repeatable.
        Map<String, Integer> wordCounts = new TreeMap<>();
        for (String word : PreTokenizer.forName(PRE_TOKENIZER).splitToStrings(corpus)) {
            wordCounts.merge(word, 1, Integer::sum);
        }
        List<List<String>> words = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (Map.Entry<String, Integer> e : wordCounts.entrySet()) {
            List<String> symbols = new ArrayList<>();
            for (byte b : e.getKey().getBytes(StandardCharsets.UTF_8)) {
                symbols.add(byteToSymbol[b & 0xFF]);
            }
            words.add(symbols);
            counts.add(e.getValue());
        }

        List<String> tokens = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        Set<String> known = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(byteToSymbol[b]);
            types.add(TokenTypes.NORMAL);
            known.add(byteToSymbol[b]);
        }
        List<String> merges = new ArrayList<>();
        for (int step = 0; step < maxMerges; step++) {
            Map<String, Integer> pairCounts = new HashMap<>();
            for (int w = 0; w < words.size(); w++) {
                List<String> s = words.get(w);
                for (int i = 0; i + 1 < s.size(); i++) {
                    pairCounts.merge(s.get(i) + " " + s.get(i + 1), counts.get(w), Integer::sum);
                }
            }
            String best = null;
            int bestCount = 1;
            for (Map.Entry<String, Integer> e : pairCounts.entrySet()) {
                int c = e.getValue();
                if (c > bestCount || (c == bestCount && best != null && e.getKey().compareTo(best) < 0)) {
                    best = e.getKey();
                    bestCount = c;
                }
            }
            if (best == null) {
                break; // no pair occurs twice: more merges would only memorise single words
            }
            int space = best.indexOf(' ');
            String left = best.substring(0, space);
            String right = best.substring(space + 1);
            String merged = left + right;
            merges.add(best);
            if (known.add(merged)) {
                tokens.add(merged);
                types.add(TokenTypes.NORMAL);
            }
            for (List<String> s : words) {
                for (int i = 0; i + 1 < s.size(); i++) {
                    if (s.get(i).equals(left) && s.get(i + 1).equals(right)) {
                        s.set(i, merged);
                        s.remove(i + 1);
                    }
                }
            }
        }
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (String special : List.of(END_OF_TEXT, IM_START, IM_END)) {
            specials.put(special, tokens.size());
            tokens.add(special);
            types.add(TokenTypes.CONTROL);
        }
        int endOfText = specials.get(END_OF_TEXT);
        return new Vocabulary(List.copyOf(tokens), List.copyOf(types), List.copyOf(merges),
                endOfText, specials.get(IM_END), endOfText);
    }
}
