package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.RopeSpec;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Device copies of the small float vectors ops take as Java arrays (norm gammas, biases) and of the
 * RoPE frequency tables: sent once and reused while the array's contents stay the same (checked
 * on every use against a copy, which costs a compare of a few thousand floats, not a transfer).
 */
final class DeviceConstants {

    private record Entry(long pointer, float[] copy) {
    }

    private final CudaContext ctx;
    private final Map<float[], Entry> vectors = new IdentityHashMap<>();
    private final Map<RopeSpec, Long> ropeFrequencies = new HashMap<>();

    DeviceConstants(CudaContext ctx) {
        this.ctx = ctx;
    }

    /** The device address of {@code values}, sent now if new or changed. */
    long vector(float[] values) {
        return vector(values, 0, values.length);
    }

    /**
     * The device address of {@code values}, sent now (whole) if new or if {@code values[from, to)}
     * changed: a row of a stacked bias (an expert's, of thousands of values in all) costs the
     * compare of its own few thousand.
     */
    long vector(float[] values, int from, int to) {
        Entry e = vectors.get(values);
        if (e != null && Arrays.equals(e.copy(), from, to, values, from, to)) {
            return e.pointer();
        }
        if (e != null) {
            ctx.free(e.pointer());
        }
        long p = ctx.allocate(4L * values.length);
        try (Arena arena = Arena.ofConfined()) {
            ctx.upload(arena.allocateFrom(ValueLayout.JAVA_FLOAT, values), p, 4L * values.length);
        }
        vectors.put(values, new Entry(p, values.clone()));
        return p;
    }

    /**
     * The device address of {@code values}, an array its owner never changes once passed (stacked
     * expert biases, {@link dev.switchyard.kernels.ExpertFfnForm}): sent the first time, found by
     * identity after, without {@link #vector}'s compare. That compare would read gpt-oss-20b's 72
     * stacked bias tensors of 92,160 floats each decode step, 1.4 to 4.4 ms on a 2-core host.
     */
    long fixedVector(float[] values) {
        Entry e = vectors.get(values);
        return e != null ? e.pointer() : vector(values);
    }

    /** {@link RopeSpec#frequencies()} on the device, in double, the CPU backend's numbers. */
    long ropeFrequencies(RopeSpec rope) {
        return ropeFrequencies.computeIfAbsent(rope, r -> {
            double[] freqs = r.dims() >= 2 ? r.frequencies() : new double[1];
            long p = ctx.allocate(8L * freqs.length);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment host = arena.allocateFrom(ValueLayout.JAVA_DOUBLE, freqs);
                ctx.upload(host, p, 8L * freqs.length);
            }
            return p;
        });
    }
}
