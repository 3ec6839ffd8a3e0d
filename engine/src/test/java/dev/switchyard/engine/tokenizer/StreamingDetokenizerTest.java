package dev.switchyard.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import org.junit.jupiter.api.Test;

/** Deltas are whole characters, and together they are exactly the full decode. */
class StreamingDetokenizerTest {

    private static List<String> stream(Tokenizer tok, int[] ids, boolean renderSpecial) {
        StreamingDetokenizer d = new StreamingDetokenizer(tok, renderSpecial);
        List<String> deltas = new ArrayList<>();
        for (int id : ids) {
            deltas.add(d.push(id));
        }
        deltas.add(d.finish());
        assertThat(d.hasPending()).isFalse();
        return deltas;
    }

    /** No delta starts or ends inside a character, so none holds an unpaired surrogate. */
    private static void assertWellFormed(List<String> deltas) {
        for (String delta : deltas) {
            for (int i = 0; i < delta.length(); i++) {
                char c = delta.charAt(i);
                if (Character.isHighSurrogate(c)) {
                    assertThat(i + 1 < delta.length() && Character.isLowSurrogate(delta.charAt(i + 1)))
                            .as("high surrogate completed within %s", delta).isTrue();
                    i++;
                } else {
                    assertThat(Character.isLowSurrogate(c)).as("stray low surrogate in %s", delta).isFalse();
                }
            }
            assertThat(StandardCharsets.UTF_8.newEncoder().canEncode(delta)).isTrue();
        }
    }

    @Test
    void holdsBackByteFallbackTokensUntilTheCharacterIsComplete() {
        Tokenizer spm = HandmadeVocabularies.spm();
        int b = HandmadeVocabularies.SPM_BYTE_0;
        int[] llamaEmoji = {HandmadeVocabularies.SPM_SPACE, b + 0xF0, b + 0x9F, b + 0xA6, b + 0x99};
        assertThat(stream(spm, llamaEmoji, false)).containsExactly("", "", "", "", "🦙", "");
    }

    @Test
    void holdsBackPartialCharactersOfByteLevelTokens() {
        Tokenizer bpe = HandmadeVocabularies.bpe();
        assertThat(stream(bpe, new int[] {'a', 0xC3, 0xA9, 'b'}, false)).containsExactly("a", "", "é", "b", "");
    }

    @Test
    void dropsTheSentencePieceSpaceAtTheStartOfAReplyOnly() {
        Tokenizer spm = HandmadeVocabularies.spm();
        int[] ids = spm.encode("a a");
        assertThat(stream(spm, ids, false)).containsExactly("a", " a", "");
        int[] afterBos = spm.encode("a a", true, false);
        assertThat(String.join("", stream(spm, afterBos, false))).isEqualTo("a a");
        StreamingDetokenizer continuing = new StreamingDetokenizer(spm, false, false);
        assertThat(continuing.push(ids[0])).isEqualTo(" a");
    }

    @Test
    void replacesBytesThatCanNeverFormACharacter() {
        Tokenizer spm = HandmadeVocabularies.spm();
        int b = HandmadeVocabularies.SPM_BYTE_0;
        int[] ids = {HandmadeVocabularies.SPM_A, b + 0xE2, b + 0x82, HandmadeVocabularies.SPM_B, b + 0xF0};
        List<String> deltas = stream(spm, ids, false);
        assertThat(deltas).containsExactly("a", "", "", "\uFFFDb", "", "\uFFFD");
        assertThat(String.join("", deltas)).isEqualTo(spm.decode(ids));
    }

    @Test
    void rendersControlTokensOnlyWhenAsked() {
        Tokenizer bpe = HandmadeVocabularies.bpe();
        int[] ids = {'a', HandmadeVocabularies.BPE_ENDOFTEXT};
        assertThat(String.join("", stream(bpe, ids, false))).isEqualTo("a");
        assertThat(String.join("", stream(bpe, ids, true))).isEqualTo("a<|endoftext|>");
    }

    @Test
    void streamsARealReplyCharacterByCharacter() {
        assumeTrue(VocabFiles.available(), VocabFiles::missingReason);
        Tokenizer llama = VocabFiles.tokenizer("llama-spm");
        String reply = "Hello 🦙 wörld, 我想 ✅";
        List<String> deltas = stream(llama, llama.encode(reply), false);
        assertThat(deltas.getFirst()).isEqualTo("Hello");
        assertThat(String.join("", deltas)).isEqualTo(reply);
        assertWellFormed(deltas);
    }

