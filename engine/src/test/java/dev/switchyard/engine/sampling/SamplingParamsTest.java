package dev.switchyard.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class SamplingParamsTest {

    @Test
    void defaultsAreTemperatureOneWithEveryFilterAndPenaltyOff() {
        SamplingParams p = SamplingParams.defaults();
        assertThat(p.temperature()).isEqualTo(1.0);
        assertThat(p.topK()).isZero();
        assertThat(p.topP()).isEqualTo(1.0);
        assertThat(p.minP()).isZero();
        assertThat(p.repetitionPenalty()).isEqualTo(1.0);
        assertThat(p.presencePenalty()).isZero();
        assertThat(p.frequencyPenalty()).isZero();
        assertThat(p.logitBias()).isEmpty();
        assertThat(p.seed()).isNull();
        assertThat(p.stopTokenIds()).isEmpty();
        assertThat(p.ignoreEos()).isFalse();
        assertThat(p.logprobs()).isEqualTo(SamplingParams.NO_LOGPROBS);
        assertThat(p.wantsLogprobs()).isFalse();
        assertThat(p.hasPenalties()).isFalse();
        assertThat(p.isGreedy()).isFalse();
    }

    @Test
    void greedyFactoryHasTemperatureZeroAndOtherwiseDefaults() {
        SamplingParams g = SamplingParams.greedy();
        assertThat(g.isGreedy()).isTrue();
        assertThat(g).isEqualTo(SamplingParams.defaults().toBuilder().temperature(0).build());
    }

    @Test
    void nullCollectionsBecomeEmptyAndCollectionsAreDefensiveCopies() {
        Map<Integer, Double> bias = new HashMap<>(Map.of(3, 1.5));
        Set<Integer> stops = new HashSet<>(Set.of(7));
        SamplingParams p = SamplingParams.builder().logitBias(bias).stopTokenIds(stops).build();
        bias.put(4, 2.0);
        stops.add(8);
        assertThat(p.logitBias()).containsOnlyKeys(3);
        assertThat(p.stopTokenIds()).containsExactly(7);
        assertThatThrownBy(() -> p.logitBias().put(5, 1.0)).isInstanceOf(UnsupportedOperationException.class);

        SamplingParams n = new SamplingParams(1, 0, 1, 0, 1, 0, 0, null, null, null, false, -1);
        assertThat(n.logitBias()).isEmpty();
        assertThat(n.stopTokenIds()).isEmpty();
    }

    @Test
    void boundaryValuesAreAccepted() {
        SamplingParams.builder().temperature(0).topK(0).topP(1).minP(0).presencePenalty(-2).frequencyPenalty(2)
                .logprobs(0).logitBias(Map.of(0, -100.0, 1, 100.0)).build();
        SamplingParams.builder().topP(1e-9).minP(1).presencePenalty(2).frequencyPenalty(-2).logprobs(20)
                .repetitionPenalty(1e-3).build();
    }

    static Stream<Arguments> invalid() {
        return Stream.of(
                bad("temperature", b -> b.temperature(-0.5), "-0.5"),
                bad("temperature", b -> b.temperature(Double.NaN), "NaN"),
                bad("temperature", b -> b.temperature(Double.POSITIVE_INFINITY), "Infinity"),
                bad("top_k", b -> b.topK(-1), "-1"),
                bad("top_p", b -> b.topP(0), "0.0"),
                bad("top_p", b -> b.topP(1.5), "1.5"),
                bad("top_p", b -> b.topP(Double.NaN), "NaN"),
                bad("min_p", b -> b.minP(-0.1), "-0.1"),
                bad("min_p", b -> b.minP(1.01), "1.01"),
                bad("repetition_penalty", b -> b.repetitionPenalty(0), "0.0"),
                bad("repetition_penalty", b -> b.repetitionPenalty(-1), "-1.0"),
                bad("repetition_penalty", b -> b.repetitionPenalty(Double.POSITIVE_INFINITY), "Infinity"),
                bad("presence_penalty", b -> b.presencePenalty(2.5), "2.5"),
                bad("presence_penalty", b -> b.presencePenalty(Double.NaN), "NaN"),
                bad("frequency_penalty", b -> b.frequencyPenalty(-2.01), "-2.01"),
                bad("logprobs", b -> b.logprobs(21), "21"),
                bad("logprobs", b -> b.logprobs(-2), "-2"),
                bad("logit_bias", b -> b.logitBias(Map.of(5, 100.5)), "100.5"),
                bad("logit_bias", b -> b.logitBias(Map.of(5, Double.NaN)), "NaN"),
                bad("logit_bias", b -> b.logitBias(Map.of(-3, 1.0)), "-3"),
                bad("logit_bias", b -> b.logitBias(nullValueBias()), "null"),
                bad("stop_token_ids", b -> b.stopTokenIds(-4), "-4"));
    }

    private static Map<Integer, Double> nullValueBias() {
        Map<Integer, Double> m = new HashMap<>();
        m.put(2, null);
        return m;
    }

    private static Arguments bad(String field, UnaryOperator<SamplingParams.Builder> edit, String shown) {
        return Arguments.of(field, edit, shown);
    }

    @ParameterizedTest(name = "{0} = {2}")
    @MethodSource("invalid")
    void invalidValuesAreRejectedWithAMessageNamingTheFieldAndValue(String field,
            UnaryOperator<SamplingParams.Builder> edit, String shown) {
        assertThatThrownBy(() -> edit.apply(SamplingParams.builder()).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(field)
                .hasMessageContaining(shown);
    }

    @Test
    void biasMessageNamesTheToken() {
        assertThatThrownBy(() -> SamplingParams.builder().logitBias(Map.of(42, -250.0)).build())
                .hasMessage("logit_bias for token 42 must be in [-100, 100], got -250.0");
    }

    @Test
    void tokenIdsOutsideTheVocabularyAreRejectedWhenTheSamplerIsBuilt() {
        SamplingParams bias = SamplingParams.builder().logitBias(Map.of(10, 1.0)).build();
        assertThatThrownBy(() -> new Sampler(bias, 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("logit_bias token id 10 is outside the vocabulary of 10 tokens");
        SamplingParams stops = SamplingParams.builder().stopTokenIds(3, 99).build();
        assertThatThrownBy(() -> new Sampler(stops, 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("stop_token_ids token id 99");
    }
}
