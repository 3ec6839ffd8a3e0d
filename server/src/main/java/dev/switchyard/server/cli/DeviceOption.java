package dev.switchyard.server.cli;

import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.Devices;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** {@code --device auto|cpu|cuda[:N]}, shared by generate, bench and serve. */
final class DeviceOption {

    @Option(names = "--device", defaultValue = "auto", paramLabel = "auto|cpu|cuda[:N]",
            description = "Where to compute: auto (CUDA device 0 when usable, else the CPU, saying so), cpu, or cuda[:N] "
                    + "(fails when CUDA is unavailable) (default: ${DEFAULT-VALUE}).")
    String device;

    /** Refuses a malformed device name before anything starts. */
    void check() {
        Devices.Choice.parse(device);
    }

    /** Opens the backend; {@code log} gets the line saying what {@code auto} chose. */
    Backend open(Integer threads, PrintWriter log) {
        return Devices.open(device, threads, log);
    }
}
