package dev.switchyard.engine.tokenizer;

import dev.switchyard.engine.gguf.GgufMetadata;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SentencePiece-style BPE ({@code tokenizer.ggml.model = "llama"}), merging by piece score as
 * llama.cpp's SPM tokenizer does.
 *
 * <p>Spaces become '▁' (U+2581) and, with {@code add_space_prefix} (default true), a '▁' is put in
 * front of the text at the start of the input and after every special token. The text is split into
 * code points; then, repeatedly, the adjacent pair whose concatenation is the highest-scoring
 * vocabulary piece is merged (ties: leftmost first), until no pair forms a piece. Remaining code
 * points that are not pieces fall back to their UTF-8 bytes as {@code <0xNN>} tokens, or to the
 * unknown token.
 *
 * <p>Only normal and user-defined pieces take part in merging, as in SentencePiece: control texts
 * such as {@code </s>} can never be assembled from plain characters.
 *
 * <p>The merge loop keeps its candidates in a heap of packed (score, position) longs and checks them
 * lazily when popped, so a text of n code points costs O(n log n) however long it is. When the
 * vocabulary allows it (see {@link #splitAtSpaceMarks}) the text is merged word by word, and words
 * are cached.
 */
final class SentencePieceTokenizer extends BaseTokenizer {

    static final int CACHE_MAX_CHARS = 48;
    static final int CACHE_MAX_ENTRIES = 1 << 16;

    static final char SPACE_MARK = '\u2581';

    private final float[] scores;
    /** Pieces that merging may produce: normal and user-defined (and untyped) tokens. */
    private final CharSequenceMap mergeable;
    /** Token for each byte in byte fallback, or -1. */
    private final int[] byteTokens = new int[256];
    private final boolean addSpacePrefix;
    /**
     * Whether no mergeable piece has a '▁' right after another character. Then no piece can span the
     * point in front of a word's '▁', merging never crosses it, and the text can be encoded word by
     * word (and words cached) with the same result as encoding it whole.
     */
    private final boolean splitAtSpaceMarks;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    SentencePieceTokenizer(GgufMetadata md) {
        this(md, true);
    }

    /** {@code wordByWord} false forces merging each text whole (tests compare the two). */
    SentencePieceTokenizer(GgufMetadata md, boolean wordByWord) {
        super(md, "llama", 1, 2, 0, true);
        float[] s = md.optFloatArray(KEY_SCORES).orElse(null);
        if (s != null && s.length != size) {
            throw new TokenizerException(KEY_SCORES + " has " + s.length + " entries for " + size + " tokens");
        }
        this.scores = s != null ? s : new float[size];
        this.addSpacePrefix = md.optBool(KEY_ADD_SPACE_PREFIX).orElse(true);
        this.mergeable = new CharSequenceMap(size);
        boolean splittable = true;
        for (int id = 0; id < size; id++) {
            TokenType t = types[id];
            String text = texts[id];
            if (!text.isEmpty()
                    && (t == TokenType.NORMAL || t == TokenType.USER_DEFINED || t == TokenType.UNDEFINED)) {
                mergeable.put(text, id);
                for (int i = 1; i < text.length() && splittable; i++) {
                    if (text.charAt(i) == SPACE_MARK && text.charAt(i - 1) != SPACE_MARK) {
                        splittable = false;
                    }
                }
            }
        }
        this.splitAtSpaceMarks = splittable && wordByWord;
        for (int b = 0; b < 256; b++) {
            int id = textToId.get(String.format("<0x%02X>", b));
            if (id < 0 && b < 0x80) {
                id = textToId.get(String.valueOf((char) b));
            }
            byteTokens[b] = id >= 0 ? id : unk;
        }
        buildPieces();
    }

    @Override
    public String preTokenizer() {
        return "default";
    }

    @Override
    public boolean stripsLeadingSpace() {
        return addSpacePrefix;
    }

    @Override
    byte[] normalPiece(int id) {
        return texts[id].replace(SPACE_MARK, ' ').getBytes(StandardCharsets.UTF_8);
    }

    /** Higher score first, then leftmost: the complement of an order-preserving int image of the score. */
    private static int scoreKey(float score) {
        int bits = Float.floatToIntBits(score);
        bits ^= (bits >> 31) & 0x7fffffff;
        return ~bits;
    }

    @Override
    void encodeText(String text, int from, int to, boolean atStart, IntList out) {
        boolean prefix = addSpacePrefix && atStart;
        int n = to - from + (prefix ? 1 : 0);
        char[] buf = new char[n];
        int w = 0;
        if (prefix) {
            buf[w++] = SPACE_MARK;
        }
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            buf[w++] = c == ' ' ? SPACE_MARK : c;
        }
        Scratch scratch = new Scratch();
        if (!splitAtSpaceMarks) {
            encodeSegment(buf, 0, n, out, scratch);
            return;
        }
        int segment = 0;
        for (int i = 1; i < n; i++) {
            if (buf[i] == SPACE_MARK && buf[i - 1] != SPACE_MARK) {
                encodeSegment(buf, segment, i, out, scratch);
                segment = i;
            }
        }
        encodeSegment(buf, segment, n, out, scratch);
    }

    /** Drops cached segment encodings (benchmarks use it to measure cold encoding). */
    void clearCache() {
        cache.clear();
    }

    private void encodeSegment(char[] buf, int from, int to, IntList out, Scratch scratch) {
        if (to - from > CACHE_MAX_CHARS || !splitAtSpaceMarks) {
            merge(buf, from, to, out, scratch);
            return;
        }
        String key = new String(buf, from, to - from);
        int[] cached = cache.get(key);
        if (cached != null) {
            out.addAll(cached);
            return;
        }
        int mark = out.size();
        merge(buf, from, to, out, scratch);
        if (cache.size() >= CACHE_MAX_ENTRIES) {
            cache.clear();
        }
        cache.put(key, out.toArray(mark, out.size()));
    }

    /** Per-call work arrays, grown to the longest segment seen. */
    private static final class Scratch {
        int[] start = new int[0];
        int[] len;
        int[] next;
        int[] prev;
        int[] token;
        final LongHeap heap = new LongHeap();

        void ensure(int n) {
            if (start.length < n) {
                int cap = Math.max(n, 64);
                start = new int[cap];
                len = new int[cap];
                next = new int[cap];
                prev = new int[cap];
                token = new int[cap];
            }
        }
    }

    /** Merges {@code buf[from, to)} (one code point per symbol to start with) and emits its tokens. */
    private void merge(char[] buf, int from, int to, IntList out, Scratch s) {
        s.ensure(to - from);
        int[] start = s.start;
        int[] len = s.len;
        int[] next = s.next;
        int[] prev = s.prev;
        int[] token = s.token;
        int m = 0;
        for (int i = from; i < to; ) {
            int cl = Character.isHighSurrogate(buf[i]) && i + 1 < to && Character.isLowSurrogate(buf[i + 1]) ? 2 : 1;
            start[m] = i;
            len[m] = cl;
            prev[m] = m - 1;
            next[m] = m + 1;
            token[m] = -1;
            m++;
            i += cl;
        }
        if (m == 0) {
            return;
        }
        next[m - 1] = -1;

        LongHeap heap = s.heap;
        heap.clear();
        for (int k = 0; k + 1 < m; k++) {
            offer(heap, buf, start, len, k, k + 1);
        }
        while (!heap.isEmpty()) {
            long key = heap.pop();
            int left = (int) key;
            int right = next[left];
            if (len[left] == 0 || right < 0) {
                continue;
            }
            int id = mergeable.get(buf, start[left], len[left] + len[right]);
            if (id < 0 || scoreKey(scores[id]) != (int) (key >> 32)) {
                continue; // stale: a neighbour changed since this candidate was queued
            }
            len[left] += len[right];
            len[right] = 0;
            token[left] = id;
            next[left] = next[right];
            if (next[left] >= 0) {
                prev[next[left]] = left;
            }
            if (prev[left] >= 0) {
                offer(heap, buf, start, len, prev[left], left);
            }
            if (next[left] >= 0) {
                offer(heap, buf, start, len, left, next[left]);
            }
        }

        for (int k = 0; k >= 0; k = next[k]) {
            int id = token[k] >= 0 ? token[k] : mergeable.get(buf, start[k], len[k]);
            if (id >= 0) {
                out.add(id);
            } else {
                byte[] bytes = new String(buf, start[k], len[k]).getBytes(StandardCharsets.UTF_8);
                for (byte b : bytes) {
                    int bt = byteTokens[b & 0xff];
                    if (bt >= 0) {
                        out.add(bt);
                    }
                }
            }
        }
    }

    private void offer(LongHeap heap, char[] buf, int[] start, int[] len, int left, int right) {
        int id = mergeable.get(buf, start[left], len[left] + len[right]);
        if (id >= 0) {
            heap.push(((long) scoreKey(scores[id]) << 32) | left);
        }
    }
}
