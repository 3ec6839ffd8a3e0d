package dev.switchyard.kernels;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.format.GgmlType;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shape checks every backend shares, on CPU matrices and weights. */
class OpChecksTest {

    private static final int E = 4;
    private static final int D = 8;
    private static final int F = 16;
    private static CpuBackend cpu;

    @BeforeAll
    static void start() {
        cpu = new CpuBackend(1);
    }

    @AfterAll
    static void stop() {
        cpu.close();
    }

    private static Weight stack(int rows, int cols, int count) {
        return cpu.weight(GgmlType.F32, Arena.ofAuto().allocate(4L * rows * cols * count), new long[] {cols, rows, count});
    }

    @Test
    void routedExpertsTakeLogitsOfEveryExpertAndStacksThatChain() {
        Weight gate = stack(F, D, E);
        Weight up = stack(F, D, E);
        Weight down = stack(D, F, E);
        FloatMatrix logits = cpu.allocate(3, E);
        FloatMatrix h = cpu.allocate(3, D);
        FloatMatrix x = cpu.allocate(3, D);
        assertThatCode(() -> OpChecks.routedExperts(logits, h, gate, up, down, 2, x, 3)).doesNotThrowAnyException();
        // down with gate's shape: F x D where D x F belongs
        assertThatThrownBy(() -> OpChecks.routedExperts(logits, h, gate, up, gate, 2, x, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("down CpuWeight[F32 16 x 8 x 4]");
        assertThatThrownBy(() -> OpChecks.routedExperts(cpu.allocate(3, E + 1), h, gate, up, down, 2, x, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("logits CpuMatrix[3 x 5]");
        assertThatThrownBy(() -> OpChecks.routedExperts(logits, h, gate, stack(F, D, E + 1), down, 2, x, 3))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OpChecks.routedExperts(logits, cpu.allocate(3, D + 1), gate, up, down, 2, x, 3))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OpChecks.routedExperts(logits, h, gate, up, down, 0, x, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("top 0 of 4");
        assertThatThrownBy(() -> OpChecks.routedExperts(logits, h, gate, up, down, 5, x, 3))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OpChecks.routedExperts(cpu.allocate(2, E), h, gate, up, down, 2, x, 3))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
