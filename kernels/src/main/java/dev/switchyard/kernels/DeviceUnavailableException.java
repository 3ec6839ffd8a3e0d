package dev.switchyard.kernels;

/** The device a command asked for by name cannot be used here; the message says why. */
public final class DeviceUnavailableException extends RuntimeException {

    public DeviceUnavailableException(String message) {
        super(message);
    }

    public DeviceUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
