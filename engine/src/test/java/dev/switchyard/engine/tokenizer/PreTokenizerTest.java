package dev.switchyard.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class PreTokenizerTest {

    @Test
    void gpt2SplitsContractionsWordsNumbersAndKeepsTheLastSpaceWithTheNextWord() {
        assertThat(PreTokenizer.forName("gpt-2").splitToStrings("Hello world's  test 123!!\n"))
                .containsExactly("Hello", " world", "'s", " ", " test", " 123", "!!", "\n");
    }

    @Test
    void llama3GroupsDigitsByThreeAndContractionsIgnoringCase() {
        assertThat(PreTokenizer.forName("llama-bpe").splitToStrings("I'LL pay 1234567 now\n\n  x"))
                .containsExactly("I", "'LL", " pay", " ", "123", "456", "7", " now", "\n\n", " ", " x");
    }

    @Test
    void qwen2SplitsEveryDigit() {
        assertThat(PreTokenizer.forName("qwen2").splitToStrings("v12")).containsExactly("v", "1", "2");
    }

    @Test
    void laterExpressionsOnlySeeThePiecesOfEarlierOnes() {
        // Falcon: punctuation runs first, then GPT-2 words, then digit triples within number pieces.
        assertThat(PreTokenizer.forName("falcon").splitToStrings("a.b 12345"))
                .containsExactly("a", ".", "b", " ", "123", "45");
    }

    @Test
    void deepseekCoderKeepsNewlinesApartAndSplitsDigits() {
        // '=' is a math symbol, not punctuation, so " = " stays one piece.
        assertThat(PreTokenizer.forName("deepseek-coder").splitToStrings("if x:\n  y = 42"))
                .containsExactly("if", " x", ":", "\n", " ", " y", " = ", "4", "2");
    }

    @Test
    void unknownNamesFailLoudlyAndMissingNamesMeanDefault() {
        assertThatThrownBy(() -> PreTokenizer.forName("tokenizer-from-the-future"))
                .isInstanceOf(TokenizerException.class)
                .hasMessageContaining("'tokenizer-from-the-future'")
                .hasMessageContaining("llama-bpe");
        assertThat(PreTokenizer.forName(null).name()).isEqualTo("default");
        assertThat(PreTokenizer.supportedNames())
                .contains("default", "gpt-2", "llama-bpe", "qwen2", "olmo", "deepseek-llm", "deepseek-coder", "falcon",
                        "starcoder", "refact", "mpt");
    }

    @Provide
    Arbitrary<String> text() {
        return TextArbitraries.unicodeText();
    }

    @Property(tries = 500)
    void deepseekLlmFastStepsSplitExactlyAsItsRegularExpressions(@ForAll("text") String text) {
        PreTokenizer reference = PreTokenizer.ofRegexes("deepseek-llm", PreTokenizer.deepseekLlmRegexes());
        assertThat(PreTokenizer.forName("deepseek-llm").splitToStrings(text))
                .containsExactlyElementsOf(reference.splitToStrings(text));
    }

    @Property(tries = 300)
    void piecesAlwaysCoverTheTextExactly(@ForAll("text") String text) {
        for (String name : PreTokenizer.supportedNames()) {
            assertThat(String.join("", PreTokenizer.forName(name).splitToStrings(text))).as(name).isEqualTo(text);
        }
    }
}
