package dev.switchyard.kernels.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The {@code void** kernelParams} of {@code cuLaunchKernel}, reused launch after launch: argument i
 * lives in an 8-byte slot of {@code values}, and {@code pointers[i]} points at it. The driver copies
 * the values at launch, so the next launch may overwrite them at once. Arguments go in the order
 * and with the C types of the kernel's signature.
 */
final class KernelArgs {

    static final int MAX = 24;

    private final MemorySegment values;
    private final MemorySegment pointers;
    private int count;

    KernelArgs() {
        Arena arena = Arena.ofAuto();
        values = arena.allocate(8L * MAX, 8);
        pointers = arena.allocate(ValueLayout.ADDRESS.byteSize() * MAX, 8);
    }

    KernelArgs reset() {
        count = 0;
        return this;
    }

    /** A device pointer (CUdeviceptr, or any {@code T*} kernel parameter). */
    KernelArgs ptr(long devicePointer) {
        values.set(ValueLayout.JAVA_LONG, slot(), devicePointer);
        return this;
    }

    // 32-bit values fill their whole slot (upper half zero), so a slot's 8 bytes depend on this
    // launch's arguments alone: KernelQueue compares launches by these bytes.
    KernelArgs i32(int v) {
        values.set(ValueLayout.JAVA_LONG, slot(), v & 0xFFFF_FFFFL);
        return this;
    }

    KernelArgs i64(long v) {
        values.set(ValueLayout.JAVA_LONG, slot(), v);
        return this;
    }

    KernelArgs f32(float v) {
        values.set(ValueLayout.JAVA_LONG, slot(), Float.floatToRawIntBits(v) & 0xFFFF_FFFFL);
        return this;
    }

    KernelArgs f64(double v) {
        values.set(ValueLayout.JAVA_DOUBLE, slot(), v);
        return this;
    }

    MemorySegment params() {
        return pointers;
    }

    /** Arguments set since {@link #reset}. */
    int count() {
        return count;
    }

    /** The argument slots, 8 bytes each, argument i at offset 8 i. */
    MemorySegment values() {
        return values;
    }

    private long slot() {
        if (count == MAX) {
            throw new IllegalStateException("more than " + MAX + " kernel arguments");
        }
        long offset = 8L * count;
        pointers.setAtIndex(ValueLayout.ADDRESS, count, values.asSlice(offset, 8));
        count++;
        return offset;
    }
}
