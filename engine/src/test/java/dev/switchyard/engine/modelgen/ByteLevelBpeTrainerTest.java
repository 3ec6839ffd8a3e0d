package dev.switchyard.engine.modelgen;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ByteLevelBpeTrainerTest {

    @Test
    void mostFrequentPairIsMergedFirst() {
        ByteLevelBpeTrainer.Vocabulary v = ByteLevelBpeTrainer.train("ab ab ab cd cd", 10);
        // "ab" occurs three times as a word start; its pair outranks everything else
        assertThat(v.merges().getFirst()).isEqualTo("a b");
        assertThat(v.tokens()).contains("ab", "Ġab");
    }

    @Test
    void trainingIsDeterministic() {
        assertThat(ByteLevelBpeTrainer.trainDefault(300)).isEqualTo(ByteLevelBpeTrainer.trainDefault(300));
    }

    @Test
    void everyMergeJoinsTwoKnownTokensIntoAKnownToken() {
        ByteLevelBpeTrainer.Vocabulary v = ByteLevelBpeTrainer.trainDefault(768);
        Set<String> tokens = new HashSet<>(v.tokens());
        assertThat(tokens).hasSameSizeAs(v.tokens());
        for (String merge : v.merges()) {
            String[] parts = merge.split(" ", -1);
            assertThat(parts).hasSize(2);
            assertThat(tokens).contains(parts[0], parts[1], parts[0] + parts[1]);
        }
    }

    @Test
    void allBytesAreTokensAndSpecialsAreControlTokensAtTheEnd() {
        ByteLevelBpeTrainer.Vocabulary v = ByteLevelBpeTrainer.trainDefault(100);
        for (int b = 0; b < 256; b++) {
            assertThat(v.tokens().get(b)).isEqualTo(String.valueOf(dev.switchyard.engine.tokenizer.ByteLevel.charOf(b)));
        }
        int n = v.tokens().size();
        assertThat(v.tokens().subList(n - 3, n)).containsExactly(
                ByteLevelBpeTrainer.END_OF_TEXT, ByteLevelBpeTrainer.IM_START, ByteLevelBpeTrainer.IM_END);
        assertThat(v.tokenTypes().subList(n - 3, n)).containsOnly(TokenTypes.CONTROL);
        assertThat(v.eosId()).isEqualTo(n - 1);
    }
}
