package dev.switchyard.kernels;

import dev.switchyard.kernels.cpu.CpuBackend;
import dev.switchyard.kernels.cuda.CudaBackend;
import dev.switchyard.kernels.cuda.CudaProbe;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * The {@code --device auto|cpu|cuda[:N]} choice of the commands that compute.
 * <ul>
 *   <li>{@code cpu}: the CPU backend.</li>
 *   <li>{@code cuda} or {@code cuda:N}: CUDA device N (default 0), or a
 *       {@link DeviceUnavailableException} saying why not ("CUDA unavailable: ...").</li>
 *   <li>{@code auto}: CUDA device 0 where {@link CudaProbe} finds CUDA usable, else the CPU
 *       backend, with one log line either way.</li>
 * </ul>
 * The probe runs before anything touches the driver bindings, so a machine without a GPU, without
 * a driver, or with a build that carries no kernels only ever sees the CPU backend.
 */
public final class Devices {

    /** What {@code --device} asked for: a kind and, for CUDA, a device ordinal. */
    public record Choice(Kind kind, int ordinal) {

        public enum Kind { AUTO, CPU, CUDA }

        public static Choice parse(String device) {
            String d = device == null ? "auto" : device.strip().toLowerCase(Locale.ROOT);
            if (d.equals("auto")) {
                return new Choice(Kind.AUTO, 0);
            }
            if (d.equals("cpu")) {
                return new Choice(Kind.CPU, 0);
            }
            if (d.equals("cuda")) {
                return new Choice(Kind.CUDA, 0);
            }
            if (d.startsWith("cuda:")) {
                try {
                    int n = Integer.parseInt(d.substring(5));
                    if (n >= 0) {
                        return new Choice(Kind.CUDA, n);
                    }
                } catch (NumberFormatException e) {
                    // reported below
                }
            }
            throw new IllegalArgumentException("--device must be auto, cpu, cuda or cuda:N, got '" + device + "'");
        }
    }

    private Devices() {
    }

    /**
     * Opens the backend {@code device} names. {@code threads} sizes the CPU backend (null: all
     * cores); {@code log} gets the line saying what {@code auto} chose.
     *
     * @throws DeviceUnavailableException for an explicit {@code cuda} that cannot be used
     * @throws IllegalArgumentException   for a malformed device or thread count
     */
    public static Backend open(String device, Integer threads, PrintWriter log) {
        Choice choice = Choice.parse(device);
        int workers = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (workers < 1) {
            throw new IllegalArgumentException("--threads must be at least 1");
        }
        return switch (choice.kind()) {
            case CPU -> new CpuBackend(workers);
            case CUDA -> openCuda(choice.ordinal());
            case AUTO -> {
                CudaProbe.Result probe = CudaProbe.probe();
                if (probe.available()) {
                    try {
                        Backend cuda = openCuda(0);
                        log.println("switchyard: using " + cuda);
                        log.flush();
                        yield cuda;
                    } catch (DeviceUnavailableException e) {
                        log.println("switchyard: " + e.getMessage() + "; using the CPU backend (" + workers + " threads)");
                    }
                } else {
                    log.println("switchyard: " + probe.describe() + "; using the CPU backend (" + workers + " threads)");
                }
                log.flush();
                yield new CpuBackend(workers);
            }
        };
    }

    private static Backend openCuda(int ordinal) {
        CudaProbe.Result probe = CudaProbe.probe();
        if (!probe.available()) {
            throw new DeviceUnavailableException(probe.describe());
        }
        if (ordinal >= probe.devices()) {
            throw new DeviceUnavailableException("CUDA unavailable: no device cuda:" + ordinal + " (this machine has "
                    + probe.devices() + ")");
        }
        try {
            return CudaBackend.open(ordinal);
        } catch (RuntimeException | LinkageError e) {
            throw new DeviceUnavailableException("CUDA unavailable: cuda:" + ordinal + " failed to open: " + e.getMessage(), e);
        }
    }
}
