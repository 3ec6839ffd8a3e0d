package dev.switchyard.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * min_tokens holds back what would end the sequence until enough is written, allowed_token_ids
 * keeps the choice among the listed tokens, bad_words never lets a banned sequence be completed;
 * the log-probabilities reported stay the model's.
 */
class TokenRestrictionsTest {

    private static final int VOCAB = 16;
    private static final int EOS = 15;

    /** Logits preferring {@code favourite} strongly, then lower ids a little. */
    private static float[] favouring(int favourite) {
        float[] logits = new float[VOCAB];
        for (int i = 0; i < VOCAB; i++) {
            logits[i] = -0.1f * i;
        }
        logits[favourite] = 10;
        return logits;
    }

    private static Sampler sampler(SamplingParams.Builder params) {
        return new Sampler(params.build(), VOCAB, new SamplingScratch(VOCAB), null, new int[] {EOS});
    }

    private static int draw(Sampler s, float[] logits) {
        int token = s.sample(logits);
        s.accept(token);
        return token;
    }

    @Test
    void minTokensHoldsBackEndOfGenerationAndStopTokensUntilEnoughAreWritten() {
        Sampler s = sampler(SamplingParams.builder().temperature(0).stopTokenIds(3)
                .restrictions(new TokenRestrictions(3, Set.of(), List.of())));
        assertThat(draw(s, favouring(EOS))).isEqualTo(0);
        assertThat(draw(s, favouring(3))).as("a stop token id too").isEqualTo(0);
        assertThat(draw(s, favouring(EOS))).isEqualTo(0);
        assertThat(draw(s, favouring(EOS))).as("three written: it may end").isEqualTo(EOS);
        // with EOS ignored, it is not held back (it does not end the sequence), stop ids still are
        Sampler ignoring = sampler(SamplingParams.builder().temperature(0).ignoreEos(true).stopTokenIds(3)
                .restrictions(new TokenRestrictions(2, Set.of(), List.of())));
        assertThat(draw(ignoring, favouring(EOS))).isEqualTo(EOS);
        assertThat(draw(ignoring, favouring(3))).isEqualTo(0);
    }

    @Test
    void allowedTokenIdsAreTheOnlyOnesEverDrawn() {
        Set<Integer> allowed = Set.of(2, 7, 11);
        Sampler s = sampler(SamplingParams.builder().temperature(1.5).seed(4L)
                .restrictions(new TokenRestrictions(0, allowed, List.of())));
        float[] logits = Logits.normal(VOCAB, 2, 9);
        for (int i = 0; i < 200; i++) {
            assertThat(draw(s, logits)).isIn(allowed);
        }
        Sampler greedy = sampler(SamplingParams.builder().temperature(0)
                .restrictions(new TokenRestrictions(0, allowed, List.of())));
        assertThat(draw(greedy, favouring(5))).as("the most probable allowed one").isEqualTo(2);
    }

    @Test
    void aBannedSequenceIsNeverCompletedAndAOneTokenBanNeverWritten() {
        TokenRestrictions bad = new TokenRestrictions(0, Set.of(), List.of(List.of(9), List.of(4, 5, 6)));
        Sampler s = sampler(SamplingParams.builder().temperature(0).logprobs(1).restrictions(bad));
        assertThat(draw(s, favouring(9))).isEqualTo(0);
        assertThat(draw(s, favouring(4))).isEqualTo(4);
        assertThat(draw(s, favouring(6))).as("only 4 written: 6 may follow").isEqualTo(6);
        assertThat(draw(s, favouring(4))).isEqualTo(4);
        assertThat(draw(s, favouring(5))).isEqualTo(5);
        TokenLogprobs lp = new TokenLogprobs();
        int token = s.sample(favouring(6), lp);
        assertThat(token).as("4 5 written: 6 may not follow").isEqualTo(0);
        assertThat(lp.topId(0)).as("the reported distribution is the model's").isEqualTo(6);
        s.accept(token);
        assertThat(draw(s, favouring(6))).isEqualTo(6);
    }

    @Test
    void restrictionsNeedTheWholeRowAndCheckTheirIds() {
        assertThat(sampler(SamplingParams.builder().temperature(0)
                .restrictions(new TokenRestrictions(1, Set.of(), List.of()))).candidatesNeeded()).isZero();
        assertThat(sampler(SamplingParams.builder().temperature(0)).candidatesNeeded()).isPositive();
        assertThatThrownBy(() -> sampler(SamplingParams.builder()
                .restrictions(new TokenRestrictions(0, Set.of(VOCAB), List.of()))))
                .hasMessageStartingWith("allowed_token_ids token id 16 is outside");
        assertThatThrownBy(() -> sampler(SamplingParams.builder()
                .restrictions(new TokenRestrictions(0, Set.of(), List.of(List.of(1, 99))))))
                .hasMessageStartingWith("bad_words token id 99 is outside");
        assertThatThrownBy(() -> new TokenRestrictions(-1, Set.of(), List.of())).hasMessageStartingWith("min_tokens");
        assertThatThrownBy(() -> new TokenRestrictions(0, Set.of(), List.of(List.of())))
                .hasMessageContaining("no tokens");
    }
}
