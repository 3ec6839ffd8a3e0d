package dev.switchyard.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.switchyard.engine.gguf.GgufMetadata;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every real vocabulary file against the tokenizations its reference tokenizer produced. Files whose
 * tokenizer model or pre-tokenizer is not supported, or that carry no expected tokenizations, are
 * skipped with the reason.
 */
class RealVocabularyTest {

    private static final String MISSING = "<no vocabulary folder>";

    static Stream<String> vocabularies() {
        List<String> names = VocabFiles.names();
        return names.isEmpty() ? Stream.of(MISSING) : names.stream();
    }

    /** The tokenizer of a vocabulary, or the test is skipped saying why there is none. */
    private static Tokenizer supportedTokenizer(String vocab) {
        assumeTrue(VocabFiles.available(), VocabFiles::missingReason);
        GgufMetadata md = VocabFiles.metadata(vocab);
        String model = md.optString("tokenizer.ggml.model").orElse("<none>");
        assumeTrue(Tokenizers.supportsModel(md),
                () -> vocab + ": tokenizer model '" + model + "' is not supported (only llama and gpt2 are)");
        try {
            return VocabFiles.tokenizer(vocab);
        } catch (TokenizerException e) {
            return abort(vocab + ": " + e.getMessage());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabularies")
    void encodesEveryReferenceCaseExactlyAsTheReferenceTokenizer(String vocab) {
        Tokenizer tokenizer = supportedTokenizer(vocab);
        assumeTrue(VocabFiles.hasCases(vocab), () -> vocab + ": no .inp/.out expected tokenizations beside the file");
        List<VocabFiles.Case> cases = VocabFiles.cases(vocab);
        List<String> failures = new ArrayList<>();
        for (VocabFiles.Case c : cases) {
            int[] actual = tokenizer.encode(c.input(), false, false);
            if (!Arrays.equals(actual, c.expected())) {
                failures.add("case " + c.index() + " " + quote(c.input()) + "\n  expected " + Arrays.toString(c.expected())
                        + "\n  actual   " + Arrays.toString(actual));
            }
        }
        System.out.printf("vocab %-15s model=%-5s pre=%-15s %d/%d reference cases pass%n", vocab, tokenizer.model(),
                tokenizer.preTokenizer(), cases.size() - failures.size(), cases.size());
        assertThat(cases).isNotEmpty();
        assertThat(failures).as(vocab + ": cases whose tokens differ").isEmpty();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabularies")
    void decodesTheReferenceTokensOfEveryCaseBackToItsInput(String vocab) {
        Tokenizer tokenizer = supportedTokenizer(vocab);
        assumeTrue(VocabFiles.hasCases(vocab), () -> vocab + ": no .inp/.out expected tokenizations beside the file");
        for (VocabFiles.Case c : VocabFiles.cases(vocab)) {
            assertThat(tokenizer.decode(c.expected())).as("case %d", c.index()).isEqualTo(c.input());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("vocabularies")
    void loadsTheSpecialTokensTheFileDeclares(String vocab) {
        Tokenizer tokenizer = supportedTokenizer(vocab);
        GgufMetadata md = VocabFiles.metadata(vocab);
        assertThat(tokenizer.vocabSize()).isEqualTo(md.requireStringArray("tokenizer.ggml.tokens").length);
        md.optLong("tokenizer.ggml.bos_token_id").ifPresent(id -> assertThat(tokenizer.bosId()).isEqualTo(id));
        md.optLong("tokenizer.ggml.eos_token_id").ifPresent(id -> {
            assertThat(tokenizer.eosId()).isEqualTo(id);
            assertThat(tokenizer.isEog((int) id)).isTrue();
        });
        md.optBool("tokenizer.ggml.add_bos_token").ifPresent(b -> assertThat(tokenizer.addBosByDefault()).isEqualTo(b));
        int[] withBos = tokenizer.encode("Hello world", true, false);
        int[] without = tokenizer.encode("Hello world", false, false);
        assertThat(withBos[0]).isEqualTo(tokenizer.bosId());
        assertThat(Arrays.copyOfRange(withBos, 1, withBos.length)).containsExactly(without);
        assertThat(tokenizer.decode(withBos)).isEqualTo("Hello world");
    }

    private static String quote(String s) {
        String shown = s.length() > 60 ? s.substring(0, 60) + "..." : s;
        return '"' + shown.replace("\n", "\\n").replace("\t", "\\t") + '"';
    }
}
