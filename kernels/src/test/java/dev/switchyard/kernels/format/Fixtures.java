package dev.switchyard.kernels.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/** Test data and byte plumbing shared by the codec tests. Every generator has a fixed seed. */
final class Fixtures {

    private static final ValueLayout.OfShort LE_SHORT =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Eight super-blocks: a whole number of blocks for every type, small enough to stay fast. */
    static final int N = 2048;

    private Fixtures() {
    }

    /** The data sets every round-trip test runs on, by name. */
    static Map<String, float[]> dataSets() {
        Map<String, float[]> sets = new LinkedHashMap<>();
        sets.put("gaussian", gaussian(1, N, 1f));
        sets.put("uniform", uniform(2, N));
        sets.put("zeros", new float[N]);
        sets.put("constant", filled(N, 0.3f));
        sets.put("negative constant", filled(N, -1.7f));
        sets.put("one large outlier per 256", withOutliers(3, N));
        sets.put("tiny", gaussian(4, N, 1e-4f));
        sets.put("negative only", negativeOnly(5, N));
        sets.put("mixed magnitudes", mixedMagnitudes(6, N));
        return sets;
    }

    static float[] gaussian(long seed, int n, float sigma) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) r.nextGaussian() * sigma;
        }
        return x;
    }

    static float[] uniform(long seed, int n) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = r.nextFloat() * 2f - 1f;
        }
        return x;
    }

    static float[] filled(int n, float v) {
        float[] x = new float[n];
        Arrays.fill(x, v);
        return x;
    }

    /** Small weights with one value 5000x their sigma somewhere in every 256. */
    static float[] withOutliers(long seed, int n) {
        Random r = new Random(seed);
        float[] x = gaussian(seed, n, 0.02f);
        for (int b = 0; b < n; b += 256) {
            x[b + r.nextInt(256)] = r.nextBoolean() ? 100f : -100f;
        }
        return x;
    }

    static float[] negativeOnly(long seed, int n) {
        float[] x = gaussian(seed, n, 1f);
        for (int i = 0; i < n; i++) {
            x[i] = -Math.abs(x[i]) - 0.01f;
        }
        return x;
    }

    /** Each run of 32 values has its own magnitude, from 1e-3 to 1e3. */
    static float[] mixedMagnitudes(long seed, int n) {
        Random r = new Random(seed);
        float[] x = gaussian(seed, n, 1f);
        for (int b = 0; b < n; b += 32) {
            float scale = (float) Math.pow(10, r.nextInt(7) - 3);
            for (int i = b; i < b + 32; i++) {
                x[i] *= scale;
            }
        }
        return x;
    }

    /**
     * 256 values from a 32-bit LCG, every operation exact in float so that C reproduces them bit
     * for bit: u = ((s >>> 8) &amp; 0xFFFF) / 65536 - 0.375 with s = s * 1103515245 + 12345 from
     * s = 20240607, times 1 + (i / 32) % 4 so the sub-blocks differ in range. The golden bytes in
     * the K-quant tests are what ggml's reference quantizers make of this input.
     */
    static float[] ggmlGoldenInput() {
        float[] x = new float[256];
        int s = 20240607;
        for (int i = 0; i < 256; i++) {
            s = s * 1103515245 + 12345;
            float u = ((s >>> 8) & 0xFFFF) / 65536f - 0.375f;
            x[i] = u * (1 + (i / 32) % 4);
        }
        return x;
    }

    static MemorySegment fromHex(String hex) {
        int[] values = new int[hex.length() / 2];
        for (int i = 0; i < values.length; i++) {
            values[i] = Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        }
        return bytes(values);
    }

    /** A segment holding exactly the given bytes (each int taken modulo 256). */
    static MemorySegment bytes(int... values) {
        MemorySegment s = Arena.ofAuto().allocate(Math.max(1, values.length));
        for (int i = 0; i < values.length; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) values[i]);
        }
        return s.asSlice(0, values.length);
    }

    static MemorySegment encode(TensorCodec codec, float[] x) {
        MemorySegment s = Arena.ofAuto().allocate(codec.type().byteSize(x.length));
        codec.quantize(x, 0, s, 0, x.length);
        return s;
    }

    static float[] decode(TensorCodec codec, MemorySegment s, int n) {
        float[] y = new float[n];
        codec.dequantize(s, 0, y, 0, n);
        return y;
    }

    static float[] roundTrip(TensorCodec codec, float[] x) {
        return decode(codec, encode(codec, x), x.length);
    }

    static double rms(float[] x, int from, int len) {
        double sum = 0;
        for (int i = from; i < from + len; i++) {
            sum += (double) x[i] * x[i];
        }
        return Math.sqrt(sum / len);
    }

    static double rmsError(float[] x, float[] y, int from, int len) {
        double sum = 0;
        for (int i = from; i < from + len; i++) {
            double e = (double) x[i] - y[i];
            sum += e * e;
        }
        return Math.sqrt(sum / len);
    }

    static float maxAbs(float[] x, int from, int len) {
        float m = 0f;
        for (int i = from; i < from + len; i++) {
            m = Math.max(m, Math.abs(x[i]));
        }
        return m;
    }

    /** Every byte of a segment, unsigned. */
    static int[] unsignedBytes(MemorySegment s) {
        int[] out = new int[(int) s.byteSize()];
        for (int i = 0; i < out.length; i++) {
            out[i] = Byte.toUnsignedInt(s.get(ValueLayout.JAVA_BYTE, i));
        }
        return out;
    }

    /** The little-endian 16-bit words at the start of a segment, unsigned. */
    static int[] halves(MemorySegment s, int n) {
        int[] h = new int[n];
        for (int i = 0; i < n; i++) {
            h[i] = Short.toUnsignedInt(s.get(LE_SHORT, 2L * i));
        }
        return h;
    }

    /** Checks y[from .. to) are zeros of either sign (a zero scale times a negative level is -0). */
    static void assertAllZero(float[] y, int from, int to) {
        for (int i = from; i < to; i++) {
            assertThat(Math.abs(y[i])).as("value %d", i).isEqualTo(0f);
        }
    }

    /** What a value becomes once stored as f16 (as a scale is), computed with the JDK. */
    static float asF16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }
}
