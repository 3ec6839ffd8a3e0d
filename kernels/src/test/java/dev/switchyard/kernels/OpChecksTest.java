package dev.switchyard.kernels;

import static dev.switchyard.kernels.ExpertFfnForm.SWIGLU;
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
    /** A well-formed layer of E experts for a step of 3 tokens: stacked gate, up and down, router logits, h and x. */
    private static Weight gate;
    private static Weight up;
    private static Weight down;
    private static FloatMatrix logits;
    private static FloatMatrix h;
    private static FloatMatrix x;

    @BeforeAll
    static void start() {
        cpu = new CpuBackend(1);
        gate = stack(F, D, E);
        up = stack(F, D, E);
        down = stack(D, F, E);
        logits = cpu.allocate(3, E);
        h = cpu.allocate(3, D);
        x = cpu.allocate(3, D);
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
        assertThatCode(() -> OpChecks.routedExperts(logits, h, gate, up, down, SWIGLU, 2, x, 3)).doesNotThrowAnyException();
        // down with gate's shape: F x D where D x F belongs
        assertThatThrownBy(() -> OpChecks.routedExperts(logits, h, gate, up, gate, SWIGLU, 2, x, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("down CpuWeight[F32 16 x 8 x 4]");
        assertThatThrownBy(() -> OpChecks.routedExperts(cpu.allocate(3, E + 1), h, gate, up, down, SWIGLU, 2, x, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("logits CpuMatrix[3 x 5]");
        assertThatThrownBy(() -> OpChecks.routedExperts(logits, h, gate, stack(F, D, E + 1), down, SWIGLU, 2, x, 3))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OpChecks.routedExperts(logits, cpu.allocate(3, D + 1), gate, up, down, SWIGLU, 2, x, 3))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OpChecks.routedExperts(logits, h, gate, up, down, SWIGLU, 0, x, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("top 0 of 4");
        assertThatThrownBy(() -> OpChecks.routedExperts(logits, h, gate, up, down, SWIGLU, 5, x, 3))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> OpChecks.routedExperts(cpu.allocate(2, E), h, gate, up, down, SWIGLU, 2, x, 3))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void routingRulesTakeABiasPerExpertAndGroupsThatSplitTheExperts() {
        TopKRouting deepSeek = new TopKRouting(2, true, new float[E], 2, 1, true, 2.5f);
        assertThatCode(() -> OpChecks.routedExperts(logits, h, gate, up, down, SWIGLU, deepSeek, x, 3))
                .doesNotThrowAnyException();
        TopKRouting longBias = new TopKRouting(2, true, new float[E + 1], 1, 1, true, 1f);
        assertThatThrownBy(() -> OpChecks.routedExperts(logits, h, gate, up, down, SWIGLU, longBias, x, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a selection bias of 5 values for 4 experts");
        TopKRouting threeGroups = new TopKRouting(2, true, null, 3, 2, true, 1f);
        assertThatThrownBy(() -> OpChecks.routedExperts(logits, h, gate, up, down, SWIGLU, threeGroups, x, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4 experts do not fall into 3 equal groups");
        assertThatThrownBy(() -> OpChecks.routedExperts(logits, h, gate, up, down, SWIGLU,
                TopKRouting.softmax(5, true), x, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("top 5 of 4");
        assertThatThrownBy(() -> new TopKRouting(2, true, null, 2, 3, true, 1f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("1 to 2 of 2 groups, not 3");
        assertThatThrownBy(() -> new TopKRouting(2, true, null, 1, 1, true, 0f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("finite and positive");
    }

    @Test
    void routedExpertsBiasesStackARowPerExpert() {
        ExpertFfnForm gptOss = ExpertFfnForm.clampedSwiglu(new float[E * F], new float[E * F], new float[E * D], 1.702f, 7f);
        assertThatCode(() -> OpChecks.routedExperts(logits, h, gate, up, down, gptOss, 2, x, 3)).doesNotThrowAnyException();
        // down's bias as wide as an expert
        ExpertFfnForm swapped = ExpertFfnForm.clampedSwiglu(new float[E * F], new float[E * F], new float[E * F], 1.702f, 7f);
        assertThatThrownBy(() -> OpChecks.routedExperts(logits, h, gate, up, down, swapped, 2, x, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("4 rows of 16 (gate, up) and of 8 (down) values; got 64, 64 and 64");
        // gate's one row short
        ExpertFfnForm short1 = ExpertFfnForm.clampedSwiglu(new float[(E - 1) * F], new float[E * F], new float[E * D], 1.702f, 7f);
        assertThatThrownBy(() -> OpChecks.routedExperts(logits, h, gate, up, down, short1, 2, x, 3))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 48, 64 and 32");
        assertThatThrownBy(() -> new ExpertFfnForm(new float[E * F], null, new float[E * D], true, 1.702f, 7f))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("together");
    }
}
