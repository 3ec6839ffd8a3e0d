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
    void kimiK2SplitsHanRunsFromOtherLettersButKeepsKanaInWords() {
        PreTokenizer kimi = PreTokenizer.forName("kimi-k2");
        assertThat(kimi.splitToStrings("Hello世界")).containsExactly("Hello", "世界");
        // Han cannot follow a space as a word does, so the space stands alone.
        assertThat(kimi.splitToStrings("Hello 世界")).containsExactly("Hello", " ", "世界");
        // Kana are Lo like Han, but not of the Han script: they stay letters of a word.
        assertThat(kimi.splitToStrings("日本語テキスト")).containsExactly("日本語", "テキスト");
        assertThat(kimi.splitToStrings("漢字とかな")).containsExactly("漢字", "とかな");
        // The iteration mark is Lm, yet of the Han script, so it stays in the Han run.
        assertThat(kimi.splitToStrings("人々は")).containsExactly("人々", "は");
    }

    @Test
    void kimiK2AttachesContractionsIgnoringCaseAndGroupsDigitsByThree() {
        PreTokenizer kimi = PreTokenizer.forName("kimi-k2");
        assertThat(kimi.splitToStrings("IT'S what we'Ve done")).containsExactly("IT'S", " what", " we'Ve", " done");
        assertThat(kimi.splitToStrings("x12345")).containsExactly("x", "123", "45");
    }

    @Test
    void kimiK2SplitsCamelCaseOnlyWhereAnUpperCaseLetterFollowsALowerCaseOne() {
        PreTokenizer kimi = PreTokenizer.forName("kimi-k2");
        assertThat(kimi.splitToStrings("HelloWorld")).containsExactly("Hello", "World");
        // Upper-case letters then lower-case ones are one word: the acronym keeps the next word's capital.
        assertThat(kimi.splitToStrings("HTTPServer")).containsExactly("HTTPServer");
        assertThat(kimi.splitToStrings("XMLHttpRequest")).containsExactly("XMLHttp", "Request");
        assertThat(kimi.splitToStrings("getHTTP")).containsExactly("get", "HTTP");
    }

    @Test
    void kimiK2KeepsNewlinesWithPunctuationAndTheLastSpaceWithTheNextWord() {
        PreTokenizer kimi = PreTokenizer.forName("kimi-k2");
        assertThat(kimi.splitToStrings("Hi, there!!\n\nok")).containsExactly("Hi", ",", " there", "!!\n\n", "ok");
        assertThat(kimi.splitToStrings("x = {\n")).containsExactly("x", " =", " {\n");
        // Unlike GPT-4o, a '/' after the newlines starts the next piece.
        assertThat(kimi.splitToStrings("!\n/x")).containsExactly("!\n", "/x");
        assertThat(kimi.splitToStrings(" \n\n")).containsExactly(" \n\n");
        assertThat(kimi.splitToStrings("a   b")).containsExactly("a", "  ", " b");
        assertThat(kimi.splitToStrings("a \n b")).containsExactly("a", " \n", " b");
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
                        "starcoder", "refact", "mpt", "kimi-k2");
        assertThatThrownBy(() -> PreTokenizer.forName("kimi")).isInstanceOf(TokenizerException.class);
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
