package dev.switchyard.engine.structured;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Grammars read from GBNF and parsed character by character: for grammars whose language is
 * regular, every string over a small alphabet is refused, let on or matched exactly as
 * java.util.regex decides for the same language; nested and counted languages against counters; a
 * JSON grammar against Jackson; and what cannot hold replies is refused with its place.
 */
class GrammarTest {

    private static final String ALPHABET = "abc0129+(),xyzé-\\";

    /** -1: some character refused; 0: every character taken, not a whole sentence; 1: a whole sentence. */
    static int read(Grammar g, String s) {
        GrammarCursor c = new GrammarCursor();
        c.start(new EarleyChart(g));
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            if (!c.take(cp)) {
                return -1;
            }
            i += Character.charCount(cp);
        }
        return c.atMatch() ? 1 : 0;
    }

    @ParameterizedTest
    @CsvSource(delimiterString = " ~~ ", quoteCharacter = '`', value = {
        "root ::= [0-9]{3} \"-\" [0-9]{2,4} ~~ [0-9]{3}-[0-9]{2,4}",
        "root ::= (\"ab\" | \"a\")* \"b\" ~~ (ab|a)*b",
        "root ::= expr\\nexpr ::= expr \"+\" term | term\\nterm ::= [0-9]+ | \"(\" [0-9]+ \")\" "
            + " ~~ ([0-9]+|\\([0-9]+\\))(\\+([0-9]+|\\([0-9]+\\)))*",
        "root ::= item (\",\" item)*  # a list\\nitem ::= [a-z]+ | \"é\" ~~ ([a-z]+|é)(,([a-z]+|é))*",
        "root ::= \"x\"? (\"y\" | \"z\"){,3} [^xyz] ~~ x?(y|z){0,3}[^xyz]",
        "root ::= \"a\" root | \"b\" ~~ a*b",
        "root ::= a b \"c\"\\na ::= \"a\"?\\nb ::= a a | \"b\"* ~~ a?(a?a?|b*)c",
        "root ::= s\\ns ::= s s | \"a\" | \"b\" \"a\"? ~~ (a|ba?)+",
        "root ::= . . \"z\" ~~ ..z",
        "root ::= ( [0-2]+ \"+\" ){2,} [a] ~~ ([0-2]+\\+){2,}a",
        "root ::= \"\\x61\\u00e9\\U00000062\" [\\x30-\\x39\\-] ~~ aéb[0-9-]",
        "root ::= \"(\" ch* \")\"\\nch ::= [^()\\\\] | \"\\\\\" [()] ~~ \\(([^()\\\\]|\\\\[()])*\\)",
    })
    void regularLanguagesAgreeWithJavaRegex(String gbnf, String regex) {
        Grammar g = Grammar.compile(gbnf.replace("\\n", "\n").strip());
        Pattern oracle = Pattern.compile(regex.strip(), Pattern.DOTALL);
        Random random = new Random(gbnf.hashCode());
        int matched = 0;
        for (int i = 0; i < 3000; i++) {
            StringBuilder sb = new StringBuilder();
            int length = random.nextInt(10);
            for (int j = 0; j < length; j++) {
                sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            }
            matched += agree(g, gbnf, oracle, sb.toString());
        }
        // strings of the language: the oracle's matches, grown a character at a time
        for (int i = 0; i < 300; i++) {
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < 40 && sb.length() < 12; j++) {
                String longer = sb.toString() + ALPHABET.charAt(random.nextInt(ALPHABET.length()));
                matched += agree(g, gbnf, oracle, longer);
                java.util.regex.Matcher m = oracle.matcher(longer);
                if (m.matches() || m.hitEnd()) {
                    sb.setLength(0);
                    sb.append(longer);
                }
            }
        }
        assertThat(matched).as("strings of the language met").isGreaterThan(20);
    }

    private static int agree(Grammar g, String gbnf, Pattern oracle, String s) {
        java.util.regex.Matcher m = oracle.matcher(s);
        boolean whole = m.matches();
        // a failed whole match that ran into the end of the text: more text could still make one
        int expected = whole ? 1 : m.hitEnd() ? 0 : -1;
        assertThat(read(g, s)).as("'%s' in %s", s, gbnf).isEqualTo(expected);
        return whole ? 1 : 0;
    }

    @Test
    void nestedParenthesesAreCountedAsDeepAsTheyGo() {
        Grammar g = Grammar.compile("""
                root ::= "(" inner ")"
                inner ::= ( "(" inner ")" )*
                """);
        Random random = new Random(3);
        for (int i = 0; i < 4000; i++) {
            StringBuilder sb = new StringBuilder();
            int length = random.nextInt(16);
            for (int j = 0; j < length; j++) {
                sb.append(random.nextInt(5) < 3 ? '(' : ')');
            }
            String s = sb.toString();
            int depth = 0;
            int expected = 0;
            for (int j = 0; j < s.length(); j++) {
                depth += s.charAt(j) == '(' ? 1 : -1;
                if (depth < 0 || depth == 0 && j < s.length() - 1) {
                    expected = -1; // closed too often, or text after the outer pair closed
                    break;
                }
            }
            if (expected == 0 && !s.isEmpty() && depth == 0) {
                expected = 1;
            }
            assertThat(read(g, s)).as("'%s'", s).isEqualTo(expected);
        }
        assertThat(read(g, "(".repeat(300) + ")".repeat(300))).isEqualTo(1);
    }

    @Test
    void aCountedLanguageEndsOnlyWhenTheCountsAgree() {
        Grammar g = Grammar.compile("root ::= \"a\" root \"b\" | \"ab\"");
        for (int n = 1; n < 30; n++) {
            assertThat(read(g, "a".repeat(n) + "b".repeat(n))).isEqualTo(1);
            assertThat(read(g, "a".repeat(n) + "b".repeat(n - 1))).isEqualTo(0);
            assertThat(read(g, "a".repeat(n) + "b".repeat(n + 1))).isEqualTo(-1);
        }
        assertThat(read(g, "aba")).isEqualTo(-1);
    }

    static final String JSON = """
            # JSON as RFC 8259 has it
            root   ::= ws value ws
            value  ::= object | array | string | number | "true" | "false" | "null"
            object ::= "{" ws ( member ( ws "," ws member )* ws )? "}"
            member ::= string ws ":" ws value
            array  ::= "[" ws ( value ( ws "," ws value )* ws )? "]"
            string ::= "\\"" char* "\\""
            char   ::= [^"\\\\\\x00-\\x1f] | "\\\\" ( ["\\\\/bfnrt] | "u" [0-9a-fA-F]{4} )
            number ::= "-"? ( "0" | [1-9] [0-9]* ) ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )?
            ws     ::= [ \\t\\n\\r]*
            """;

    @Test
    void aJsonGrammarMatchesWhatJacksonReads() {
        Grammar g = Grammar.compile(JSON);
        ObjectMapper jackson = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
        List<String> documents = List.of("{\"a\": [1, 2.5e-3, -0, true, null], \"b\": {\"c\": \"x\\u00e9\\n\"}}",
                " [ ] ", "\"plain\"", "-12.75E+2", "{\"k\":{\"k\":{\"k\":[[[]]]}}}", "[\"\\\"\\\\\\/\\b\\f\\r\\t\"]",
                "{ \"é日本\" : false }");
        Random random = new Random(11);
        int whole = 0;
        for (String doc : documents) {
            for (int i = 0; i < 400; i++) {
                String s = i == 0 ? doc : mutate(doc, random);
                boolean valid;
                try {
                    jackson.readTree(s);
                    valid = !s.isBlank();
                } catch (Exception e) {
                    valid = false;
                }
                assertThat(read(g, s) == 1).as("'%s'", s).isEqualTo(valid);
                whole += valid ? 1 : 0;
            }
        }
        assertThat(whole).as("valid documents met").isGreaterThan(50);
    }

    private static String mutate(String doc, Random random) {
        StringBuilder sb = new StringBuilder(doc);
        String noise = "{}[]\",:0-1e.E+ \\ntuf\u0001";
        for (int k = 0, n = 1 + random.nextInt(2); k < n && !sb.isEmpty(); k++) {
            int at = random.nextInt(sb.length());
            switch (random.nextInt(3)) {
                case 0 -> sb.deleteCharAt(at);
                case 1 -> sb.insert(at, noise.charAt(random.nextInt(noise.length())));
                default -> sb.setCharAt(at, noise.charAt(random.nextInt(noise.length())));
            }
        }
        return sb.toString();
    }

    @Test
    void aRunOfFreeTextTakesNoColumns() {
        Grammar g = Grammar.compile(JSON);
        GrammarCursor c = new GrammarCursor();
        c.start(new EarleyChart(g));
        String opening = "{\"key\": \"";
        opening.codePoints().forEach(cp -> assertThat(c.take(cp)).isTrue());
        int used = c.columnsUsed();
        String run = "free text, é and 日本 too, \\\" escapes and \\u00e9 ".repeat(400);
        run.codePoints().forEach(cp -> assertThat(c.take(cp)).isTrue());
        assertThat(c.columnsUsed()).as("columns for %d characters", run.length()).isLessThan(used + 20);
        "\"}".codePoints().forEach(cp -> assertThat(c.take(cp)).isTrue());
        assertThat(c.atMatch()).isTrue();
        assertThat(read(g, opening + run + "\"}")).isEqualTo(1);
        assertThat(read(g, opening + run + "\u0001")).isEqualTo(-1);
    }

    @Test
    void everyTextLetOnCanStillBeFinished() {
        // b recurses forever: the alternative that needs it is dropped, so "x" is refused at once
        Grammar g = Grammar.compile("root ::= \"x\" b | \"y\"\nb ::= \"z\" b");
        assertThat(read(g, "x")).isEqualTo(-1);
        assertThat(read(g, "y")).isEqualTo(1);
        assertThat(read(g, "")).isZero();
    }

    @ParameterizedTest
    @CsvSource(delimiterString = " ~~ ", quoteCharacter = '`', value = {
        "root ::= item\\nitem ::= [a-z] other ~~ line 2, column 16 ('other'): the rule 'other' is used but never defined",
        "main ::= \"a\" ~~ the grammar: it defines no rule 'root'",
        "root ::= \"a\"\\nroot ::= \"b\" ~~ line 2, column 1 ('root ::= \"b\"'): the rule 'root' is defined twice",
        "root ::= \"abc ~~ line 1, column 10 ('\"abc'): the literal is never closed",
        "root ::= [a- ~~ line 1, column 10 ('[a-'): the class is never closed",
        "root ::= [] ~~ the class is empty",
        "root ::= [^\\x00-\\U0010FFFF] ~~ the class excludes every character",
        "root ::= (\"a\" | \"b\" ~~ line 1, column 10 ('(\"a\" | \"b\"'): the group is never closed",
        "root ::= \"\\q\" ~~ unknown escape \\q",
        "root ::= \"\\u12\" ~~ the escape needs 4 hexadecimal digits",
        "root ::= \"\\uD800\" ~~ the escape is not a character (U+D800)",
        "root ::= \"a\"{3,2} ~~ the repetition's most is less than its least",
        "root ::= \"a\"{20000} ~~ a repetition counts to at most 10000",
        "root ::= \"a\"{x} ~~ expected a count",
        "root ::= <think> \"a\" ~~ token references such as <...> are not supported",
        "root ::= \"a\" ::= \"b\" ~~ expected a rule's name, a \"literal\"",
        "root \"a\" ~~ line 1, column 6 ('\"a\"'): expected ::= after the rule's name 'root'",
        "root ::= root \"a\" ~~ line 1, column 1 ('root ::= roo'): root can never be finished",
        "root ::= \"\" | \"\"* ~~ root matches only the empty text",
        "# nothing ~~ it has no rules",
        "root ::= [a]{10000} [b]{10000} [c]{10000} [d]{10000} [e]{10000} [f]{10000} [g]{10000} ~~ more than 65536 elements",
    })
    void whatCannotHoldRepliesIsRefusedWithItsPlace(String gbnf, String message) {
        assertThatThrownBy(() -> Grammar.compile(gbnf.replace("\\n", "\n").strip()))
                .isInstanceOf(GrammarException.class).hasMessageContaining(message.strip());
    }

    @Test
    void rulesRunOnAcrossLinesAndCommentsUntilTheNextRule() {
        Grammar g = Grammar.compile("""
                root ::=   # a greeting
                  "hi"
                  | "hello"   # or a longer one
                    ( " " name )?
                name ::= [A-Z] [a-z]*
                """);
        assertThat(read(g, "hi")).isEqualTo(1);
        assertThat(read(g, "hello Ann")).isEqualTo(1);
        assertThat(read(g, "hi Ann")).isEqualTo(-1);
    }
}
