package dev.switchyard.kernels.cuda;

import static dev.switchyard.kernels.cuda.driver.cuda_h.cuGetErrorName;
import static dev.switchyard.kernels.cuda.driver.cuda_h.cuGetErrorString;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Result checking for driver calls: a non-zero CUresult becomes a {@link CudaException}. */
final class Driver {

    private Driver() {
    }

    static void check(int result, String call) {
        if (result != 0) {
            throw new CudaException(call, result, describe(result));
        }
    }

    /** "CUDA_ERROR_OUT_OF_MEMORY (out of memory)". */
    static String describe(int result) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ValueLayout.ADDRESS);
            String name = cuGetErrorName(result, out) == 0 ? text(out) : "CUresult " + result;
            String text = cuGetErrorString(result, out) == 0 ? text(out) : null;
            return text != null ? name + " (" + text + ")" : name;
        }
    }

    private static String text(MemorySegment out) {
        MemorySegment p = out.get(ValueLayout.ADDRESS, 0);
        return p.equals(MemorySegment.NULL) ? "?" : p.reinterpret(1024).getString(0);
    }
}
