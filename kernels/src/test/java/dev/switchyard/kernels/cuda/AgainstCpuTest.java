package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.cpu.CpuBackend;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * A GPU test that compares the CUDA backend with the CPU backend: both opened once per class,
 * every test skipped with the probe's reason where no GPU is present.
 */
abstract class AgainstCpuTest {

    static CpuBackend cpu;
    static CudaBackend cuda;

    @BeforeAll
    static void openBackends() {
        cuda = GpuTests.openIfPresent();
        cpu = new CpuBackend(2);
    }

    @BeforeEach
    void needsGpu() {
        GpuTests.assumeGpu();
    }

    @AfterAll
    static void closeBackends() {
        if (cuda != null) {
            cuda.close();
            cuda = null;
        }
        if (cpu != null) {
            cpu.close();
            cpu = null;
        }
    }
}
