package dev.switchyard.kernels.cpu;

import static org.assertj.core.api.Assertions.assertThat;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VecTest {

    @Test
    void expIsAccurateAndVectorEqualsScalar() {
        int n = 4096 * Vec.L;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -87f + 175f * i / n;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i += Vec.L) {
            Vec.exp(FloatVector.fromArray(Vec.F, x, i)).intoArray(v, i);
        }
        double worst = 0;
        for (int i = 0; i < n; i++) {
            assertThat(v[i]).as("exp(%s)", x[i]).isEqualTo(Vec.exp(x[i]));
            double exact = Math.exp(x[i]);
            if (x[i] < 88.3f) {
                worst = Math.max(worst, Math.abs(v[i] - exact) / exact);
            }
        }
        assertThat(worst).as("max relative error").isLessThan(5e-7);
        assertThat(Vec.exp(89f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(Vec.exp(-1000f)).isBetween(0f, 1e-37f);
        assertThat(Vec.exp(0f)).isEqualTo(1f);
    }

    @Test
    void hsumAddsEveryLane() {
        float[] a = new float[Vec.L];
        for (int i = 0; i < a.length; i++) {
            a[i] = 1 << i;
        }
        assertThat(Vec.hsum(FloatVector.fromArray(Vec.F, a, 0))).isEqualTo((float) ((1 << Vec.L) - 1));
        float[] r = TestData.gaussian(3, 100 * Vec.L, 1e3f);
        for (int i = 0; i < 100; i++) {
            assertThat(Vec.hsum(r, i * Vec.L)).as("array and vector versions agree")
                    .isEqualTo(Vec.hsum(FloatVector.fromArray(Vec.F, r, i * Vec.L)));
        }
    }

    @Test
    void bitsShiftsAndMasksEachByte() {
        byte[] b = new byte[16];
        for (int i = 0; i < 16; i++) {
            b[i] = (byte) (i * 37 + 201);
        }
        var q = jdk.incubator.vector.ByteVector.fromArray(Vec.B16, b, 0);
        byte[] hi = Vec.bits(q, 4, 0x0F0F0F0F).toArray();
        byte[] two = Vec.bits(q, 6, 0x03030303).toArray();
        for (int i = 0; i < 16; i++) {
            assertThat(hi[i]).isEqualTo((byte) ((b[i] & 0xFF) >>> 4));
            assertThat(two[i]).isEqualTo((byte) ((b[i] & 0xFF) >>> 6));
        }
    }
}
