package dev.switchyard.kernels.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Whether CUDA can be used here, found out without touching the generated bindings
 * ({@link dev.switchyard.kernels.cuda.driver.cuda_h}), whose class initializer fails for good when
 * {@code libcuda.so.1} is missing. Call {@link #probe()} before anything that loads them.
 *
 * <p>Each step's failure becomes a reason for "CUDA unavailable: reason": the driver library is not
 * found, native access is denied, {@code cuInit} fails (a stub or a driver without a usable GPU),
 * no device is present, or this build carries no kernels (nvcc was absent when it was built). The
 * result is computed once per process.
 */
public final class CudaProbe {

    /** The driver library, by the name the bindings load it by. */
    public static final String LIBRARY = "libcuda.so.1";

    /**
     * What the probe found.
     *
     * @param reason        why CUDA cannot be used (null when it can)
     * @param devices       devices the driver reports (0 when unavailable)
     * @param driverVersion e.g. 12080 for CUDA 12.8 (0 when unknown)
     */
    public record Result(String reason, int devices, int driverVersion) {

        public boolean available() {
            return reason == null;
        }

        /** "CUDA unavailable: reason", or a line naming the devices. */
        public String describe() {
            return available()
                    ? "CUDA " + driverVersion / 1000 + "." + driverVersion % 1000 / 10 + " driver, " + devices + " device(s)"
                    : "CUDA unavailable: " + reason;
        }
    }

    private static volatile Result cached;

    private CudaProbe() {
    }

    public static Result probe() {
        Result r = cached;
        if (r == null) {
            synchronized (CudaProbe.class) {
                r = cached;
                if (r == null) {
                    r = run();
                    cached = r;
                }
            }
        }
        return r;
    }

    private static Result run() {
        try {
            SymbolLookup lib;
            try {
                lib = SymbolLookup.libraryLookup(LIBRARY, Arena.global());
            } catch (IllegalArgumentException e) {
                return unavailable(LIBRARY + " not found (no NVIDIA driver on this machine)");
            }
            Linker linker = Linker.nativeLinker();
            Optional<MethodHandle> init = find(lib, linker, "cuInit", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
            Optional<MethodHandle> count = find(lib, linker, "cuDeviceGetCount", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            Optional<MethodHandle> version = find(lib, linker, "cuDriverGetVersion", FunctionDescriptor.of(JAVA_INT, ADDRESS));
            if (init.isEmpty() || count.isEmpty() || version.isEmpty()) {
                return unavailable(LIBRARY + " lacks cuInit, cuDeviceGetCount or cuDriverGetVersion");
            }
            int rc = (int) init.get().invokeExact(0);
            if (rc != 0) {
                return unavailable("cuInit failed: " + errorName(lib, linker, rc));
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment out = arena.allocate(JAVA_INT);
                rc = (int) version.get().invokeExact(out);
                int driver = rc == 0 ? out.get(JAVA_INT, 0) : 0;
                rc = (int) count.get().invokeExact(out);
                if (rc != 0) {
                    return unavailable("cuDeviceGetCount failed: " + errorName(lib, linker, rc));
                }
                int devices = out.get(JAVA_INT, 0);
                if (devices <= 0) {
                    return unavailable("no CUDA device found");
                }
                Optional<String> missing = CudaModule.firstMissing();
                if (missing.isPresent()) {
                    return unavailable("no kernels in this build (" + missing.get() + " is missing: it was built without nvcc)");
                }
                return new Result(null, devices, driver);
            }
        } catch (IllegalCallerException e) {
            return unavailable("native access is not enabled (run java with --enable-native-access=ALL-UNNAMED)");
        } catch (Throwable e) {
            return unavailable(e.getClass().getSimpleName() + (e.getMessage() != null ? ": " + e.getMessage() : ""));
        }
    }

    private static Optional<MethodHandle> find(SymbolLookup lib, Linker linker, String name, FunctionDescriptor desc) {
        return lib.find(name).map(address -> linker.downcallHandle(address, desc));
    }

    /** "CUDA_ERROR_NO_DEVICE (no CUDA-capable device is detected)", or the number when the driver cannot say. */
    static String errorName(SymbolLookup lib, Linker linker, int rc) {
        FunctionDescriptor desc = FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS);
        String name = describe(lib, linker, "cuGetErrorName", desc, rc);
        String text = describe(lib, linker, "cuGetErrorString", desc, rc);
        if (name == null) {
            return "error " + rc;
        }
        return text != null ? name + " (" + text + ")" : name;
    }

    private static String describe(SymbolLookup lib, Linker linker, String function, FunctionDescriptor desc, int rc) {
        Optional<MethodHandle> handle = find(lib, linker, function, desc);
        if (handle.isEmpty()) {
            return null;
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment out = arena.allocate(ADDRESS);
            int status = (int) handle.get().invokeExact(rc, out);
            MemorySegment text = out.get(ADDRESS, 0);
            return status == 0 && !text.equals(MemorySegment.NULL) ? text.reinterpret(1024).getString(0) : null;
        } catch (Throwable e) {
            return null;
        }
    }

    private static Result unavailable(String reason) {
        return new Result(reason, 0, 0);
    }
}
