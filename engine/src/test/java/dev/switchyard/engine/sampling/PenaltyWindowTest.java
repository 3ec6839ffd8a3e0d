package dev.switchyard.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code repeat_last_n}: the repetition, presence and frequency penalties see only the last N
 * tokens of prompt and reply, exactly as recounting that window from scratch at every step would;
 * 0 turns them off, -1 (the default) looks at the whole text.
 */
class PenaltyWindowTest {

    private static final int VOCAB = 40;

    private static SamplingParams penalties(int lastN) {
        return SamplingParams.builder().temperature(0).repetitionPenalty(1.3).presencePenalty(0.4).frequencyPenalty(0.25)
                .extras(new SamplerExtras(1, 0, 0, 0.1, null, null, null, lastN)).build();
    }

    /** The penalties by their definition, recounted over the last {@code lastN} of {@code text}. */
    private static float[] recounted(float[] logits, List<int[]> text, int lastN) {
        int from = lastN < 0 ? 0 : Math.max(0, text.size() - lastN);
        boolean[] seen = new boolean[VOCAB];
        int[] generated = new int[VOCAB];
        for (int[] entry : text.subList(from, text.size())) {
            seen[entry[0]] = true;
            generated[entry[0]] += entry[1];
        }
        float[] out = logits.clone();
        for (int t = 0; t < VOCAB; t++) {
            if (seen[t]) {
                double l = logits[t];
                l = l > 0 ? l / 1.3 : l * 1.3;
                if (generated[t] > 0) {
                    l -= generated[t] * 0.25 + 0.4;
                }
                out[t] = (float) l;
            }
        }
        return out;
    }

    @Test
    void aWindowCountsOnlyTheLastTokensOfPromptAndReply() {
        float[] logits = Logits.normal(VOCAB, 2, 5);
        for (int lastN : new int[] {-1, 1, 3, 7, 64}) {
            Sampler sampler = new Sampler(penalties(lastN), VOCAB);
            Random random = new Random(lastN + 100);
            List<int[]> text = new ArrayList<>();
            int[] prompt = new int[25];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = random.nextInt(VOCAB);
                text.add(new int[] {prompt[i], 0});
            }
            sampler.addPromptTokens(prompt);
            // long enough for the window's history to be compacted several times
            for (int step = 0; step < 400; step++) {
                assertThat(sampler.adjustedLogits(logits)).as("window %d, step %d", lastN, step)
                        .containsExactly(recounted(logits, text, lastN));
                int token = random.nextInt(VOCAB / 4); // repeats often
                sampler.accept(token);
                text.add(new int[] {token, 1});
            }
        }
    }

    @Test
    void aWindowOfZeroTurnsThePenaltiesOff() {
        SamplingParams off = penalties(0);
        assertThat(off.hasPenalties()).isFalse();
        Sampler sampler = new Sampler(off, VOCAB);
        sampler.addPromptTokens(new int[] {1, 2, 3});
        sampler.accept(2);
        float[] logits = Logits.normal(VOCAB, 2, 6);
        assertThat(sampler.adjustedLogits(logits)).containsExactly(logits);
    }

    @Test
    void aWindowBelowMinusOneIsRefusedByName() {
        assertThatThrownBy(() -> new SamplerExtras(1, 0, 0, 0.1, null, null, null, -2))
                .hasMessageStartingWith("repeat_last_n");
    }
}
