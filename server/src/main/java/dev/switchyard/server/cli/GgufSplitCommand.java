package dev.switchyard.server.cli;

import dev.switchyard.engine.gguf.GgufFile;
import dev.switchyard.engine.gguf.GgufSplit;
import dev.switchyard.engine.gguf.GgufSplitWriter;
import dev.switchyard.engine.gguf.GgufTensorInfo;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code switchyard gguf-split}: cuts a model into parts, or merges a split model into one file, as
 * llama.cpp's llama-gguf-split does and with its flags, so that either tool reads what the other
 * wrote.
 */
@Command(name = "gguf-split", mixinStandardHelpOptions = true,
        description = {"Split a GGUF model into parts (PREFIX-00001-of-0000N.gguf, ...), or merge a split model "
                + "into one file, as llama.cpp's llama-gguf-split does. Every command that takes a model opens "
                + "a split one by its first part.",
                "Usage: gguf-split [--split-max-tensors N | --split-max-size SIZE] IN.gguf OUT_PREFIX",
                "       gguf-split --merge FIRST-00001-of-0000N.gguf OUT.gguf"})
final class GgufSplitCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "The model to split, or with --merge the first part of the one to merge.")
    Path in;

    @Parameters(index = "1", paramLabel = "OUT", description = "The parts' prefix (PREFIX-00001-of-0000N.gguf ...), or with --merge the file to write.")
    Path out;

    @Option(names = "--merge", description = "Merge the parts of a split model into one file.")
    boolean merge;

    @Option(names = "--split-max-tensors", paramLabel = "N",
            description = "Tensors per part at most (default 128, as llama-gguf-split).")
    Integer maxTensors;

    @Option(names = "--split-max-size", paramLabel = "SIZE", converter = Units.BytesConverter.class,
            description = "Tensor data per part at most: 48GB (10^9 bytes), 2GiB or 2G (2^30 bytes); a larger tensor "
                    + "gets a part of its own. Note that llama-gguf-split reads 2G as 2x10^9 bytes.")
    Long maxSize;

    @Option(names = "--no-tensor-first-split",
            description = "Keep the first part to metadata alone, so that changing a key rewrites only a small file.")
    boolean metadataAloneFirst;

    @Option(names = "--dry-run", description = "Print the parts it would write, and write nothing.")
    boolean dryRun;

    @Override
    public Integer call() throws Exception {
        if (maxTensors != null && maxSize != null) {
            throw new IllegalArgumentException("give --split-max-tensors or --split-max-size, not both");
        }
        if (maxTensors != null && maxTensors < 1) {
            throw new IllegalArgumentException("--split-max-tensors must be at least 1, not " + maxTensors);
        }
        if (maxSize != null && maxSize < 1) {
            throw new IllegalArgumentException("--split-max-size must be at least 1 byte");
        }
        if (merge && (maxTensors != null || maxSize != null || metadataAloneFirst)) {
            throw new IllegalArgumentException("--merge takes no split limits");
        }
        PrintWriter o = spec.commandLine().getOut();
        long start = System.nanoTime();
        try (GgufFile model = GgufFile.open(in)) {
            if (merge) {
                if (!dryRun) {
                    if (Files.exists(out) && Files.isSameFile(out, in)) {
                        throw new IllegalArgumentException("the merged file must not be the first part itself");
                    }
                    GgufSplitWriter.merge(model, out);
                }
                o.printf(Locale.ROOT, "%s %s: %d parts, %d tensors, %s%s%n", dryRun ? "would write" : "wrote", out,
                        model.shards().size(), model.tensors().size(), Bytes.human(model.fileSize()), took(start));
                return 0;
            }
            GgufSplitWriter.Limits limits = new GgufSplitWriter.Limits(maxSize != null ? maxSize : Long.MAX_VALUE,
                    maxSize != null ? Integer.MAX_VALUE : maxTensors != null ? maxTensors : 128, !metadataAloneFirst);
            List<List<GgufTensorInfo>> plan = GgufSplitWriter.plan(model, limits);
            if (dryRun) {
                for (int i = 0; i < plan.size(); i++) {
                    long bytes = plan.get(i).stream().mapToLong(GgufTensorInfo::byteSize).sum();
                    o.printf(Locale.ROOT, "%s: %d tensors, %s%n",
                            GgufSplit.partPath(out, i, plan.size()).getFileName(),
                            plan.get(i).size(), Bytes.human(bytes));
                }
                return 0;
            }
            List<Path> parts = GgufSplitWriter.split(model, out, limits);
            for (Path p : parts) {
                o.println("wrote " + p + " (" + Bytes.human(Files.size(p)) + ")");
            }
            o.printf(Locale.ROOT, "%d parts, %d tensors%s; open the model as %s%n", parts.size(), model.tensors().size(),
                    took(start), parts.getFirst());
        }
        return 0;
    }

    private static String took(long start) {
        return String.format(Locale.ROOT, " in %.1f s", (System.nanoTime() - start) / 1e9);
    }
}
