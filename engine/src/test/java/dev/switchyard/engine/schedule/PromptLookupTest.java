package dev.switchyard.engine.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.sampling.SamplingParams;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Proposals from a sequence's own text: the latest match of the longest run that has one. */
class PromptLookupTest {

    private static ActiveSequence sequence(int[] prompt, int... generated) {
        ActiveSequence s = new ActiveSequence(new GenerationRequest(prompt, SamplingParams.builder().build(), 64), null,
                null, 0, null);
        System.arraycopy(generated, 0, s.generated, 0, generated.length);
        s.count = generated.length;
        return s;
    }

    private static int[] propose(Speculation speculation, ActiveSequence s, int max) {
        int[] into = new int[max];
        int n = new PromptLookup(speculation).propose(s, into, max);
        return Arrays.copyOf(into, n);
    }

    @Test
    void theLongestRunWinsAndItsLatestMatch() {
        // "1 2 3" opens the text and ends it; "2 3" also stands before "5 6", later
        ActiveSequence s = sequence(new int[] {1, 2, 3, 7, 8, 4, 9, 2, 3, 5, 6, 1}, 2, 3);
        assertThat(propose(Speculation.lookup(4, 1, 3), s, 4)).as("'1 2 3' is the longest run found")
                .containsExactly(7, 8, 4, 9);
        assertThat(propose(Speculation.lookup(4, 1, 2), s, 4)).as("'2 3', latest first").containsExactly(5, 6, 1, 2);
        assertThat(propose(Speculation.lookup(4, 1, 2), s, 2)).as("at most max").containsExactly(5, 6);
    }

    @Test
    void aRepeatingTailProposesItsContinuationThroughItself() {
        ActiveSequence s = sequence(new int[] {4, 1, 2}, 1, 2, 1, 2);
        assertThat(propose(Speculation.lookup(5, 2, 2), s, 5)).containsExactly(1, 2);
        assertThat(propose(Speculation.lookup(5, 1, 1), s, 5)).as("'2' last seen before the final one")
                .containsExactly(1, 2);
    }

    @Test
    void noMatchProposesNothing() {
        assertThat(propose(Speculation.lookup(4, 1, 3), sequence(new int[] {1, 2, 3}, 4), 4)).isEmpty();
        assertThat(propose(Speculation.lookup(4, 2, 3), sequence(new int[] {1, 2, 3, 1}, 5), 4))
                .as("runs shorter than the least are not looked up").isEmpty();
        assertThat(propose(Speculation.lookup(4, 1, 3), sequence(new int[] {7}), 4)).isEmpty();
    }

    @Test
    void theNextProposalHoldsOneMoreThanTheLastKept() {
        Speculation s = Speculation.lookup(5, 2, 4);
        assertThat(s.nextLimit(0)).as("nothing kept: one row at stake").isEqualTo(1);
        assertThat(s.nextLimit(2)).isEqualTo(3);
        assertThat(s.nextLimit(5)).as("never past the setting").isEqualTo(5);
    }

    @Test
    void settingsOutOfRangeAreRefused() {
        assertThatThrownBy(() -> Speculation.lookup(17, 1, 3)).hasMessageContaining("0 to 16");
        assertThatThrownBy(() -> Speculation.lookup(4, 3, 2)).hasMessageContaining("1 to 8");
        assertThatThrownBy(() -> Speculation.lookup(4, 0, 2)).hasMessageContaining("1 to 8");
    }
}
