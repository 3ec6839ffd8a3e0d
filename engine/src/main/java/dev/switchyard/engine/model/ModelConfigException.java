package dev.switchyard.engine.model;

/** A model file whose hyper-parameters are missing, inconsistent or of an unsupported family. */
public final class ModelConfigException extends RuntimeException {

    public ModelConfigException(String message) {
        super(message);
    }

    public ModelConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
