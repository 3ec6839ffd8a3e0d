package dev.switchyard.server.cli;

import dev.switchyard.engine.modelgen.DemoModel;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;

/** The model a command runs: the one named, or the built-in demo model. */
final class ModelPaths {

    private ModelPaths() {
    }

    static Path resolve(Path explicit, PrintWriter err) throws IOException {
        if (explicit != null) {
            return explicit;
        }
        DemoModel.Location demo = DemoModel.ensure(DemoModel.defaultCacheDir());
        err.println((demo.created() ? "wrote the built-in demo model to " : "using the built-in demo model at ") + demo.path());
        return demo.path();
    }
}
