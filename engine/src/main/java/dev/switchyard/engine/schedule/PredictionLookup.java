package dev.switchyard.engine.schedule;

/**
 * Proposes a sequence's next tokens from its request's predicted output (OpenAI's Predicted
 * Outputs: a caller who asks for a file to be edited knows most of the reply already). While the
 * reply follows the prediction token for token, the tokens after the point it has reached are
 * proposed; where it departs (the edit), nothing is proposed until its last few tokens are found in
 * the prediction again (the text after the edit, usually further on), and it is followed from
 * there. The tokens are then checked as every speculative proposal is, so the reply is the one
 * decoding without the prediction gives. Allocates nothing; finding the reply again costs at most
 * the prediction's length times {@link #LONGEST_RUN}.
 */
final class PredictionLookup {

    /** The longest run of the reply's last tokens looked for in the prediction. */
    static final int LONGEST_RUN = 8;
    /** The shortest: one token alone matches too often to say where the reply is. */
    static final int SHORTEST_RUN = 2;

    private PredictionLookup() {
    }

    /** Writes up to {@code max} proposed tokens into {@code into}; returns how many (0: none now). */
    static int propose(ActiveSequence s, int[] into, int max) {
        int[] p = s.prediction;
        for (; s.predictionSeen < s.count; s.predictionSeen++) {
            int token = s.generated[s.predictionSeen];
            if (s.predictionAligned && s.predictionCursor < p.length && p[s.predictionCursor] == token) {
                s.predictionCursor++;
            } else {
                s.predictionAligned = false;
            }
        }
        if (!s.predictionAligned && !findAgain(s, p)) {
            return 0;
        }
        int count = Math.min(max, p.length - s.predictionCursor);
        if (count <= 0) {
            return 0;
        }
        System.arraycopy(p, s.predictionCursor, into, 0, count);
        return count;
    }

    /**
     * Finds the reply's last tokens in the prediction, the longest run first, at the first place at
     * or after where the reply left it (edits keep the order of what they do not change), else
     * anywhere before; and follows the prediction from after it.
     */
    private static boolean findAgain(ActiveSequence s, int[] p) {
        for (int n = Math.min(LONGEST_RUN, s.count); n >= SHORTEST_RUN; n--) {
            int at = find(s, p, n, s.predictionCursor, p.length);
            if (at < 0) {
                at = find(s, p, n, 0, Math.min(p.length, s.predictionCursor + n - 1));
            }
            if (at >= 0) {
                s.predictionCursor = at + n;
                s.predictionAligned = true;
                return true;
            }
        }
        return false;
    }

    /** The first {@code j} in {@code [from, to - n]} where the prediction holds the reply's last {@code n} tokens; -1 for none. */
    private static int find(ActiveSequence s, int[] p, int n, int from, int to) {
        int start = s.count - n;
        for (int j = from; j + n <= to; j++) {
            int k = 0;
            while (k < n && p[j + k] == s.generated[start + k]) {
                k++;
            }
            if (k == n) {
                return j;
            }
        }
        return -1;
    }
}
