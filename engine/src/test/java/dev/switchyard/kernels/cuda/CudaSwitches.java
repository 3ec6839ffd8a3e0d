package dev.switchyard.kernels.cuda;

/**
 * The CUDA backend's package-private test switches, for the engine's whole-model GPU tests (which
 * share its package name only to reach them).
 */
public final class CudaSwitches {

    private CudaSwitches() {
    }

    /**
     * Whether expert slots opened from now on stage every copy through pinned buffers, as where
     * pinning the host experts fails (false: pin them where the device can, the default).
     */
    public static void stageExpertCopies(CudaBackend backend, boolean stage) {
        backend.pinHostExperts(!stage);
    }
}
