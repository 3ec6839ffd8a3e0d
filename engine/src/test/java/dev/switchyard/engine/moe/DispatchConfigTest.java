package dev.switchyard.engine.moe;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The settings parse from their command-line spellings and reject what makes no sense. */
class DispatchConfigTest {

    @Test
    void overflowModesParseFromTheirNames() {
        assertThat(OverflowMode.parse("none")).isEqualTo(OverflowMode.NONE);
        assertThat(OverflowMode.parse("drop")).isEqualTo(OverflowMode.DROP);
        assertThat(OverflowMode.parse(" Reroute ")).isEqualTo(OverflowMode.REROUTE);
        assertThat(OverflowMode.REROUTE.cliName()).isEqualTo("reroute");
        assertThat(OverflowMode.DROP).hasToString("drop");
    }

    @Test
    void anUnknownOverflowModeNamesTheChoices() {
        assertThatThrownBy(() -> OverflowMode.parse("spill"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("overflow mode must be one of none, drop, reroute; got 'spill'");
        assertThatThrownBy(() -> OverflowMode.parse(null)).hasMessageEndingWith("got nothing");
    }

    @Test
    void capacityScopesParseFromTheirNames() {
        assertThat(CapacityScope.parse("sequence")).isEqualTo(CapacityScope.SEQUENCE);
        assertThat(CapacityScope.parse("BATCH")).isEqualTo(CapacityScope.BATCH);
        assertThatThrownBy(() -> CapacityScope.parse("global"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("capacity scope must be one of sequence, batch; got 'global'");
    }

    @Test
    void defaultsAreDroplessSequenceScopeGammaOneWindowSixtyFour() {
        DispatchConfig config = DispatchConfig.defaults(true);
        assertThat(config.mode()).isEqualTo(OverflowMode.NONE);
        assertThat(config.gamma()).isEqualTo(1.0);
        assertThat(config.scope()).isEqualTo(CapacityScope.SEQUENCE);
        assertThat(config.window()).isEqualTo(64);
        assertThat(config.normalizeTopK()).isTrue();
        assertThat(config.capacityLimited()).isFalse();
        assertThat(config.withNormalizeTopK(false).normalizeTopK()).isFalse();
    }

    @Test
    void parsesFromCommandLineSpellings() {
        DispatchConfig config = DispatchConfig.parse("reroute", 1.25, "batch", 32, false);
        assertThat(config).isEqualTo(new DispatchConfig(OverflowMode.REROUTE, 1.25, CapacityScope.BATCH, 32, false));
        assertThat(config.capacityLimited()).isTrue();
    }

    @Test
    void gammaMustBeFiniteAndPositive() {
        for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> new DispatchConfig(OverflowMode.DROP, bad, CapacityScope.SEQUENCE, 64, true))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("capacity factor must be finite and > 0; got " + bad);
        }
    }

    @Test
    void windowMustBeAtLeastOne() {
        assertThatThrownBy(() -> new DispatchConfig(OverflowMode.DROP, 1, CapacityScope.SEQUENCE, 0, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("capacity window must be at least 1 position; got 0");
    }

    @Test
    void modeAndScopeAreRequired() {
        assertThatThrownBy(() -> new DispatchConfig(null, 1, CapacityScope.SEQUENCE, 64, true)).hasMessageContaining("overflow mode");
        assertThatThrownBy(() -> new DispatchConfig(OverflowMode.NONE, 1, null, 64, true)).hasMessageContaining("capacity scope");
    }
}
