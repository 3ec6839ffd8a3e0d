package dev.switchyard.kernels.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * The kernel modules, one per {@code kernels/src/main/cuda/*.cu} file, each shipped as a fatbin
 * resource beside this class (compiled by {@code kernels/build-fatbin.sh} when nvcc is present),
 * with the entry points the backend looks up in it.
 */
enum CudaModule {
    MATMUL("matmul"),
    MATMUL_TC("matmul_tc"),
    NORM("norm"),
    ELEMENTWISE("elementwise"),
    ROPE("rope"),
    ATTENTION("attention"),
    DELTA_NET("delta_net"),
    MOE_ROUTE("moe_route"),
    MOE_EXPERTS("moe_experts"),
    SAMPLING("sampling");

    private final String file;

    CudaModule(String file) {
        this.file = file;
    }

    String resource() {
        return file + ".fatbin";
    }

    /** The fatbin's bytes. */
    byte[] image() {
        try (InputStream in = CudaModule.class.getResourceAsStream(resource())) {
            if (in == null) {
                throw new IllegalStateException("no kernels in this build: " + resource() + " is missing");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first module whose fatbin this build lacks. */
    static Optional<String> firstMissing() {
        for (CudaModule m : values()) {
            if (CudaModule.class.getResource(m.resource()) == null) {
                return Optional.of(m.resource());
            }
        }
        return Optional.empty();
    }
}
