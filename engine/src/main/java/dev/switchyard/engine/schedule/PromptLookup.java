package dev.switchyard.engine.schedule;

/**
 * Proposes a sequence's next tokens from its own text (prompt lookup, as vLLM's n-gram proposer and
 * llama.cpp's lookup decoding do): the last {@code n} known tokens are searched for, latest first,
 * among the earlier ones, for {@code n} from the longest run down to the shortest, and the tokens
 * that followed the first match found are the proposal. Output that repeats its input (code edited
 * in place, quoted passages, structured records) is then guessed many tokens at a time. Allocates
 * nothing; costs at most the sequence's length times the run per proposal.
 */
final class PromptLookup {

    private final Speculation speculation;

    PromptLookup(Speculation speculation) {
        this.speculation = speculation;
    }

    /** Writes up to {@code max} proposed tokens into {@code into}; returns how many (0: no match). */
    int propose(ActiveSequence s, int[] into, int max) {
        int known = s.known();
        int last = s.tokenAt(known - 1);
        for (int n = Math.min(speculation.maxMatch(), known - 1); n >= speculation.minMatch(); n--) {
            // a match starts at j < known - n, so that at least one token follows it
            for (int j = known - n - 1; j >= 0; j--) {
                if (s.tokenAt(j + n - 1) != last || !sameRun(s, j, known - n, n - 1)) {
                    continue;
                }
                int count = Math.min(max, known - (j + n));
                for (int k = 0; k < count; k++) {
                    into[k] = s.tokenAt(j + n + k);
                }
                return count;
            }
        }
        return 0;
    }

    private static boolean sameRun(ActiveSequence s, int a, int b, int length) {
        for (int i = 0; i < length; i++) {
            if (s.tokenAt(a + i) != s.tokenAt(b + i)) {
                return false;
            }
        }
        return true;
    }
}
