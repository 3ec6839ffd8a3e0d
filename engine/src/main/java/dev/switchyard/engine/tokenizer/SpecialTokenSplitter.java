package dev.switchyard.engine.tokenizer;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts the texts of control, unknown and user-defined tokens out of input text before the model's
 * tokenizer sees it, with llama.cpp's precedence: token texts are taken longest first, and every
 * occurrence of one is cut out of the remaining raw text before the next shorter text is looked for.
 *
 * <p>Only the tokens that actually occur are searched for: one pass over the text, filtered by first
 * character, finds them, so vocabularies with thousands of added tokens cost little.
 */
final class SpecialTokenSplitter {

    /** Fragments are (start, end, token) triples; token is -1 for raw text. */
    static final int RAW = -1;

    private final String[] texts;
    private final Candidates userDefinedOnly;
    private final Candidates all;

    /** {@code reserved}: ids that plain text never matches, whatever their type. */
    SpecialTokenSplitter(String[] texts, TokenType[] types, boolean[] reserved) {
        this.texts = texts;
        List<Integer> user = new ArrayList<>();
        List<Integer> any = new ArrayList<>();
        for (int id = 0; id < texts.length; id++) {
            if (texts[id].isEmpty()) {
                continue;
            }
            TokenType t = types[id];
            if (t == TokenType.USER_DEFINED) {
                if (!reserved[id]) {
                    user.add(id);
                }
                any.add(id);
            } else if (t == TokenType.CONTROL || t == TokenType.UNKNOWN) {
                any.add(id);
            }
        }
        userDefinedOnly = new Candidates(texts, user);
        all = new Candidates(texts, any);
    }

    private static final class Candidates {
        /** Token ids, longest text first, then by id. */
        final int[] ids;
        final BitSet firstChars = new BitSet(1 << 16);
        final Map<Character, int[]> byFirstChar = new HashMap<>();

        Candidates(String[] texts, List<Integer> idList) {
            ids = idList.stream()
                    .sorted(Comparator.comparingInt((Integer id) -> -texts[id].length()).thenComparingInt(id -> id))
                    .mapToInt(Integer::intValue)
                    .toArray();
            Map<Character, List<Integer>> groups = new HashMap<>();
            for (int i = 0; i < ids.length; i++) {
                char c = texts[ids[i]].charAt(0);
                firstChars.set(c);
                groups.computeIfAbsent(c, k -> new ArrayList<>()).add(i);
            }
            groups.forEach((c, list) -> byFirstChar.put(c, list.stream().mapToInt(Integer::intValue).toArray()));
        }
    }

    /** Splits {@code text} into raw-text and token fragments. */
    IntList split(String text, boolean parseSpecial) {
        Candidates c = parseSpecial ? all : userDefinedOnly;
        IntList fragments = new IntList(8);
        fragments.add(0, text.length());
        fragments.add(RAW);
        if (c.ids.length == 0) {
            return fragments;
        }
        BitSet present = new BitSet(c.ids.length);
        for (int i = 0, n = text.length(); i < n; i++) {
            char ch = text.charAt(i);
            if (!c.firstChars.get(ch)) {
                continue;
            }
            for (int idx : c.byFirstChar.get(ch)) {
                if (!present.get(idx) && text.startsWith(texts[c.ids[idx]], i)) {
                    present.set(idx);
                }
            }
        }
        for (int idx = present.nextSetBit(0); idx >= 0; idx = present.nextSetBit(idx + 1)) {
            int id = c.ids[idx];
            String token = texts[id];
            IntList next = new IntList(fragments.size() + 6);
            for (int f = 0; f < fragments.size(); f += 3) {
                int start = fragments.get(f);
                int end = fragments.get(f + 1);
                int tok = fragments.get(f + 2);
                if (tok != RAW) {
                    next.add(start, end);
                    next.add(tok);
                    continue;
                }
                int pos = start;
                int m;
                while ((m = indexOf(text, token, pos, end)) >= 0) {
                    if (m > pos) {
                        next.add(pos, m);
                        next.add(RAW);
                    }
                    next.add(m, m + token.length());
                    next.add(id);
                    pos = m + token.length();
                }
                if (pos < end) {
                    next.add(pos, end);
                    next.add(RAW);
                }
            }
            fragments = next;
        }
        return fragments;
    }

    /** First occurrence of {@code token} wholly inside {@code text[from, to)}, or -1. */
    private static int indexOf(String text, String token, int from, int to) {
        char first = token.charAt(0);
        int last = to - token.length();
        for (int i = from; i <= last; i++) {
            if (text.charAt(i) == first && text.startsWith(token, i)) {
                return i;
            }
        }
        return -1;
    }
}
