package dev.switchyard.engine.tokenizer;

import dev.switchyard.engine.gguf.GgufMetadata;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Byte-level BPE ({@code tokenizer.ggml.model = "gpt2"}): GPT-2, Llama 3, Qwen, DeepSeek, Falcon,
 * StarCoder and their kin.
 *
 * <p>Text is cut into words by the model's {@link PreTokenizer}; each word's UTF-8 bytes start as
 * one symbol each (spelled with GPT-2's byte characters), and the adjacent pair with the lowest merge
 * rank ({@code tokenizer.ggml.merges}) is merged, leftmost first, until no ranked pair remains.
 *
 * <p>Symbols are ids, so a pair is looked up as one long in a hash table and never as a string.
 * Candidates wait in a heap of packed (rank, position) longs and are checked lazily when popped,
 * which makes a word of n bytes O(n log n): long runs of spaces or digits stay cheap. Words up to
 * {@value #CACHE_MAX_CHARS} chars are cached, since natural text repeats its words.
 */
final class ByteLevelBpeTokenizer extends BaseTokenizer {

    static final int CACHE_MAX_CHARS = 48;
    static final int CACHE_MAX_ENTRIES = 1 << 16;
    private static final int DEAD = Integer.MIN_VALUE;

    private final PreTokenizer pre;
    private final PairRankMap ranks;
    /** Symbol produced by the merge of each rank. */
    private final int[] mergeResult;
    /** Symbol of each single byte. */
    private final int[] byteSymbol = new int[256];
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    ByteLevelBpeTokenizer(GgufMetadata md, PreTokenizer pre) {
        super(md, "gpt2", -1, -1, -1, pre.ignoreMerges());
        this.pre = pre;
        String[] merges = md.requireStringArray(KEY_MERGES);

        // Symbols are token ids; merge parts or results missing from the vocabulary get ids >= size,
        // and a word left with such a symbol falls back to its bytes.
        Map<String, Integer> extra = new HashMap<>();
        java.util.function.ToIntFunction<String> intern = s -> {
            int id = textToId.get(s);
            return id >= 0 ? id : extra.computeIfAbsent(s, k -> size + extra.size());
        };
        for (int b = 0; b < 256; b++) {
            byteSymbol[b] = intern.applyAsInt(String.valueOf(ByteLevel.charOf(b)));
        }
        this.ranks = new PairRankMap(merges.length);
        this.mergeResult = new int[merges.length];
        for (int r = 0; r < merges.length; r++) {
            String line = merges[r];
            int sep = line.indexOf(' ', 1);
            if (sep < 0) {
                mergeResult[r] = -1;
                continue;
            }
            String a = line.substring(0, sep);
            String b = line.substring(sep + 1);
            ranks.putIfAbsent(intern.applyAsInt(a), intern.applyAsInt(b), r);
            mergeResult[r] = intern.applyAsInt(a + b);
        }
        buildPieces();
    }

    @Override
    public String preTokenizer() {
        return pre.name();
    }

    @Override
    public boolean stripsLeadingSpace() {
        return false;
    }

    @Override
    byte[] normalPiece(int id) {
        return ByteLevel.decode(texts[id]);
    }

    /** Drops cached word encodings (benchmarks use it to measure cold encoding). */
    void clearCache() {
        cache.clear();
    }

    /** Per-call work arrays, grown to the longest word seen. */
    private static final class Scratch {
        byte[] bytes = new byte[64];
        char[] chars = new char[64];
        int[] ids = new int[64];
        int[] prev = new int[64];
        int[] next = new int[64];
        final LongHeap heap = new LongHeap();

        void ensure(int chars) {
            int n = chars * 3;
            if (bytes.length < n) {
                bytes = new byte[n];
                this.chars = new char[n];
                ids = new int[n];
                prev = new int[n];
                next = new int[n];
            }
        }
    }

    @Override
    void encodeText(String text, int from, int to, boolean atStart, IntList out) {
        IntList words = pre.split(text, from, to);
        Scratch scratch = new Scratch();
        for (int w = 0; w < words.size(); w += 2) {
            encodeWord(text, words.get(w), words.get(w + 1), out, scratch);
        }
    }

    private void encodeWord(String text, int from, int to, IntList out, Scratch scratch) {
        String key = null;
        if (to - from <= CACHE_MAX_CHARS) {
            key = text.substring(from, to);
            int[] cached = cache.get(key);
            if (cached != null) {
                out.addAll(cached);
                return;
            }
        }
        int mark = out.size();
        merge(text, from, to, out, scratch);
        if (key != null) {
            if (cache.size() >= CACHE_MAX_ENTRIES) {
                cache.clear();
            }
            cache.put(key, out.toArray(mark, out.size()));
        }
    }

    private void merge(String text, int from, int to, IntList out, Scratch s) {
        s.ensure(to - from);
        byte[] bytes = s.bytes;
        int n = Utf8.encode(text, from, to, bytes);
        if (n == 0) {
            return;
        }
        if (pre.ignoreMerges()) {
            char[] chars = s.chars;
            for (int i = 0; i < n; i++) {
                chars[i] = ByteLevel.charOf(bytes[i] & 0xff);
            }
            int whole = textToId.get(chars, 0, n);
            if (whole >= 0) {
                out.add(whole);
                return;
            }
        }
        int[] ids = s.ids;
        int[] prev = s.prev;
        int[] next = s.next;
        for (int i = 0; i < n; i++) {
            ids[i] = byteSymbol[bytes[i] & 0xff];
            prev[i] = i - 1;
            next[i] = i + 1;
        }
        next[n - 1] = -1;

        LongHeap heap = s.heap;
        heap.clear();
        for (int i = 0; i + 1 < n; i++) {
            int r = ranks.get(ids[i], ids[i + 1]);
            if (r >= 0) {
                heap.push(((long) r << 32) | i);
            }
        }
        while (!heap.isEmpty()) {
            long key = heap.pop();
            int rank = (int) (key >>> 32);
            int left = (int) key;
            if (ids[left] == DEAD) {
                continue;
            }
            int right = next[left];
            if (right < 0 || ranks.get(ids[left], ids[right]) != rank) {
                continue; // stale: a neighbour was merged since this candidate was queued
            }
            ids[left] = mergeResult[rank];
            ids[right] = DEAD;
            int after = next[right];
            next[left] = after;
            if (after >= 0) {
                prev[after] = left;
                int r = ranks.get(ids[left], ids[after]);
                if (r >= 0) {
                    heap.push(((long) r << 32) | left);
                }
            }
            int before = prev[left];
            if (before >= 0) {
                int r = ranks.get(ids[before], ids[left]);
                if (r >= 0) {
                    heap.push(((long) r << 32) | before);
                }
            }
        }

        for (int i = 0; i >= 0; i = next[i]) {
            int id = ids[i];
            if (id < size) {
                out.add(id);
            } else {
                int end = next[i] < 0 ? n : next[i];
                for (int k = i; k < end; k++) {
                    int b = byteSymbol[bytes[k] & 0xff];
                    if (b < size) {
                        out.add(b);
                    }
                }
            }
        }
    }
}