    // Properties over the hand-made vocabularies: these run without the real vocabulary files.

    @Property(tries = 500)
    void deltasOfAnyIdSequenceConcatenateToTheFullDecode(
            @ForAll @Size(max = 30) List<@IntRange(min = 0, max = 266) Integer> ids, @ForAll boolean renderSpecial) {
        for (Tokenizer tok : List.of(HandmadeVocabularies.spm(), HandmadeVocabularies.bpe())) {
            int[] seq = ids.stream().mapToInt(Integer::intValue).filter(id -> id < tok.vocabSize()).toArray();
            List<String> deltas = stream(tok, seq, renderSpecial);
            assertThat(String.join("", deltas)).isEqualTo(tok.decode(seq, renderSpecial));
            assertWellFormed(deltas);
        }
    }

    /**
     * Java's decoder is the oracle for the text; for ill-formed input only up to how many U+FFFD
     * stand for one bad run: Utf8 replaces each maximal ill-formed subpart (Unicode's best practice),
     * while Java, at the end of the input, replaces some truncated sequences as one ([ED A0] gives
     * one U+FFFD in Java, two here, since A0 cannot follow ED).
     */
    @Property(tries = 300)
    void decodingBytesInPiecesEqualsDecodingTheWholeAndJavasText(
            @ForAll @Size(max = 40) List<@IntRange(min = 0, max = 255) Integer> values,
            @ForAll @Size(max = 6) List<@IntRange(min = 0, max = 40) Integer> cuts) {
        byte[] bytes = new byte[values.size()];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (int) values.get(i);
        }
        String whole = Utf8.decode(bytes, 0, bytes.length);
        String java = new String(bytes, StandardCharsets.UTF_8);
        assertThat(collapseReplacements(whole)).isEqualTo(collapseReplacements(java));
        if (!java.contains("\uFFFD")) {
            assertThat(whole).isEqualTo(java);
        }

        StringBuilder sb = new StringBuilder();
        int consumed = 0;
        for (int cut : cuts.stream().sorted().toList()) {
            int end = Math.min(cut, bytes.length);
            if (end > consumed) {
                consumed = Utf8.decode(bytes, consumed, end, sb, false);
            }
        }
        Utf8.decode(bytes, consumed, bytes.length, sb, true);
        assertThat(sb.toString()).isEqualTo(whole);
    }

    @Test
    void truncatedSurrogateLeadIsTwoIllFormedSubparts() {
        byte[] bytes = {(byte) 0xED, (byte) 0xA0};
        assertThat(Utf8.decode(bytes, 0, bytes.length)).isEqualTo("\uFFFD\uFFFD");
    }

    private static String collapseReplacements(String s) {
        return s.replaceAll("\uFFFD+", "\uFFFD");
    }

    // Properties over the real vocabularies.

    @Provide
    Arbitrary<String> vocab() {
        return Arbitraries.of(VocabFiles.supportedNames());
    }

    @Provide
    Arbitrary<String> text() {
        return TextArbitraries.unicodeText();
    }

    @Property(tries = 200)
    @AddLifecycleHook(VocabFiles.RequireVocabFiles.class)
    void streamingAnEncodedTextGivesTheTextBackInWholeCharacters(
            @ForAll("vocab") String vocab, @ForAll("text") String text) {
        Assume.that(VocabFiles.roundTrips(vocab, text));
        Tokenizer tok = VocabFiles.tokenizer(vocab);
        List<String> deltas = stream(tok, tok.encode(text), false);
        assertThat(String.join("", deltas)).isEqualTo(text);
        assertWellFormed(deltas);
    }

    @Property(tries = 200)
    @AddLifecycleHook(VocabFiles.RequireVocabFiles.class)
    void streamingRandomTokensMatchesTheFullDecode(
            @ForAll("vocab") String vocab, @ForAll @Size(max = 40) List<@IntRange(min = 0) Integer> raw,
            @ForAll boolean renderSpecial) {
        Tokenizer tok = VocabFiles.tokenizer(vocab);
        int[] ids = raw.stream().mapToInt(v -> v % tok.vocabSize()).toArray();
        List<String> deltas = stream(tok, ids, renderSpecial);
        assertThat(String.join("", deltas)).isEqualTo(tok.decode(ids, renderSpecial));
        assertWellFormed(deltas);
    }
}
