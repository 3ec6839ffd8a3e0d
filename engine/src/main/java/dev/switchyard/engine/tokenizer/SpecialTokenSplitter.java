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
    /** Tokens that plain text may produce too (user-defined, not reserved). */
    private final boolean[] allowedInPlainText;

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
        allowedInPlainText = new boolean[texts.length];
        for (int id : user) {
            allowedInPlainText[id] = true;
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
        return split(text, parseSpecial, null);
    }

    /**
     * Splits with special tokens parsed everywhere except inside {@code plainRanges} (sorted,
     * disjoint [start, end) pairs of char offsets): a special token text overlapping such a range
     * stays text there, as in plain text. Chat prompts use this so that a message's content cannot
     * inject the template's markup.
     */
    IntList split(String text, boolean parseSpecial, int[] plainRanges) {
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
                int from = start;
                int m;
                while ((m = indexOf(text, token, from, end)) >= 0) {
                    if (plainRanges != null && !allowedInPlainText[id] && overlaps(plainRanges, m, m + token.length())) {
                        from = m + 1;
                        continue;
                    }
                    if (m > pos) {
                        next.add(pos, m);
                        next.add(RAW);
                    }
                    next.add(m, m + token.length());
                    next.add(id);
                    pos = m + token.length();
                    from = pos;
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

    private static boolean overlaps(int[] ranges, int start, int end) {
        for (int i = 0; i + 1 < ranges.length; i += 2) {
            if (ranges[i] < end && start < ranges[i + 1]) {
                return true;
            }
        }
        return false;
    }

    /** Whether {@code text} holds the text of a token that plain text must not produce. */
    boolean containsReservedText(String text) {
        IntList fragments = split(text, true);
        for (int f = 2; f < fragments.size(); f += 3) {
            int token = fragments.get(f);
            if (token != RAW && !allowedInPlainText[token]) {
                return true;
            }
        }
        return false;
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
