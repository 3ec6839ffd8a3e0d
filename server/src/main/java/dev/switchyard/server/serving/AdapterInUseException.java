package dev.switchyard.server.serving;

/** A LoRA adapter that cannot be unloaded: sequences, waiting or running, still apply it. */
public final class AdapterInUseException extends IllegalStateException {

    public AdapterInUseException(String name, int sequences) {
        super("LoRA adapter " + name + " is applied by " + sequences + " sequence(s) still waiting or running; "
                + "unload it once they finish");
    }
}
