package dev.switchyard.kernels.cuda;

import dev.switchyard.kernels.Backend;
import dev.switchyard.kernels.DeviceUnavailableException;
import dev.switchyard.kernels.Devices;
import java.io.PrintWriter;

/**
 * Run by CudaFallbackTest in a JVM of its own whose library path holds a stub libcuda.so.1: prints
 * what the probe found, what {@code auto} chose (and its log line), and what an explicit
 * {@code cuda} answered. Any other exception escapes and fails the run.
 */
public final class DeviceChoiceMain {

    private DeviceChoiceMain() {
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(System.out, true);
        out.println("probe: " + CudaProbe.probe().describe());
        try (Backend auto = Devices.open("auto", 1, out)) {
            out.println("auto: " + auto.name());
        }
        try (Backend cuda = Devices.open("cuda", 1, out)) {
            out.println("cuda: opened " + cuda.name());
        } catch (DeviceUnavailableException e) {
            out.println("cuda: refused: " + e.getMessage());
        }
    }
}
