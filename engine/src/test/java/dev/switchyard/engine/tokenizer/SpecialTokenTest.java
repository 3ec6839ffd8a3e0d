package dev.switchyard.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AddLifecycleHook;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Control-token texts in user input, end-of-generation sets, and tokens split out of any text. */
class SpecialTokenTest {

    @BeforeEach
    void requireVocabFiles() {
        assumeTrue(VocabFiles.available(), VocabFiles::missingReason);
    }

    @Test
    void userTextWithChatMarkupStaysTextUnlessParsingIsRequested() {
        Tokenizer phi3 = VocabFiles.tokenizer("phi-3");
        String text = "<s><|user|>\nHi<|end|>\n<|assistant|>";
        int[] controls = {phi3.bosId(), phi3.tokenId("<|user|>"), phi3.tokenId("<|end|>"), phi3.tokenId("<|assistant|>")};
        int[] plain = phi3.encode(text, false, false);
        assertThat(plain).doesNotContain(controls);
        assertThat(phi3.decode(plain)).isEqualTo(text);

        int[] parsed = phi3.encode(text, false, true);
        assertThat(parsed).contains(controls);
        // SentencePiece prefixes a space to text that follows a special token, as llama.cpp does.
        assertThat(phi3.decode(parsed, true)).isEqualTo("<s><|user|> \nHi<|end|> \n<|assistant|>");
        assertThat(phi3.decode(parsed)).isEqualTo("\nHi \n");
    }

    @Test
    void llamaEndOfSentenceTextIsNeverTheEosTokenInPlainText() {
        Tokenizer llama = VocabFiles.tokenizer("llama-spm");
        int[] ids = llama.encode("the end</s>", false, false);
        assertThat(ids).doesNotContain(llama.eosId(), llama.bosId());
        assertThat(llama.decode(ids)).isEqualTo("the end</s>");
        assertThat(llama.encode("the end</s>", false, true)).endsWith(llama.eosId());
    }

    @Test
    void userDefinedTokenThatIsEosIsNeverProducedFromPlainText() {
        // A vocabulary that files its end-of-sequence token as user-defined, as some conversions do.
        Tokenizer tok = Tokenizers.fromMetadata(HandmadeVocabularies.bpe("gpt-2",
                w -> w.putUint32("tokenizer.ggml.eos_token_id", HandmadeVocabularies.BPE_IMG)));
        assertThat(tok.tokenType(tok.eosId())).isEqualTo(TokenType.USER_DEFINED);
        int[] plain = tok.encode("ab[IMG]", false, false);
        assertThat(plain).doesNotContain(tok.eosId());
        assertThat(tok.decode(plain)).isEqualTo("ab[IMG]");
        assertThat(tok.encode("ab[IMG]", false, true)).endsWith(tok.eosId());
    }

    @Test
    void endOfGenerationSetHoldsEosAndControlTokensThatEndTurns() {
        Tokenizer phi3 = VocabFiles.tokenizer("phi-3");
        assertThat(phi3.eogIds()).contains(phi3.eosId(), phi3.tokenId("<|end|>"));
        assertThat(phi3.isEog(phi3.tokenId("<|user|>"))).isFalse();
        assertThat(phi3.isEog(phi3.tokenId("</s>"))).as("user-defined, not control").isFalse();

        Tokenizer gpt2 = VocabFiles.tokenizer("gpt-2");
        assertThat(gpt2.eogIds()).containsExactly(50256);
        Tokenizer deepseekCoder = VocabFiles.tokenizer("deepseek-coder");
        assertThat(deepseekCoder.eogIds()).containsExactly(deepseekCoder.eosId());
        assertThat(deepseekCoder.isControl(deepseekCoder.eosId())).isTrue();
    }

    @Test
    void userDefinedTokensAreSplitOutOfPlainText() {
        // MPT's vocabulary adds runs of spaces as user-defined tokens; its reference tokenizer uses them.
        Tokenizer mpt = VocabFiles.tokenizer("mpt");
        int threeSpaces = mpt.tokenId("   ");
        assertThat(mpt.tokenType(threeSpaces)).isEqualTo(TokenType.USER_DEFINED);
        assertThat(mpt.encode("   Hello", false, false)).startsWith(threeSpaces);
    }

    @Provide
    Arbitrary<String> vocab() {
        return Arbitraries.of(VocabFiles.supportedNames());
    }

    /** A text with the text of one of the vocabulary's control tokens spliced in. */
    record Spliced(String vocab, String text, int control) {
    }

    @Provide
    Arbitrary<Spliced> textWithControlTokenText() {
        Arbitrary<String> text = TextArbitraries.unicodeText();
        return vocab().flatMap(v -> {
            Tokenizer tok = VocabFiles.tokenizer(v);
            List<Integer> controls = IntStream.range(0, tok.vocabSize())
                    .filter(id -> tok.tokenType(id) == TokenType.CONTROL && !tok.tokenText(id).isEmpty())
                    .boxed().toList();
            return Combinators.combine(text, Arbitraries.of(controls), text)
                    .as((a, id, b) -> new Spliced(v, a + tok.tokenText(id) + b, id))
                    .filter(sp -> VocabFiles.roundTrips(v, sp.text()));
        });
    }

    @Property(tries = 300)
    @AddLifecycleHook(VocabFiles.RequireVocabFiles.class)
    void controlTokenTextInUserTextStaysText(@ForAll("textWithControlTokenText") Spliced s) {
        Tokenizer tok = VocabFiles.tokenizer(s.vocab());
        int[] ids = tok.encode(s.text(), false, false);
        assertThat(Arrays.stream(ids).noneMatch(tok::isControl)).as(Arrays.toString(ids)).isTrue();
        assertThat(tok.decode(ids)).isEqualTo(s.text());
        assertThat(tok.encode(s.text(), false, true)).contains(s.control());
    }
}
