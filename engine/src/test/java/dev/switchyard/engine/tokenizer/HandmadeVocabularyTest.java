package dev.switchyard.engine.tokenizer;

import static dev.switchyard.engine.tokenizer.HandmadeVocabularies.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.gguf.GgufArray;
import dev.switchyard.engine.gguf.GgufMetadata;
import dev.switchyard.engine.gguf.GgufValueType;
import dev.switchyard.engine.gguf.GgufWriter;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Exact encodings over vocabularies small enough to work out by hand. */
class HandmadeVocabularyTest {

    @Nested
    class ByteLevelBpe {

        private final Tokenizer tok = HandmadeVocabularies.bpe();

        @Test
        void appliesMergesInRankOrderNotLongestMatch() {
            // "abc": a+b (rank 0) then ab+c (rank 1). " ab": a+b (rank 0) runs before Ġ+a (rank 2), and
            // no merge joins Ġ with ab, so the token "Ġab" is never reached.
            assertThat(tok.encode("abc ab")).containsExactly(BPE_ABC, ' ', BPE_AB);
            assertThat(tok.encode(" a")).containsExactly(BPE_SPACE_A);
            assertThat(tok.encode("dab")).containsExactly('d', BPE_AB);
        }

        @Test
        void spellsBytesOfOtherCharactersWithTheirByteTokens() {
            assertThat(tok.encode("é")).containsExactly(0xC3, 0xA9);
            assertThat(tok.encode("\n")).containsExactly('\n');
            assertThat(tok.decode(new int[] {0xC3, 0xA9})).isEqualTo("é");
        }

        @Test
        void keepsControlTokenTextAsTextUnlessAskedToParseIt() {
            assertThat(tok.encode("a<|endoftext|>", false, false))
                    .containsExactly('a', '<', '|', 'e', 'n', 'd', 'o', 'f', 't', 'e', 'x', 't', '|', '>');
            assertThat(tok.encode("a<|endoftext|>", false, true)).containsExactly('a', BPE_ENDOFTEXT);
        }

        @Test
        void alwaysSplitsOutUserDefinedTokens() {
            assertThat(tok.encode("x[IMG]y", false, false)).containsExactly('x', BPE_IMG, 'y');
            assertThat(tok.decode(new int[] {'x', BPE_IMG, 'y'})).isEqualTo("x[IMG]y");
        }

        @Test
        void rendersControlTokensOnlyOnRequest() {
            int[] ids = {'a', BPE_ENDOFTEXT};
            assertThat(tok.decode(ids)).isEqualTo("a");
            assertThat(tok.decode(ids, true)).isEqualTo("a<|endoftext|>");
            assertThat(tok.pieceBytes(BPE_ENDOFTEXT)).isEmpty();
        }

        @Test
        void treatsControlTokensThatEndTurnsAsEndOfGeneration() {
            assertThat(tok.isControl(BPE_ENDOFTEXT)).isTrue();
            assertThat(tok.isEog(BPE_ENDOFTEXT)).isTrue();
            assertThat(tok.eogIds()).containsExactly(BPE_ENDOFTEXT);
            assertThat(tok.bosId()).isEqualTo(-1);
            assertThat(tok.encode("a", true, false)).containsExactly('a');
        }

        @Test
        void rejectsIdsOutsideTheVocabulary() {
            assertThatThrownBy(() -> tok.decode(new int[] {tok.vocabSize()}))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside the vocabulary");
        }

        @Test
        void usesTheDefaultPreTokenizerWhenTheFileNamesNone() {
            Tokenizer t = Tokenizers.fromMetadata(HandmadeVocabularies.bpe(null, w -> { }));
            assertThat(t.preTokenizer()).isEqualTo("default");
            assertThat(t.encode("abc ab")).containsExactly(BPE_ABC, ' ', BPE_AB);
        }

        @Test
        void failsLoudlyOnAnUnknownPreTokenizer() {
            GgufMetadata md = HandmadeVocabularies.bpe("no-such-pre", w -> { });
            assertThatThrownBy(() -> Tokenizers.fromMetadata(md))
                    .isInstanceOf(TokenizerException.class)
                    .hasMessageContaining("'no-such-pre'")
                    .hasMessageContaining("tokenizer.ggml.pre");
        }

        @Test
        void readsBosAndAddBosFromTheFile() {
            Tokenizer t = Tokenizers.fromMetadata(HandmadeVocabularies.bpe("gpt-2", w -> w
                    .putUint32("tokenizer.ggml.bos_token_id", BPE_ENDOFTEXT)
                    .putBool("tokenizer.ggml.add_bos_token", true)));
            assertThat(t.addBosByDefault()).isTrue();
            assertThat(t.encode("ab", true, false)).containsExactly(BPE_ENDOFTEXT, BPE_AB);
        }
    }

    @Nested
    class SentencePiece {

        private final Tokenizer tok = HandmadeVocabularies.spm();

