/*
 * A stand-in for the NVIDIA driver library (libcuda.so.1) with just enough of the driver API for
 * CudaProbe to run against it. Built by CudaFallbackTest with gcc:
 *   default:          cuInit fails with CUDA_ERROR_NO_DEVICE, as on a machine whose GPU is gone
 *   -DSTUB_NO_DEVICES: cuInit succeeds and cuDeviceGetCount reports 0 devices
 */
typedef int CUresult;

#define CUDA_SUCCESS 0
#define CUDA_ERROR_NO_DEVICE 100

CUresult cuInit(unsigned int flags) {
    (void) flags;
#ifdef STUB_NO_DEVICES
    return CUDA_SUCCESS;
#else
    return CUDA_ERROR_NO_DEVICE;
#endif
}

CUresult cuDriverGetVersion(int *version) {
    *version = 12080;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int *count) {
    *count = 0;
    return CUDA_SUCCESS;
}

CUresult cuGetErrorName(CUresult error, const char **name) {
    if (error != CUDA_ERROR_NO_DEVICE) {
        return 1;
    }
    *name = "CUDA_ERROR_NO_DEVICE";
    return CUDA_SUCCESS;
}

CUresult cuGetErrorString(CUresult error, const char **text) {
    if (error != CUDA_ERROR_NO_DEVICE) {
        return 1;
    }
    *text = "no CUDA-capable device is detected";
    return CUDA_SUCCESS;
}
