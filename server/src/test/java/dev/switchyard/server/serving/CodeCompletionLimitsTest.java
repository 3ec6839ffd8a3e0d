package dev.switchyard.server.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * llama.cpp's code-completion limits as llama-server applies them: a new line indented less than
 * {@code n_indent} ends the reply after its indentation (the first line is not checked, an empty
 * line has none), and once a new line was written a token more than {@code t_max_predict_ms} after
 * the first is the last.
 */
class CodeCompletionLimitsTest {

    /** Pushes the pieces in turn; returns what was released, the rest flushed where no limit ended it. */
    private static String run(CodeCompletionLimits.Tracker t, String... pieces) {
        StringBuilder out = new StringBuilder();
        for (String p : pieces) {
            if (t.limited()) {
                break;
            }
            out.append(t.push(p));
        }
        if (!t.limited()) {
            out.append(t.flush());
        }
        return out.toString();
    }

    @Test
    void aLineIndentedLessThanTheLeastEndsTheReplyAfterItsIndentation() {
        CodeCompletionLimits four = new CodeCompletionLimits(4, 0);
        CodeCompletionLimits.Tracker t = four.tracker();
        assertThat(run(t, "x = 1", "\n    ", "y", " = 2\n", "  ", "z = 3\n")).isEqualTo("x = 1\n    y = 2\n  ");
        assertThat(t.limited()).isTrue();
        // held while it may still be indentation, released once it is enough
        CodeCompletionLimits.Tracker held = four.tracker();
        assertThat(held.push("a\n  ")).isEqualTo("a\n");
        assertThat(held.push("  \tb")).isEqualTo("    \tb");
        assertThat(held.limited()).isFalse();
        // an empty line has no indentation; the first line is never checked
        assertThat(run(four.tracker(), "a\n", "\n", "    b")).isEqualTo("a\n");
        assertThat(run(four.tracker(), "no indent on the first line")).isEqualTo("no indent on the first line");
        // a reply ending on a new line's spaces keeps them
        assertThat(run(four.tracker(), "a\n      ")).isEqualTo("a\n      ");
        assertThat(run(CodeCompletionLimits.NONE.tracker(), "a\nb\n c")).isEqualTo("a\nb\n c");
    }

    @Test
    void aTokenPastTheTimeLimitAfterANewLineIsTheLast() {
        CodeCompletionLimits.Tracker t = new CodeCompletionLimits(0, 10).tracker();
        long ms = 1_000_000L;
        t.tokenAt(0);
        t.push("a");
        t.tokenAt(50 * ms);
        assertThat(t.limited()).as("no new line yet").isFalse();
        t.push("b\n");
        t.tokenAt(9 * ms);
        assertThat(t.limited()).as("within the limit").isFalse();
        t.push("c");
        t.tokenAt(11 * ms);
        assertThat(t.limited()).isTrue();
        assertThatThrownBy(() -> new CodeCompletionLimits(-1, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