        @Test
        void mergesTheHighestScoringPairFirst() {
            // "▁abc": bc (-0.5) first, then abc (-1.0) beats ▁a (-3.0); "▁abc" is no piece.
            assertThat(tok.encode("abc")).containsExactly(SPM_SPACE, SPM_ABC);
            // "▁ab": ab (-1.5) beats ▁a (-3.0).
            assertThat(tok.encode("ab")).containsExactly(SPM_SPACE, SPM_AB);
            assertThat(tok.encode("a")).containsExactly(SPM_SPACE_A);
        }

        @Test
        void prefixesASpaceAndMarksSpaces() {
            assertThat(tok.encode("a a")).containsExactly(SPM_SPACE_A, SPM_SPACE_A);
            assertThat(tok.encode(" a")).containsExactly(SPM_SPACE, SPM_SPACE_A);
            assertThat(tok.encode("")).isEmpty();
            assertThat(tok.encode("", true, false)).containsExactly(SPM_BOS);
        }

        @Test
        void fallsBackToByteTokensForCharactersWithoutPiece() {
            assertThat(tok.encode("é")).containsExactly(SPM_SPACE, SPM_BYTE_0 + 0xC3, SPM_BYTE_0 + 0xA9);
            assertThat(tok.decode(new int[] {SPM_SPACE, SPM_BYTE_0 + 0xC3, SPM_BYTE_0 + 0xA9})).isEqualTo("é");
        }

        @Test
        void fallsBackToTheUnknownTokenWithoutByteTokens() {
            GgufWriter w = new GgufWriter()
                    .putString("tokenizer.ggml.model", "llama")
                    .putArray("tokenizer.ggml.tokens", GgufArray.ofStrings("<unk>", "▁", "a"))
                    .putArray("tokenizer.ggml.scores", GgufArray.ofFloats(0f, -1f, -1f))
                    .putArray("tokenizer.ggml.token_type", GgufArray.ofInts(GgufValueType.INT32, 2, 1, 1));
            Tokenizer t = Tokenizers.fromMetadata(HandmadeVocabularies.writeAndRead(w));
            assertThat(t.unknownId()).isZero();
            assertThat(t.encode("az")).containsExactly(1, 2, 0);
            assertThat(t.decode(new int[] {1, 2, 0})).isEqualTo("a");
        }

        @Test
        void keepsControlTextAsTextAndPrefixesASpaceAfterParsedSpecials() {
            int[] plain = tok.encode("</s>", false, false);
            assertThat(plain).containsExactly(SPM_SPACE, SPM_BYTE_0 + '<', SPM_BYTE_0 + '/', SPM_BYTE_0 + 's',
                    SPM_BYTE_0 + '>');
            assertThat(tok.decode(plain)).isEqualTo("</s>");
            assertThat(tok.encode("a</s>b", true, true))
                    .containsExactly(SPM_BOS, SPM_SPACE_A, SPM_EOS, SPM_SPACE, SPM_B);
        }

        @Test
        void removesOnlyTheAddedLeadingSpaceWhenDecoding() {
            assertThat(tok.decode(tok.encode("a a", true, false))).isEqualTo("a a");
            assertThat(tok.decode(tok.encode("  a"))).isEqualTo("  a");
            assertThat(tok.stripsLeadingSpace()).isTrue();
        }

        @Test
        void honoursAddSpacePrefixFalse() {
            Tokenizer t = Tokenizers.fromMetadata(
                    HandmadeVocabularies.spm(w -> w.putBool("tokenizer.ggml.add_space_prefix", false)));
            assertThat(t.encode("ab")).containsExactly(SPM_AB);
            assertThat(t.stripsLeadingSpace()).isFalse();
            assertThat(t.decode(t.encode(" ab"))).isEqualTo(" ab");
        }

        @Test
        void defaultsToAddingBosAndUsesEosAsEndOfGeneration() {
            assertThat(tok.addBosByDefault()).isTrue();
            assertThat(tok.addEosByDefault()).isFalse();
            assertThat(tok.eogIds()).containsExactly(SPM_EOS);
            assertThat(tok.isControl(SPM_BOS)).isTrue();
            assertThat(tok.tokenType(SPM_BYTE_0)).isEqualTo(TokenType.BYTE);
            assertThat(tok.tokenId("▁a")).isEqualTo(SPM_SPACE_A);
        }
    }

    @Test
    void refusesTokenizerModelsItDoesNotImplement() {
        GgufWriter w = new GgufWriter()
                .putString("tokenizer.ggml.model", "bert")
                .putArray("tokenizer.ggml.tokens", GgufArray.ofStrings("[PAD]", "a"));
        GgufMetadata md = HandmadeVocabularies.writeAndRead(w);
        assertThat(Tokenizers.supportsModel(md)).isFalse();
        assertThatThrownBy(() -> Tokenizers.fromMetadata(md))
                .isInstanceOf(TokenizerException.class)
                .hasMessageContaining("'bert'");
    }
}
