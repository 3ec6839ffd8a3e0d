package dev.switchyard.engine.structured;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.engine.sampling.Sampler;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.engine.sampling.SamplingScratch;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A reply held to its parts token by token, on a small vocabulary of plain texts: tokens that carry
 * the reply on are allowed, others refused, and the reply is finished at its last byte; the sampler
 * never chooses a refused token, however the model prefers it.
 */
class OutputConstraintTest {

    /** 0 "{", 1 "}", 2 "\"", 3 "a", 4 ":", 5 "1", 6 " ", 7 "</think>", 8 "\"a\":", 9 "}\n</tool>", 10 "hmm", 11 "<tool>" */
    private static final TokenTexts VOCAB = TokenTexts.ofPlain("{", "}", "\"", "a", ":", "1", " ", "</think>", "\"a\":",
            "}\n</tool>", "hmm", "<tool>");
    private static final JsonSchema A_IS_NUMBER = JsonMatcherTest.schema(
            "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"}},\"required\":[\"a\"],"
                    + "\"additionalProperties\":false}");

    private static int[] allowed(OutputConstraint c) {
        return java.util.stream.IntStream.range(0, VOCAB.size()).filter(c::allows).toArray();
    }

    @Test
    void onlyTokensThatCarryTheValueOnAreAllowedAndItEndsAtItsLastByte() {
        OutputConstraint c = new OutputConstraint(VOCAB, OutputConstraint.jsonOnly(A_IS_NUMBER), null);
        assertThat(allowed(c)).containsExactly(0, 6);
        c.accept(0);
        assertThat(allowed(c)).as("a key, or blanks; not } while a is required").containsExactly(2, 6, 8);
        c.accept(8);
        assertThat(allowed(c)).containsExactly(5, 6);
        c.accept(5);
        assertThat(allowed(c)).as("the end, more digits, blanks; not what would follow the end").containsExactly(1, 5, 6);
        c.accept(1);
        assertThat(c.finished()).isTrue();
        assertThat(allowed(c)).isEmpty();
    }

    @Test
    void freeTextRunsUntilTheMarkerAndATokenThatEndsItMustCarryTheValueOn() {
        OutputConstraint c = new OutputConstraint(VOCAB, OutputConstraint.jsonOnly(A_IS_NUMBER), "</think>");
        assertThat(allowed(c)).as("thinking is free").hasSize(VOCAB.size());
        c.accept(10);
        c.accept(7);
        assertThat(c.finished()).isFalse();
        assertThat(allowed(c)).containsExactly(0, 6);
    }

    @Test
    void aThinkingBudgetClosesTheThinkingOnceItsTokensAreSpent() {
        OutputConstraint c = new OutputConstraint(VOCAB, List.of(OutputConstraint.freeUntil("</think>", 2),
                OutputConstraint.rest()), -1);
        c.accept(10);
        assertThat(allowed(c)).as("one token of the budget left").hasSize(VOCAB.size());
        c.accept(6);
        assertThat(allowed(c)).as("spent: only the marker").containsExactly(7);
        float[] logits = new float[VOCAB.size()];
        c.mask(logits);
        assertThat(java.util.stream.IntStream.range(0, VOCAB.size()).filter(t -> logits[t] == 0f).toArray())
                .containsExactly(7);
        c.accept(7);
        assertThat(allowed(c)).as("the answer runs free").hasSize(VOCAB.size());
        c.accept(1);
        assertThat(c.finished()).as("the rest never ends by itself").isFalse();

        OutputConstraint held = new OutputConstraint(VOCAB, List.of(OutputConstraint.freeUntil("</think>", 0),
                OutputConstraint.json(A_IS_NUMBER)), -1);
        assertThat(allowed(held)).as("no thinking at all").containsExactly(7);
        held.accept(7);
        assertThat(allowed(held)).containsExactly(0, 6);
    }

    @Test
    void literalPartsAreSpelledExactlyAroundTheValue() {
        List<OutputConstraint.Part> parts = List.of(OutputConstraint.literal("<tool>"), OutputConstraint.json(A_IS_NUMBER),
                OutputConstraint.literal("\n</tool>"));
        OutputConstraint c = new OutputConstraint(VOCAB, parts, null);
        assertThat(allowed(c)).containsExactly(11);
        for (int t : new int[] {11, 0, 8, 5}) {
            c.accept(t);
        }
        assertThat(allowed(c)).as("the closing brace alone, or with the literal after it").contains(1, 9);
        c.accept(9);
        assertThat(c.finished()).isTrue();
    }

    @Test
    void theSamplerChoosesOnlyAllowedTokensAndStopsWhenTheValueIsWhole() {
        for (SamplingParams params : List.of(SamplingParams.builder().temperature(0).build(),
                SamplingParams.builder().temperature(1.5).seed(7L).build())) {
            OutputConstraint c = new OutputConstraint(VOCAB, OutputConstraint.jsonOnly(A_IS_NUMBER), null);
            Sampler sampler = new Sampler(params, VOCAB.size(), new SamplingScratch(VOCAB.size()), c);
            float[] logits = new float[VOCAB.size()];
            Arrays.fill(logits, 0f);
            logits[10] = 20f; // the model would rather say "hmm"
            StringBuilder out = new StringBuilder();
            for (int step = 0; step < 40; step++) {
                int token = sampler.sample(logits);
                sampler.accept(token);
                out.append(new String(VOCAB.bytes(token), java.nio.charset.StandardCharsets.UTF_8));
                if (sampler.isStopToken(token, false)) {
                    break;
                }
            }
            assertThat(c.finished()).as(out.toString()).isTrue();
            assertThat(JsonMatcherTest.whole(A_IS_NUMBER, out.toString())).as(out.toString()).isTrue();
            assertThat(sampler.candidatesNeeded()).as("a constrained sampler needs the whole row").isZero();
        }
    }

    /** Masking by first byte refuses exactly the tokens asking one by one refuses, wherever the reply stands. */
    @Test
    void maskingByFirstByteRefusesWhatAskingEachTokenRefuses() {
        List<String> pieces = new java.util.ArrayList<>(List.of("{", "}", "\"", ":", ",", " ", "\n", "[", "]", "1", "-",
                "0.5", "true", "null", "\\", "\"a\"", "\"unit\":", "celsius", "\"c", "}}", "} ", ", \"", "é", "\u0000"));
        for (char c = 'a'; c <= 'z'; c++) {
            pieces.add(String.valueOf(c));
        }
        TokenTexts vocab = TokenTexts.ofPlain(pieces.toArray(String[]::new));
        JsonSchema schema = JsonMatcherTest.schema("{\"type\":\"object\",\"properties\":{\"unit\":{\"enum\":"
                + "[\"celsius\",\"fahrenheit\"]},\"a\":{\"type\":\"array\",\"items\":{\"type\":\"number\"}},"
                + "\"n\":{\"type\":\"string\"}},\"required\":[\"unit\"]}");
        java.util.Random random = new java.util.Random(3);
        for (int walk = 0; walk < 200; walk++) {
            OutputConstraint c = new OutputConstraint(vocab, OutputConstraint.jsonOnly(schema), null);
            for (int step = 0; step < 30 && !c.finished(); step++) {
                float[] byGroup = new float[vocab.size()];
                float[] oneByOne = new float[vocab.size()];
                c.mask(byGroup);
                for (int t = 0; t < vocab.size(); t++) {
                    oneByOne[t] = c.allows(t) ? 0f : Float.NEGATIVE_INFINITY;
                }
                assertThat(byGroup).as("walk %d step %d", walk, step).containsExactly(oneByOne);
                int[] open = java.util.stream.IntStream.range(0, vocab.size()).filter(c::allows).toArray();
                if (open.length == 0) {
                    break;
                }
                c.accept(open[random.nextInt(open.length)]);
            }
        }
    }

    /** Printable ASCII, one token per character, then "<call>" as one token. */
    private static final TokenTexts ASCII = asciiAndCall();

    private static TokenTexts asciiAndCall() {
        String[] pieces = new String[96];
        for (int c = 32; c < 127; c++) {
            pieces[c - 32] = String.valueOf((char) c);
        }
        pieces[95] = "<call>";
        return TokenTexts.ofPlain(pieces);
    }

    /** Feeds {@code text} a character at a time (the "<call>" token where {@code call} is set); whether all was allowed. */
    private static boolean writes(OutputConstraint c, String text) {
        for (int i = 0; i < text.length(); i++) {
            int token = text.startsWith("<call>", i) ? 95 : text.charAt(i) - 32;
            if (!c.allows(token)) {
                return false;
            }
            c.accept(token);
            if (token == 95) {
                i += "<call>".length() - 1;
            }
        }
        return true;
    }

    /**
     * Calls held in a free reply: text runs free until a call opens, the call's name is one of those
     * offered, its arguments follow that name's schema, and after it the reply is free again, for
     * as many calls as it makes; the reply never finishes by itself.
     */
    @Test
    void heldCallsRepeatWithFreeTextBetweenAndEachNameItsOwnSchema() {
        JsonSchema f = JsonMatcherTest.schema("{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"integer\"}},"
                + "\"required\":[\"x\"],\"additionalProperties\":false}");
        JsonSchema g = JsonMatcherTest.schema("{\"type\":\"object\",\"properties\":{\"y\":{\"type\":\"boolean\"}},"
                + "\"additionalProperties\":false}");
        List<OutputConstraint.Part> parts = List.of(OutputConstraint.freeUntil("<call>"),
                OutputConstraint.oneOf(List.of("f", "g")), OutputConstraint.literal("("),
                OutputConstraint.jsonByChoice(List.of(f, g)), OutputConstraint.literal(")"));
        OutputConstraint held = new OutputConstraint(ASCII, parts, 0);
        assertThat(writes(held, "Sure. <call>f({\"x\":1}) and <call>g({\"y\":true}) done {not json")).isTrue();
        assertThat(held.finished()).isFalse();
        assertThat(writes(new OutputConstraint(ASCII, parts, 0), "<call>f({\"y\":true})")).as("f's own schema").isFalse();
        assertThat(writes(new OutputConstraint(ASCII, parts, 0), "<call>h(")).as("only the names offered").isFalse();
        assertThat(writes(new OutputConstraint(ASCII, parts, 0), "<call>g({\"y\":true}")).isTrue();
        OutputConstraint once = new OutputConstraint(ASCII, parts, -1);
        assertThat(writes(once, "x<call>f({\"x\":2})")).isTrue();
        assertThat(once.finished()).as("without repeating, the reply ends with its call").isTrue();
    }

    // ---- regular expressions ----------------------------------------------------------------------

    /**
     * Digits, letters, pieces of several characters, é whole and as its two UTF-8 bytes apart, a
     * control token and an end-of-generation token (the last two).
     */
    private static TokenTexts regexVocab() {
        List<byte[]> bytes = new java.util.ArrayList<>();
        for (String t : List.of("0", "1", "2", "3", "9", "-", "a", "b", "x", "y", "e", "s", "n", "o", "12", "3-4", "-1",
                "ab", "yes", "no", "é", "xé")) {
            bytes.add(t.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        bytes.add(new byte[] {(byte) 0xC3});
        bytes.add(new byte[] {(byte) 0xA9});
        bytes.add("<c>".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        bytes.add(new byte[0]);
        int n = bytes.size();
        boolean[] control = new boolean[n];
        boolean[] eog = new boolean[n];
        control[n - 2] = true;
        control[n - 1] = true;
        eog[n - 1] = true;
        return new TokenTexts(bytes.toArray(byte[][]::new), control, eog);
    }

    /**
     * Random walks through replies held to a pattern: masking by first byte refuses what asking each
     * token refuses; every text written is the beginning of a match; the end-of-generation token is
     * allowed exactly where the text is a whole match; control tokens never; a match nothing may
     * follow ends the reply by itself. Checked against java.util.regex.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"[0-9]{3}-[0-9]{2,4}", "(yes|no)", "é+x?", "(ab)*", "x[^0-9]+y",
        "-?[0-9]+"})
    void aRegexHoldsTheTextToBeginningsOfAMatchAndEndsItOnlyOnAWholeOne(String pattern) {
        RegexPattern compiled = RegexPattern.compile(pattern);
        walkHeldReplies(OutputConstraint.regex(compiled), java.util.regex.Pattern.compile(pattern));
    }

    /**
     * The same walks through replies held to grammars, whose languages here are regular, against
     * java.util.regex; masking walks the vocabulary in byte order, so it is checked against asking
     * each token.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource(delimiterString = " ~~ ", quoteCharacter = '`', value = {
        "root ::= [0-9]{3} \"-\" [0-9]{2,4} ~~ [0-9]{3}-[0-9]{2,4}",
        "root ::= \"yes\" | \"no\" ~~ yes|no",
        "root ::= \"é\"+ \"x\"? ~~ é+x?",
        "root ::= r\\nr ::= r \"ab\" | ~~ (ab)*",
        "root ::= \"x\" [^0-9]+ \"y\" ~~ x[^0-9]+y",
        "root ::= sign? digits\\nsign ::= \"-\"\\ndigits ::= [0-9] | digits [0-9] ~~ -?[0-9]+",
    })
    void aGrammarHoldsTheTextToBeginningsOfASentenceAndEndsItOnlyOnAWholeOne(String gbnf, String regex) {
        Grammar g = Grammar.compile(gbnf.replace("\\n", "\n"));
        walkHeldReplies(OutputConstraint.grammar(g), java.util.regex.Pattern.compile(regex));
    }

    private static void walkHeldReplies(OutputConstraint.Part part, java.util.regex.Pattern oracle) {
        TokenTexts vocab = regexVocab();
        int eos = vocab.size() - 1;
        java.util.Random random = new java.util.Random(oracle.pattern().hashCode());
        int ended = 0;
        for (int walk = 0; walk < 150; walk++) {
            OutputConstraint c = new OutputConstraint(vocab, List.of(part), null);
            java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
            for (int step = 0; step < 25; step++) {
                String sofar = text.toString(java.nio.charset.StandardCharsets.UTF_8);
                if (c.finished()) {
                    assertThat(oracle.matcher(sofar).matches()).as("'%s' finished", sofar).isTrue();
                    ended++;
                    break;
                }
                float[] byGroup = new float[vocab.size()];
                c.mask(byGroup);
                int[] open = java.util.stream.IntStream.range(0, vocab.size()).filter(c::allows).toArray();
                for (int t = 0; t < vocab.size(); t++) {
                    assertThat(byGroup[t] == 0f).as("token %d after '%s'", t, sofar).isEqualTo(c.allows(t));
                }
                boolean whole = text.size() == 0 || sofar.indexOf('\uFFFD') < 0 ? oracle.matcher(sofar).matches() : false;
                assertThat(c.allows(eos)).as("the end after '%s'", sofar).isEqualTo(whole);
                assertThat(c.allows(eos - 1)).as("a control token").isFalse();
                if (open.length == 0) {
                    throw new AssertionError("no way on after '" + sofar + "'");
                }
                int token = open[random.nextInt(open.length)];
                c.accept(token);
                if (token == eos) {
                    assertThat(oracle.matcher(sofar).matches()).isTrue();
                    ended++;
                    break;
                }
                text.writeBytes(vocab.bytes(token));
                String now = text.toString(java.nio.charset.StandardCharsets.UTF_8);
                if (now.indexOf('\uFFFD') < 0) {
                    java.util.regex.Matcher m = oracle.matcher(now);
                    // a failed whole match that ran into the end: more text could still make one
                    assertThat(m.matches() || m.hitEnd()).as("'%s' begins a match", now).isTrue();
                }
            }
        }
        assertThat(ended).as("walks that ended").isPositive();
    }
}
