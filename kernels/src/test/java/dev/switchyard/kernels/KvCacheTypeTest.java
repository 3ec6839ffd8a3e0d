package dev.switchyard.kernels;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KvCacheTypeTest {

    @Test
    void namesParseInAnyCaseAndGiveTheirElementSize() {
        assertThat(KvCacheType.parse("f16")).isEqualTo(KvCacheType.F16);
        assertThat(KvCacheType.parse(" F32 ")).isEqualTo(KvCacheType.F32);
        assertThat(KvCacheType.F16.bytes()).isEqualTo(2);
        assertThat(KvCacheType.F32.bytes()).isEqualTo(4);
        assertThat(KvCacheType.F16.label()).isEqualTo("f16");
        assertThat(KvCacheType.parse("Q8_0")).isEqualTo(KvCacheType.Q8_0);
        assertThat(KvCacheType.Q8_0.bytes()).isEqualTo(1);
    }

    @Test
    void anUnknownNameIsRefusedWithTheChoices() {
        assertThatThrownBy(() -> KvCacheType.parse("q4_0"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown KV cache type 'q4_0': choose one of f32, f16, q8_0");
    }
}
