package dev.switchyard.engine.structured;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Whole matches against {@link java.util.regex}, whose syntax these patterns share (its {@code .}
 * read with UNIX_LINES, as Python's excludes only a newline): for random strings over each
 * pattern's alphabet, and for strings built to match; every prefix of a match still has a way on;
 * what cannot be held to is refused with its place.
 */
class RegexPatternTest {

    private static final String ALPHABET = "ab019-_. xyzAZ\n\té{}[]";

    @ParameterizedTest
    @ValueSource(strings = {
        "[0-9]{3}-[0-9]{4}", "(yes|no)", "a*b+c?", "(ab|a)*b", "\\d+(\\.\\d{1,2})?", "[a-z_][a-z0-9_]*",
        "^x{2,4}$", "(?:a|b){,3}z", "[^a-c]+", "\\w+@\\w+\\.(com|org)", "\\s*\\{\\s*\\}", ".{2}é", "[\\d-]+",
        "(a|b)*a(a|b){6}", "(?P<word>[A-Z][a-z]+)( z)?", "a{3}|b{1,}?", "[.][^.]",
        "\\x41\\u00e9", "[\\w\\s]{1,5}", "\\D\\W\\S", "x|", "(|a)b", "a[^\\x00-\\U0010ffff]|b+",
    })
    void wholeMatchesAgreeWithJavaRegex(String pattern) {
        RegexPattern nfa = RegexPattern.compile(pattern);
        // Java spells Python's named groups, {,m} and eight-digit escapes otherwise
        Pattern java = Pattern.compile(pattern.replace("(?P<", "(?<").replace("{,", "{0,")
                .replace("\\U0010ffff", "\\x{10FFFF}"), Pattern.UNIX_LINES);
        Random random = new Random(pattern.hashCode());
        int matched = 0;
        for (int i = 0; i < 4000; i++) {
            StringBuilder sb = new StringBuilder();
            int length = random.nextInt(12);
            for (int j = 0; j < length; j++) {
                sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
            }
            String s = sb.toString();
            boolean expected = java.matcher(s).matches();
            assertThat(nfa.matches(s)).as("'%s' against %s", s, pattern).isEqualTo(expected);
            if (expected) {
                matched++;
                assertEveryPrefixGoesOn(nfa, s);
            }
        }
        // strings that match, built by walking the automaton at random
        for (int i = 0; i < 300; i++) {
            String s = walk(nfa, random);
            if (s != null) {
                assertThat(java.matcher(s).matches()).as("'%s' made to match %s", s, pattern).isTrue();
                matched++;
            }
        }
        assertThat(matched).as("some strings match").isPositive();
    }

    /** Each proper prefix of a match leaves some character to take, and the match is accepted at its end. */
    private static void assertEveryPrefixGoesOn(RegexPattern nfa, String s) {
        long[] set = new long[nfa.words()];
        long[] next = new long[nfa.words()];
        nfa.start(set);
        for (int i = 0; i < s.length(); i++) {
            assertThat(nfa.canContinue(set)).isTrue();
            assertThat(nfa.step(set, s.charAt(i), next)).isTrue();
            long[] t = set;
            set = next;
            next = t;
        }
        assertThat(nfa.accepts(set)).isTrue();
    }

    /** A random string the automaton accepts, choosing among the characters it may take; null if none in 20. */
    private static String walk(RegexPattern nfa, Random random) {
        long[] set = new long[nfa.words()];
        long[] next = new long[nfa.words()];
        nfa.start(set);
        StringBuilder sb = new StringBuilder();
        for (int step = 0; step < 20; step++) {
            if (nfa.accepts(set) && (random.nextInt(3) == 0 || !nfa.canContinue(set))) {
                return sb.toString();
            }
            // any character it may take: ASCII ones in a random order, then others at random
            int cp = -1;
            int offset = random.nextInt(128);
            for (int tries = 0; tries < 400 && cp < 0; tries++) {
                int c = tries < 128 ? (offset + tries) % 128 : random.nextInt(0x3000);
                if (nfa.step(set, c, next)) {
                    cp = c;
                }
            }
            if (cp < 0) {
                return null;
            }
            sb.appendCodePoint(cp);
            long[] t = set;
            set = next;
            next = t;
        }
        return nfa.accepts(set) ? sb.toString() : null;
    }

    @Test
    void aCharacterOfAnyRangeIsSeenBeforeItIsWhole() {
        RegexPattern nfa = RegexPattern.compile("é+");
        long[] set = new long[nfa.words()];
        nfa.start(set);
        assertThat(nfa.anyIn(set, 0x80, 0x7FF)).as("a two-byte lead could begin é").isTrue();
        assertThat(nfa.anyIn(set, 0x800, 0xFFFF)).as("a three-byte lead could not").isFalse();
        assertThat(nfa.anyIn(set, 'a', 'z')).isFalse();
    }

    @Test
    void statesGrowWithThePatternNotWithItsDeterministicAutomaton() {
        // 2^26 states once deterministic; a few hundred here
        RegexPattern nfa = RegexPattern.compile("(a|b)*a(a|b){25}");
        assertThat(nfa.words() * 64).isLessThan(512);
        assertThat(nfa.matches("b" + "a" + "ab".repeat(12) + "b")).isTrue();
        assertThat(nfa.matches("b" + "b" + "ab".repeat(12) + "b")).isFalse();
    }

    @Test
    void whatCannotBeHeldToIsRefusedWithItsPlace() {
        for (List<String> c : List.of(
                List.of("(a)\\1", "character 3", "backreferences"),
                List.of("a(?=b)", "character 1", "lookaround"),
                List.of("(?i)a", "character 0", "inline flags"),
                List.of("\\bword", "character 0", "word boundaries"),
                List.of("a*+", "character 2", "possessive"),
                List.of("a^b", "character 1", "'^' inside"),
                List.of("a$b", "character 1", "'$' inside"),
                List.of("(ab", "character 3", "without its ')'"),
                List.of("ab)", "character 2", "without its '('"),
                List.of("[ab", "character 0", "without its ']'"),
                List.of("*a", "character 0", "nothing to repeat"),
                List.of("[z-a]", "character 4", "the range z-a"),
                List.of("a{5,2}", "character 6", "the count"),
                List.of("(a{100}){100}", "", "too large"),
                List.of("", "", "allows no text"),
                List.of("()", "", "allows no text"),
                List.of("[\\D]", "character 1", "inside a class"),
                List.of("[^\\x00-\\U0010ffff]", "", "nothing matches"))) {
            assertThatThrownBy(() -> RegexPattern.compile(c.get(0))).as(c.get(0))
                    .isInstanceOf(PatternException.class)
                    .hasMessageContaining(c.get(1)).hasMessageContaining(c.get(2));
        }
    }
}
