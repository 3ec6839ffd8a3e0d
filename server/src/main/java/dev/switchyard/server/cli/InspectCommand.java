package dev.switchyard.server.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.switchyard.engine.gguf.GgufFile;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code switchyard inspect FILE}: metadata, tensors and the model configuration of a GGUF file. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Print a GGUF file's metadata (arrays summarised), its tensors, and the model configuration it implies.")
final class InspectCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FILE", description = "The GGUF file.")
    Path file;

    @Option(names = "--json", description = "Print JSON instead of text.")
    boolean json;

    @Option(names = "--array-items", defaultValue = "8", paramLabel = "N",
            description = "Array elements shown per metadata array (default: ${DEFAULT-VALUE}).")
    int arrayItems;

    @Override
    public Integer call() throws Exception {
        if (arrayItems < 0) {
            throw new IllegalArgumentException("--array-items must be 0 or more");
        }
        try (GgufFile gguf = GgufFile.open(file)) {
            GgufReport report = GgufReport.of(file, gguf, arrayItems);
            var out = spec.commandLine().getOut();
            if (json) {
                ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
                out.println(mapper.writeValueAsString(report.toJson()));
            } else {
                out.print(report.toText());
            }
            out.flush();
        }
        return 0;
    }
}
