package dev.switchyard.kernels.cuda;

/** A CUDA driver call failed: the call, and the driver's name and text for its result code. */
public final class CudaException extends RuntimeException {

    private final int result;

    CudaException(String call, int result, String description) {
        super(call + " failed: " + description);
        this.result = result;
    }

    /** The CUresult code. */
    public int result() {
        return result;
    }
}
