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
    }

    @Test
    void anUnknownNameIsRefusedWithTheChoices() {
        assertThatThrownBy(() -> KvCacheType.parse("q8_0"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("unknown KV cache type 'q8_0': choose one of f32, f16");
    }
}
