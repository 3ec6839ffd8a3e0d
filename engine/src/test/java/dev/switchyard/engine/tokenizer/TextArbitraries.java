package dev.switchyard.engine.tokenizer;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Tuple;

/** Generators of text that exercise tokenizers: words that merge, every kind of code point, odd spacing. */
final class TextArbitraries {

    private TextArbitraries() {
    }

    private static final List<String> WORDS = List.of(
            "the", " the", "Hello", " world", "'s", "'ll", "don't", "123", "4567", " 89", "   ", "\n", "\n\n", "\t",
            " \n ", "\r\n", "()", "{}", "=>", "...", "!!", "__init__", "<|", "|>", "</", "s>", "[PAD", "]",
            "Äpfel", "нещо", "我想在", "工作", "🦙", "😶‍🌫️", "✅", "ﬁ", "naïve", "한국어", "日本語", "\u00a0", "\u3000");

    private static Arbitrary<String> codePoint() {
        return Arbitraries.frequencyOf(
                Tuple.of(30, Arbitraries.integers().between(0x20, 0x7E)),
                Tuple.of(6, Arbitraries.of(0x20, 0x0A, 0x09, 0x0D, 0x0B, 0x0C, 0x85, 0xA0, 0x2028, 0x3000)),
                Tuple.of(3, Arbitraries.integers().between(0x00, 0x1F)),
                Tuple.of(8, Arbitraries.integers().between(0x80, 0x7FF)),
                Tuple.of(8, Arbitraries.integers().between(0x800, 0xFFFF)
                        .filter(c -> c < Character.MIN_SURROGATE || c > Character.MAX_SURROGATE)),
                Tuple.of(5, Arbitraries.integers().between(0x10000, 0x10FFFF)),
                Tuple.of(5, Arbitraries.integers().between(0x4E00, 0x9FFF)),
                Tuple.of(4, Arbitraries.integers().between(0x1F300, 0x1FAFF)))
                .map(Character::toString);
    }

    /** Arbitrary Unicode text (valid code points only: no lone surrogates). */
    static Arbitrary<String> unicodeText() {
        Arbitrary<String> atom = Arbitraries.frequencyOf(
                Tuple.of(3, codePoint()),
                Tuple.of(1, Arbitraries.of(WORDS)));
        return atom.list().ofMaxSize(40).map(parts -> String.join("", parts));
    }
}
