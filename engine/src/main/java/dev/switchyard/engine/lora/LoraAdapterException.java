package dev.switchyard.engine.lora;

import java.nio.file.Path;

/** A LoRA adapter file that cannot be applied to the model: the message names the file and the problem. */
public final class LoraAdapterException extends IllegalArgumentException {

    public LoraAdapterException(Path file, String problem) {
        super("LoRA adapter " + file.getFileName() + ": " + problem);
    }
}
