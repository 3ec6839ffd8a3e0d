package dev.switchyard.kernels.cpu;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Keeps HotSpot's C2 from inlining the row kernels' entry points ({@code dot*}, {@code decodeChunks})
 * into the loops that call them, from inside the process. A backend loop that meets two formats (a
 * Q4_K_M file's Q4_K and Q6_K matrices) would otherwise inline both kernels, spend the node budget
 * C2 allows a method ({@code NodeCountInliningCutoff}) on them, and leave the kernels' own vector
 * helpers called rather than inlined: every vector passed to them is then boxed on the heap, at
 * every call (150 KB to 1.2 MB per matmul measured), and the kernels run several times slower.
 *
 * <p>The launcher and the container say the same with {@code -XX:CompileCommand=dontinline,...}
 * flags. An application that embeds the engine in a JVM of its own gets it here instead: the first
 * {@link CpuBackend} adds a compiler directive through the JVM's diagnostic command
 * {@code Compiler.directives_add} (the one {@code jcmd} runs), before its loops are compiled. Where
 * the flags are already given, where the JVM has no such command (a runtime without
 * {@code jdk.management}), or where the system property {@value #PROPERTY} is {@code false}, nothing
 * is added, and {@link #state()} says why.
 */
public final class KernelInlining {

    /** The system property that turns the directive off ({@code false}). */
    public static final String PROPERTY = "switchyard.kernels.compilerDirective";

    /** Every method compiles with the kernels' entry points kept out of line. */
    static final String DIRECTIVE = """
            [{
              match: "*.*",
              inline: ["-dev/switchyard/kernels/cpu/*.dot*", "-dev/switchyard/kernels/cpu/*.decodeChunks"]
            }]
            """;

    private static final System.Logger LOG = System.getLogger(KernelInlining.class.getName());
    private static String state;

    private KernelInlining() {
    }

    /** Adds the directive once per JVM, where wanted and possible; never throws. */
    static synchronized void ensure() {
        if (state != null) {
            return;
        }
        try {
            state = add();
        } catch (Exception | LinkageError e) {
            state = "not added: " + e;
        }
        LOG.log(System.Logger.Level.DEBUG, "CPU kernels' compiler directive " + state);
    }

    /** What became of the directive: "added", "given by the command line", "turned off by ..." or "not added: why". */
    public static synchronized String state() {
        return state != null ? state : "not yet asked for";
    }

    private static String add() throws Exception {
        if ("false".equalsIgnoreCase(System.getProperty(PROPERTY))) {
            return "turned off by -D" + PROPERTY + "=false";
        }
        for (String argument : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (argument.startsWith("-XX:CompileCommand=dontinline,dev.switchyard.kernels.cpu.")) {
                return "given by the command line";
            }
        }
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        ObjectName commands = new ObjectName("com.sun.management:type=DiagnosticCommand");
        if (!server.isRegistered(commands)) {
            return "not added: this JVM has no diagnostic commands (jdk.management)";
        }
        Path file = Files.createTempFile("switchyard-kernels", ".json");
        try {
            Files.writeString(file, DIRECTIVE, StandardCharsets.UTF_8);
            Object reply = server.invoke(commands, "compilerDirectivesAdd", new Object[] {new String[] {file.toString()}},
                    new String[] {String[].class.getName()});
            String text = reply == null ? "" : reply.toString().strip();
            // the command answers "1 compiler directives added" or names what it could not parse
            return text.startsWith("1 compiler directives added") ? "added" : "not added: " + text;
        } finally {
            Files.deleteIfExists(file);
        }
    }
}
