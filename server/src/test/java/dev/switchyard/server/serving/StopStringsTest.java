package dev.switchyard.server.serving;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class StopStringsTest {

    @Test
    void holdsBackWhatMayBeginAStopStringAndReleasesItWhenItDoesNot() {
        StopStrings stops = new StopStrings(List.of("</end>"));
        assertThat(stops.push("Hello </")).isEqualTo("Hello ");
        assertThat(stops.push("em>")).isEqualTo("</em>");
        assertThat(stops.push(" and <")).isEqualTo(" and ");
        assertThat(stops.flush()).isEqualTo("<");
        assertThat(stops.matched()).isFalse();
        assertThat(stops.found()).isNull();
    }

    @Test
    void aStopStringSplitAcrossTokensEndsTheTextBeforeIt() {
        StopStrings stops = new StopStrings(List.of("STOP", "ab"));
        assertThat(stops.push("xyzST")).isEqualTo("xyz");
        assertThat(stops.push("OPmore")).isEqualTo("");
        assertThat(stops.matched()).isTrue();
        assertThat(stops.found()).isEqualTo("STOP");
        assertThat(stops.push("later")).isEmpty();
        assertThat(stops.flush()).isEmpty();
    }

    @Test
    void theEarliestOfSeveralMatchesWins() {
        StopStrings stops = new StopStrings(List.of("world", "lo w"));
        assertThat(stops.push("hello world")).isEqualTo("hel");
        assertThat(stops.found()).as("the string that matched first").isEqualTo("lo w");
    }

    @Test
    void withoutStopStringsTextPassesStraightThrough() {
        StopStrings none = new StopStrings(List.of());
        assertThat(none.push("abc")).isEqualTo("abc");
        assertThat(none.flush()).isEmpty();
    }
}
