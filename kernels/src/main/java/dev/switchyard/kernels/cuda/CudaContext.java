package dev.switchyard.kernels.cuda;

import static dev.switchyard.kernels.cuda.Driver.check;
import static dev.switchyard.kernels.cuda.driver.cuda_h.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * One device as the backend uses it: its primary context, one stream that every copy and kernel
 * is queued on (so they run in the order issued), the kernel modules, and the device allocations,
 * all released by {@link #close}.
 *
 * <p>Kernels go through a {@link KernelQueue}, which sends them in chunks and replays repeated
 * chunks as CUDA graphs; every other stream operation here first sends what the queue holds, so
 * the stream sees everything in the order it was asked for. The exception is {@link #uploadStaged},
 * for the staging ring's fresh space, which no queued kernel reads.
 *
 * <p>Host-to-device copies here read pageable host memory, which the driver stages before the call
 * returns, so the source may be reused at once; device-to-host copies wait for the stream. Not
 * thread-safe: one caller at a time, though not always the same thread (each call makes the
 * context current on the calling thread). The one exception is the expert tier's copy thread
 * ({@link CudaExpertSlots}), which calls only {@link #makeCurrent} and uses a stream, events and
 * buffers of its own.
 */
final class CudaContext implements AutoCloseable {

    private final int ordinal;
    private final int device;
    private final MemorySegment context;
    private final MemorySegment stream;
    private final Map<CudaModule, MemorySegment> modules = new EnumMap<>(CudaModule.class);
    private final Map<String, MemorySegment> functions = new HashMap<>();
    private final Set<Long> allocations = new LinkedHashSet<>();
    /** Page-locked host memory still held (staging rings), freed with the context. */
    private final Set<Long> pinnedAllocations = new LinkedHashSet<>();
    private final MemorySegment out = Arena.ofAuto().allocate(8, 8);
    private final String deviceName;
    private final int computeMajor;
    private final int computeMinor;
    private final int multiprocessors;
    private final KernelQueue queue;
    private MemorySegment host = MemorySegment.NULL;
    /** Counts the waits that left the stream idle: staging space is free again after each. */
    private long idleEpoch;
    private boolean closed;

    private CudaContext(int ordinal) {
        this.ordinal = ordinal;
        check(cuInit(0), "cuInit");
        check(cuDeviceGet(out, ordinal), "cuDeviceGet(" + ordinal + ")");
        this.device = out.get(ValueLayout.JAVA_INT, 0);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment name = arena.allocate(256);
            check(cuDeviceGetName(name, 256, device), "cuDeviceGetName");
            this.deviceName = name.getString(0);
        }
        this.computeMajor = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR());
        this.computeMinor = attribute(CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR());
        this.multiprocessors = attribute(CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT());
        check(cuDevicePrimaryCtxRetain(out, device), "cuDevicePrimaryCtxRetain");
        this.context = out.get(ValueLayout.ADDRESS, 0);
        MemorySegment s = MemorySegment.NULL;
        try {
            makeCurrent();
            check(cuStreamCreate(out, CU_STREAM_NON_BLOCKING()), "cuStreamCreate");
            s = out.get(ValueLayout.ADDRESS, 0);
            for (CudaModule m : CudaModule.values()) {
                byte[] image = m.image();
                try (Arena arena = Arena.ofConfined()) {
                    MemorySegment bytes = arena.allocate(image.length + 1L, 16);
                    MemorySegment.copy(image, 0, bytes, ValueLayout.JAVA_BYTE, 0, image.length);
                    check(cuModuleLoadData(out, bytes), "cuModuleLoadData(" + m.resource() + ")");
                }
                modules.put(m, out.get(ValueLayout.ADDRESS, 0));
            }
        } catch (RuntimeException e) {
            modules.values().forEach(mod -> cuModuleUnload(mod));
            if (!s.equals(MemorySegment.NULL)) {
                cuStreamDestroy_v2(s);
            }
            cuDevicePrimaryCtxRelease_v2(device);
            throw e;
        }
        this.stream = s;
        this.queue = new KernelQueue(s, GraphSettings.chunk(), GraphSettings.enabled());
    }

    /** Opens device {@code ordinal}; CUDA must have passed {@link CudaProbe#probe()}. */
    static CudaContext open(int ordinal) {
        CudaProbe.Result probe = CudaProbe.probe();
        if (!probe.available()) {
            throw new IllegalStateException(probe.describe());
        }
        if (ordinal < 0 || ordinal >= probe.devices()) {
            throw new IllegalArgumentException("no CUDA device " + ordinal + ": this machine has " + probe.devices());
        }
        return new CudaContext(ordinal);
    }

    int ordinal() {
        return ordinal;
    }

    String deviceName() {
        return deviceName;
    }

    /** e.g. "9.0". */
    int computeMajor() {
        return computeMajor;
    }

    String computeCapability() {
        return computeMajor + "." + computeMinor;
    }

    /** Streaming multiprocessors (132 on an H200). */
    int multiprocessors() {
        return multiprocessors;
    }

    /** A device attribute (CU_DEVICE_ATTRIBUTE_*). */
    int attribute(int attribute) {
        check(cuDeviceGetAttribute(out, attribute, device), "cuDeviceGetAttribute(" + attribute + ")");
        return out.get(ValueLayout.JAVA_INT, 0);
    }

    /**
     * The stream every kernel and backend copy is queued on, for an operation that must follow the
     * kernels asked for so far (an event record, a wait): they are sent first.
     */
    MemorySegment stream() {
        queue.flush();
        return stream;
    }

    /** The kernel queue (tests: graph replay counts). */
    KernelQueue queue() {
        return queue;
    }

    /** Increases each time a wait leaves the stream idle (see {@link Staging}). */
    long idleEpoch() {
        return idleEpoch;
    }

    /** {free, total} bytes of device memory now. */
    long[] memoryInfo() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment free = arena.allocate(ValueLayout.JAVA_LONG);
            MemorySegment total = arena.allocate(ValueLayout.JAVA_LONG);
            check(cuMemGetInfo_v2(free, total), "cuMemGetInfo_v2");
            return new long[] {free.get(ValueLayout.JAVA_LONG, 0), total.get(ValueLayout.JAVA_LONG, 0)};
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Makes this context current on the calling thread (cheap; done by every entry point). */
    void makeCurrent() {
        if (closed) {
            throw new IllegalStateException("the CUDA backend is closed");
        }
        check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    MemorySegment function(CudaModule module, String name) {
        return functions.computeIfAbsent(name, n -> {
            try (Arena arena = Arena.ofConfined()) {
                check(cuModuleGetFunction(out, modules.get(module), arena.allocateFrom(n)),
                        "cuModuleGetFunction(" + n + ")");
                return out.get(ValueLayout.ADDRESS, 0);
            }
        });
    }

    /** Device memory of at least {@code bytes} (4 when 0), freed by {@link #free} or at close. */
    long allocate(long bytes) {
        int rc = cuMemAlloc_v2(out, Math.max(4, bytes));
        if (rc == CUDA_ERROR_OUT_OF_MEMORY()) {
            throw new CudaException("cuMemAlloc_v2", rc, "out of device memory allocating " + bytes + " bytes on "
                    + deviceName);
        }
        check(rc, "cuMemAlloc_v2(" + bytes + ")");
        long p = out.get(ValueLayout.JAVA_LONG, 0);
        allocations.add(p);
        return p;
    }

    /** Frees an allocation once the work queued so far no longer needs it. */
    void free(long pointer) {
        if (allocations.remove(pointer)) {
            synchronize();
            check(cuMemFree_v2(pointer), "cuMemFree_v2");
        }
    }

    /**
     * Frees the device allocations an object owns as it closes (0 entries are none); nothing where
     * this context is closed already, since closing it freed everything.
     */
    void freeOwned(long... pointers) {
        if (isClosed()) {
            return;
        }
        makeCurrent();
        for (long p : pointers) {
            if (p != 0) {
                free(p);
            }
        }
    }

    /** Queues a copy of {@code bytes} host bytes to device address {@code dst}. */
    void upload(MemorySegment src, long dst, long bytes) {
        if (bytes > 0) {
            queue.flush();
            check(cuMemcpyHtoDAsync_v2(dst, src, bytes, stream), "cuMemcpyHtoDAsync_v2");
        }
    }

    /**
     * Queues a copy into device space that no kernel asked for so far reads (the staging ring's
     * fresh space), so it may go ahead of the kernels still in the queue. {@code src} must be
     * page-locked and stay untouched until the stream has passed the copy.
     */
    void uploadStaged(MemorySegment src, long dst, long bytes) {
        if (bytes > 0) {
            check(cuMemcpyHtoDAsync_v2(dst, src, bytes, stream), "cuMemcpyHtoDAsync_v2");
        }
    }

    /** Queues zeroing {@code words} 4-byte words from device address {@code dst}, after everything queued before it. */
    void zero(long dst, long words) {
        if (words > 0) {
            queue.flush();
            check(cuMemsetD32Async(dst, 0, words, stream), "cuMemsetD32Async");
        }
    }

    /** Copies device bytes to the host, after everything queued before it. */
    void download(long src, MemorySegment dst, long bytes) {
        if (bytes > 0) {
            queue.flush();
            check(cuMemcpyDtoHAsync_v2(dst, src, bytes, stream), "cuMemcpyDtoHAsync_v2");
        }
        synchronize();
    }

    void copy(long src, long dst, long bytes) {
        if (bytes > 0) {
            queue.flush();
            check(cuMemcpyDtoDAsync_v2(dst, src, bytes, stream), "cuMemcpyDtoDAsync_v2");
        }
    }

    /** Page-locked host memory (cuMemAllocHost_v2), which copies reach at full link speed; free with {@link #freePinned}. */
    MemorySegment allocatePinned(long bytes) {
        check(cuMemAllocHost_v2(out, bytes), "cuMemAllocHost_v2(" + bytes + ")");
        MemorySegment pinned = out.get(ValueLayout.ADDRESS, 0).reinterpret(bytes);
        pinnedAllocations.add(pinned.address());
        return pinned;
    }

    /** Frees page-locked memory from {@link #allocatePinned}; nothing once {@link #close} has freed it. */
    void freePinned(MemorySegment pinned) {
        if (pinnedAllocations.remove(pinned.address())) {
            check(cuMemFreeHost(pinned), "cuMemFreeHost");
        }
    }

    /** A host buffer of at least {@code bytes} for staging copies, reused call after call. */
    MemorySegment hostBuffer(long bytes) {
        if (host.byteSize() < bytes) {
            host = Arena.ofAuto().allocate(Math.max(bytes, 2 * host.byteSize()), 64);
        }
        return host;
    }

    /** Queues a kernel launch (sent with the next chunk; see {@link KernelQueue}). */
    void launch(MemorySegment function, int gridX, int gridY, int blockX, int blockY, KernelArgs args) {
        if (gridX == 0 || gridY == 0) {
            return;
        }
        queue.add(function, gridX, gridY, blockX, blockY, args);
    }

    /** Waits for everything asked for so far; a kernel's fault surfaces here. */
    void synchronize() {
        queue.flush();
        check(cuStreamSynchronize(stream), "cuStreamSynchronize");
        idleEpoch++;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        makeCurrent();
        closed = true;
        try {
            queue.flush();
        } catch (CudaException e) {
            // closing anyway: the kernels' fault was or will be reported where they were waited for
        }
        cuStreamSynchronize(stream);
        queue.close();
        for (long p : allocations) {
            cuMemFree_v2(p);
        }
        allocations.clear();
        for (long p : pinnedAllocations) {
            cuMemFreeHost(MemorySegment.ofAddress(p));
        }
        pinnedAllocations.clear();
        modules.values().forEach(m -> cuModuleUnload(m));
        cuStreamDestroy_v2(stream);
        cuDevicePrimaryCtxRelease_v2(device);
    }
}
