package dev.switchyard.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;

/**
 * decode(encode(s)) == s over arbitrary Unicode, for every supported real vocabulary, wherever the
 * vocabulary can spell the text at all (see {@link VocabFiles#roundTrips}).
 */
@AddLifecycleHook(VocabFiles.RequireVocabFiles.class)
class RoundTripPropertiesTest {

    @Provide
    Arbitrary<String> byteLevelVocab() {
        return Arbitraries.of(VocabFiles.supportedNames().stream()
                .filter(n -> VocabFiles.tokenizer(n).model().equals("gpt2")).toList());
    }

    @Provide
    Arbitrary<String> sentencePieceVocab() {
        return Arbitraries.of(VocabFiles.supportedNames().stream()
                .filter(n -> VocabFiles.tokenizer(n).model().equals("llama")).toList());
    }

    @Provide
    Arbitrary<String> text() {
        return TextArbitraries.unicodeText();
    }

    @Property(tries = 300)
    void byteLevelBpeDecodesItsEncodingOfAnyTextBackToTheText(
            @ForAll("byteLevelVocab") String vocab, @ForAll("text") String text) {
        Assume.that(VocabFiles.roundTrips(vocab, text));
        Tokenizer tok = VocabFiles.tokenizer(vocab);
        int[] ids = tok.encode(text, false, false);
        assertThat(tok.decode(ids)).isEqualTo(text);
        assertThat(Arrays.stream(ids).noneMatch(tok::isControl)).isTrue();
    }

    @Property(tries = 300)
    void sentencePieceDecodesItsEncodingOfAnyTextBackToTheText(
            @ForAll("sentencePieceVocab") String vocab, @ForAll("text") String text) {
        Assume.that(VocabFiles.roundTrips(vocab, text));
        Tokenizer tok = VocabFiles.tokenizer(vocab);
        assertThat(tok.decode(tok.encode(text, false, false))).isEqualTo(text);
        assertThat(tok.decode(tok.encode(text, true, false))).isEqualTo(text);
    }

    @Property(tries = 200)
    void byteLevelBpeEncodesTheSameWithAColdOrAWarmWordCache(
            @ForAll("byteLevelVocab") String vocab, @ForAll("text") String text) {
        ByteLevelBpeTokenizer tok = (ByteLevelBpeTokenizer) VocabFiles.tokenizer(vocab);
        tok.clearCache();
        int[] cold = tok.encode(text, false, false);
        int[] warm = tok.encode(text, false, false);
        assertThat(warm).containsExactly(cold);
    }

    @Property(tries = 200)
    void sentencePieceEncodesWordByWordExactlyAsWhenMergingTheWholeText(
            @ForAll("sentencePieceVocab") String vocab, @ForAll("text") String text) {
        Tokenizer wordByWord = VocabFiles.tokenizer(vocab);
        Tokenizer whole = WHOLE.computeIfAbsent(vocab, v -> new SentencePieceTokenizer(VocabFiles.metadata(v), false));
        assertThat(wordByWord.encode(text, false, false)).containsExactly(whole.encode(text, false, false));
    }

    private static final java.util.Map<String, Tokenizer> WHOLE = new java.util.concurrent.ConcurrentHashMap<>();
}
