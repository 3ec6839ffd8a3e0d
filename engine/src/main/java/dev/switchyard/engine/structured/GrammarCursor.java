package dev.switchyard.engine.structured;

/**
 * Where text written so far stands in a {@link Grammar}: a column of a chart shared with the cursors
 * it was copied from and to, and how much of the chart its history uses (and, from
 * {@link CodePointCursor}, a character half written). Moving builds past that history, dropping
 * whatever stood there, so of cursors that share a chart only the one that moved last, and those
 * behind it on its own path, may be moved or asked; a reply's trial cursor is always copied afresh
 * from its live one before it moves.
 */
final class GrammarCursor extends CodePointCursor {

    private EarleyChart chart;
    private int column;
    /** The chart's columns this cursor's history may use: those it built, and those before. */
    private int end;
    /** Per depth of a walk through the vocabulary: where the text stands after that many of a token's bytes. */
    private int[] depthColumn = new int[0];
    private int[] depthEnd = new int[0];
    private int[] depthPending = new int[0];
    private int[] depthCodePoint = new int[0];
    private int[] depthLeast = new int[0];
    /** The cursor a walk moves, made at the first walk. */
    private GrammarCursor walker;


    /** At the start of the reply {@code chart} holds. */
    void start(EarleyChart chart) {
        this.chart = chart;
        column = 0;
        end = 1;
        pending = 0;
    }

    void copyFrom(GrammarCursor other) {
        chart = other.chart;
        column = other.column;
        end = other.end;
        copyPending(other);
    }

    /** The chart's columns this cursor's history uses: runs of free text add none. */
    int columnsUsed() {
        return end;
    }

    /** Whether the text is a whole sentence (no character half written). */
    boolean atMatch() {
        return pending == 0 && chart.accepts(column);
    }

    /** Whether the text is a whole sentence that nothing may follow. */
    boolean ended() {
        return atMatch() && !chart.continues(column);
    }

    @Override
    boolean takesAny(int lo, int hi) {
        return lo >= 0x80 && chart.loopsAboveAscii(column) || chart.anyIn(column, lo, hi);
    }

    @Override
    boolean takeWhole(int cp) {
        if (cp >= 0x80 && chart.loopsAboveAscii(column)) {
            return true; // free text past ASCII: the column stays as it is
        }
        int next = chart.step(column, end, cp);
        if (next == EarleyChart.REFUSED) {
            return false;
        }
        end += next == end ? 1 : 0;
        column = next;
        return true;
    }

    /**
     * Refuses in {@code logits} every plain token that cannot come next. The tokens are walked in
     * the order of their bytes, so a prefix is read once for every token that shares it, and a
     * prefix refused once refuses them all without a look; an ASCII byte known to leave its column
     * as it is (free text) costs a bit test.
     */
    void maskPlain(TokenTexts texts, float[] logits) {
        EarleyChart c = chart;
        if (walker == null) {
            walker = new GrammarCursor();
        }
        TokenTexts.Sorted sorted = texts.sortedPlain();
        int[] tokens = sorted.tokens();
        byte[] bytes = sorted.bytes();
        int[] start = sorted.start();
        int[] shared = sorted.shared();
        int walked = 0; // bytes of the last token walked that the depths 0..walked stand after
        int failed = -1; // where that token's bytes were refused, or -1
        int common = 0; // bytes the token at hand shares with the last walked (the least shared since)
        save(this, 0);
        for (int k = 0; k < tokens.length; k++) {
            common = Math.min(common, shared[k]);
            int t = tokens[k];
            if (logits[t] == Float.NEGATIVE_INFINITY) {
                continue;
            }
            int from = start[k];
            int length = start[k + 1] - from;
            if (failed >= 0 && common > failed) {
                logits[t] = Float.NEGATIVE_INFINITY; // its bytes begin with a refused prefix
                common = length;
                continue;
            }
            int i = Math.min(common, walked);
            failed = -1;
            if (depthColumn.length <= length) {
                grow(length + 1);
            }
            for (; i < length; i++) {
                byte b = bytes[from + i];
                int column = depthColumn[i];
                if (b >= 0 && depthPending[i] == 0 && c.loops(column, b)) {
                    depthColumn[i + 1] = column;
                    depthEnd[i + 1] = depthEnd[i];
                    depthPending[i + 1] = 0;
                    continue;
                }
                restore(walker, i);
                if (!walker.takeByte(b)) {
                    failed = i;
                    break;
                }
                save(walker, i + 1);
            }
            walked = i;
            common = length;
            if (failed >= 0) {
                logits[t] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    private void grow(int depths) {
        int n = Math.max(depths, 2 * depthColumn.length);
        depthColumn = java.util.Arrays.copyOf(depthColumn, n);
        depthEnd = java.util.Arrays.copyOf(depthEnd, n);
        depthPending = java.util.Arrays.copyOf(depthPending, n);
        depthCodePoint = java.util.Arrays.copyOf(depthCodePoint, n);
        depthLeast = java.util.Arrays.copyOf(depthLeast, n);
    }

    private void save(GrammarCursor from, int depth) {
        if (depth >= depthColumn.length) {
            grow(depth + 1);
        }
        depthColumn[depth] = from.column;
        depthEnd[depth] = from.end;
        depthPending[depth] = from.pending;
        depthCodePoint[depth] = from.codePoint;
        depthLeast[depth] = from.least;
    }

    private void restore(GrammarCursor into, int depth) {
        into.chart = chart;
        into.column = depthColumn[depth];
        into.end = depthEnd[depth];
        into.pending = depthPending[depth];
        into.codePoint = depthCodePoint[depth];
        into.least = depthLeast[depth];
    }
}
