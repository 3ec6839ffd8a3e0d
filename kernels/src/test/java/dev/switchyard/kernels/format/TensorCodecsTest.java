package dev.switchyard.kernels.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TensorCodecsTest {

    static Stream<GgmlType> supportedTypes() {
        return Arrays.stream(GgmlType.values()).filter(GgmlType::isSupported);
    }

    static Stream<GgmlType> unsupportedTypes() {
        return Arrays.stream(GgmlType.values()).filter(t -> !t.isSupported());
    }

    @ParameterizedTest
    @MethodSource("supportedTypes")
    void everySupportedTypeHasACodecForThatType(GgmlType type) {
        assertThat(TensorCodecs.forType(type).type()).isEqualTo(type);
    }

    @ParameterizedTest
    @MethodSource("unsupportedTypes")
    void unsupportedTypesAreRefused(GgmlType type) {
        assertThatThrownBy(() -> TensorCodecs.forType(type))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining(type.name());
    }

    @Test
    void supportsExactlyTheFloatTypesAndTwentyQuantizations() {
        assertThat(supportedTypes()).containsExactlyInAnyOrder(GgmlType.F32, GgmlType.F16, GgmlType.BF16,
                GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_1, GgmlType.Q5_0, GgmlType.Q5_1, GgmlType.Q2_K, GgmlType.Q3_K, GgmlType.Q4_K, GgmlType.Q5_K,
                GgmlType.Q6_K, GgmlType.IQ4_NL, GgmlType.IQ4_XS, GgmlType.IQ2_XXS, GgmlType.IQ2_XS, GgmlType.IQ2_S,
                GgmlType.IQ3_XXS, GgmlType.IQ3_S, GgmlType.IQ1_S, GgmlType.IQ1_M, GgmlType.MXFP4);
    }
}
