package dev.switchyard.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * Fill-in-the-middle tokens, as a file states them or, where it does not, found by their texts in
 * StarCoder's, refact's and DeepSeek-Coder's real vocabularies; those that end a middle (padding,
 * a repository's name, a file's start) end generation.
 */
class FimTokensTest {

    @Test
    void statedIdsWin() {
        Tokenizer t = Tokenizers.fromMetadata(HandmadeVocabularies.bpe("gpt-2", w -> w
                .putUint32(BaseTokenizer.KEY_FIM_PRE, HandmadeVocabularies.BPE_AB)
                .putUint32(BaseTokenizer.KEY_FIM_SUF, HandmadeVocabularies.BPE_ABC)
                .putUint32(BaseTokenizer.KEY_FIM_MID, HandmadeVocabularies.BPE_SPACE_A)
                .putUint32(BaseTokenizer.KEY_FIM_PAD, HandmadeVocabularies.BPE_IMG)));
        assertThat(t.fim()).isEqualTo(new FimTokens(HandmadeVocabularies.BPE_AB, HandmadeVocabularies.BPE_ABC,
                HandmadeVocabularies.BPE_SPACE_A, HandmadeVocabularies.BPE_IMG, -1, -1));
        assertThat(t.fim().canFill()).isTrue();
        assertThat(t.isEog(HandmadeVocabularies.BPE_IMG)).as("padding ends a middle").isTrue();
        assertThat(HandmadeVocabularies.bpe().fim()).isEqualTo(FimTokens.NONE);
        assertThat(FimTokens.NONE.canFill()).isFalse();
    }

    @Test
    void realCodeVocabulariesAreFoundByTheirTexts() {
        assumeTrue(VocabFiles.available(), VocabFiles.missingReason());
        Tokenizer starcoder = VocabFiles.tokenizer("starcoder");
        assertThat(starcoder.fim()).isEqualTo(new FimTokens(starcoder.tokenId("<fim_prefix>"),
                starcoder.tokenId("<fim_suffix>"), starcoder.tokenId("<fim_middle>"), starcoder.tokenId("<fim_pad>"),
                starcoder.tokenId("<repo_name>"), starcoder.tokenId("<file_sep>")));
        assertThat(starcoder.fim().prefix()).isEqualTo(1);
        assertThat(starcoder.fim().middle()).isEqualTo(2);
        assertThat(starcoder.fim().suffix()).isEqualTo(3);
        assertThat(starcoder.isEog(starcoder.fim().separator())).isTrue();
        Tokenizer refact = VocabFiles.tokenizer("refact");
        assertThat(refact.fim().canFill()).isTrue();
        assertThat(refact.fim().repo()).as("refact names files, not repositories").isEqualTo(-1);
        Tokenizer deepseek = VocabFiles.tokenizer("deepseek-coder");
        assertThat(deepseek.fim().prefix()).isEqualTo(deepseek.tokenId("<\uFF5Cfim\u2581begin\uFF5C>")).isPositive();
        assertThat(deepseek.fim().suffix()).isEqualTo(deepseek.tokenId("<\uFF5Cfim\u2581hole\uFF5C>")).isPositive();
        assertThat(deepseek.fim().middle()).isEqualTo(deepseek.tokenId("<\uFF5Cfim\u2581end\uFF5C>")).isPositive();
        assertThat(VocabFiles.tokenizer("gpt-2").fim()).isEqualTo(FimTokens.NONE);
    }
}
