package dev.switchyard.engine.forward;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The CUDA backend's routing and dispatch code ({@code kernels/src/main/cuda/moe_dispatch.cuh}) built for
 * the host with a C++ compiler ({@code kernels/src/test/cuda/moe_dispatch_host.cpp}) and called through
 * FFM, so that the engine's tests can compare it with the CPU's planner where no GPU is present. Each
 * entry point runs what one kernel of {@code moe_route.cu} runs, its threads played in turn.
 */
@SuppressWarnings("restricted")
final class MoeDispatchHostLibrary implements AutoCloseable {

    static final String HEADER = "kernels/src/main/cuda/moe_dispatch.cuh";
    static final String HARNESS = "kernels/src/test/cuda/moe_dispatch_host.cpp";
    private static final List<String> COMPILERS = List.of("g++", "c++", "clang++");
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final ValueLayout ADDRESS = ValueLayout.ADDRESS;

    private final Arena arena = Arena.ofShared();
    private final MethodHandle route;
    private final MethodHandle routeRule;
    private final MethodHandle topK;
    private final MethodHandle dispatch;
    private final MethodHandle expertLists;

    private MoeDispatchHostLibrary(Path library) {
        SymbolLookup lookup = SymbolLookup.libraryLookup(library, arena);
        Linker linker = Linker.nativeLinker();
        route = linker.downcallHandle(lookup.findOrThrow("moe_host_route"), FunctionDescriptor.ofVoid(
                ADDRESS, INT, INT, INT, INT, ADDRESS, ADDRESS, ADDRESS));
        routeRule = linker.downcallHandle(lookup.findOrThrow("moe_host_route_rule"), FunctionDescriptor.ofVoid(
                ADDRESS, ADDRESS, INT, INT, INT, INT, INT, INT, INT, FLOAT, ADDRESS, ADDRESS, ADDRESS));
        topK = linker.downcallHandle(lookup.findOrThrow("moe_host_topk"), FunctionDescriptor.ofVoid(
                ADDRESS, INT, INT, INT, INT, ADDRESS, ADDRESS));
        dispatch = linker.downcallHandle(lookup.findOrThrow("moe_host_dispatch"), FunctionDescriptor.ofVoid(
                ADDRESS, ADDRESS, ADDRESS, ADDRESS, INT, ADDRESS, ADDRESS, INT, INT, INT, DOUBLE, INT, INT, ADDRESS,
                ADDRESS, ADDRESS, ADDRESS));
        expertLists = linker.downcallHandle(lookup.findOrThrow("moe_host_expert_lists"), FunctionDescriptor.ofVoid(
                ADDRESS, ADDRESS, INT, INT, INT, INT, INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    }

    /** The source tree's root (holding {@link #HEADER}), searched upwards from the working directory. */
    static Optional<Path> sourceRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(HEADER)) && Files.isRegularFile(dir.resolve(HARNESS))) {
                return Optional.of(dir);
            }
        }
        return Optional.empty();
    }

    /** The first C++ compiler on the PATH. */
    static Optional<String> compiler() {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String c : COMPILERS) {
            for (String d : path.split(":")) {
                if (!d.isEmpty() && Files.isExecutable(Path.of(d, c))) {
                    return Optional.of(c);
                }
            }
        }
        return Optional.empty();
    }

    /** Why the library cannot be built here, if it cannot. */
    static Optional<String> unavailable() {
        if (compiler().isEmpty()) {
            return Optional.of("no C++ compiler (" + String.join(", ", COMPILERS) + ") on the PATH to build "
                    + HARNESS);
        }
        if (sourceRoot().isEmpty()) {
            return Optional.of(HEADER + " is not above the working directory " + Path.of("").toAbsolutePath()
                    + " (the test needs the source tree)");
        }
        return Optional.empty();
    }

    /** Compiles the harness into {@code dir} and binds it. */
    static MoeDispatchHostLibrary build(Path dir) throws IOException, InterruptedException {
        Path root = sourceRoot().orElseThrow();
        Path library = dir.resolve("libmoe_dispatch_host.so");
        // -ffp-contract=off: no multiply-add is fused, as nvcc -fmad=false builds the fatbin
        ProcessBuilder pb = new ProcessBuilder(compiler().orElseThrow(), "-std=c++17", "-O2", "-ffp-contract=off",
                "-shared", "-fPIC", "-I", root.resolve(HEADER).getParent().toString(), "-o",
                library.toString(), root.resolve(HARNESS).toString());
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("building " + HARNESS + " failed:\n" + String.join(" ", pb.command())
                    + "\n" + out);
        }
        return new MoeDispatchHostLibrary(library);
    }

    /** moe_route: probabilities (T, E), plain top-k experts and weights (T, k) of logits (T, E). */
    void route(float[] logits, int tokens, int experts, int k, boolean normalize, float[] probabilities, int[] topKOut,
               float[] weightsOut) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment p = a.allocate(FLOAT, (long) tokens * experts);
            MemorySegment e = a.allocate(INT, (long) tokens * k);
            MemorySegment w = a.allocate(FLOAT, (long) tokens * k);
            route.invokeExact(a.allocateFrom(FLOAT, logits), tokens, experts, k, normalize ? 1 : 0, p, e, w);
            MemorySegment.copy(p, FLOAT, 0, probabilities, 0, tokens * experts);
            MemorySegment.copy(e, INT, 0, topKOut, 0, tokens * k);
            MemorySegment.copy(w, FLOAT, 0, weightsOut, 0, tokens * k);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * moe_route under a routing rule: scores (T, E), each token's k experts and weights (T, k) of
     * logits (T, E); {@code bias} (E values) or null.
     */
    void routeRule(float[] logits, float[] bias, int tokens, int experts, int k, boolean sigmoid, int groups,
                   int groupsUsed, boolean normalize, float scale, float[] scores, int[] chosen, float[] weights) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = a.allocate(FLOAT, (long) tokens * experts);
            MemorySegment e = a.allocate(INT, (long) tokens * k);
            MemorySegment w = a.allocate(FLOAT, (long) tokens * k);
            MemorySegment b = bias != null ? a.allocateFrom(FLOAT, bias) : MemorySegment.NULL;
            routeRule.invokeExact(a.allocateFrom(FLOAT, logits), b, tokens, experts, k, sigmoid ? 1 : 0, groups,
                    groupsUsed, normalize ? 1 : 0, scale, s, e, w);
            MemorySegment.copy(s, FLOAT, 0, scores, 0, tokens * experts);
            MemorySegment.copy(e, INT, 0, chosen, 0, tokens * k);
            MemorySegment.copy(w, FLOAT, 0, weights, 0, tokens * k);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /**
     * moe_route's top-k from {@code probabilities}, then moe_dispatch over the step's groups and
     * moe_expert_lists, each with {@code threads} threads.
     */
    RoutingPlan plan(RoutingStep step, float[] probabilities, int threads) {
        int t = step.tokens;
        int k = step.k;
        int e = step.experts;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment probs = a.allocateFrom(FLOAT, probabilities);
            MemorySegment top = a.allocate(INT, (long) t * k);
            MemorySegment topWeights = a.allocate(FLOAT, (long) t * k);
            topK.invokeExact(probs, t, e, k, step.config.normalizeTopK() ? 1 : 0, top, topWeights);
            MemorySegment workspace = a.allocate(INT, 3L * k * t + (3L * e + 1) * step.groups);
            MemorySegment experts = a.allocate(INT, (long) t * k);
            MemorySegment weights = a.allocate(FLOAT, (long) t * k);
            MemorySegment stats = a.allocate(INT, (long) step.groups * RoutingPlan.GROUP_STATS);
            dispatch.invokeExact(probs, top, a.allocateFrom(INT, step.rows), a.allocateFrom(INT, step.groupStarts),
                    step.groups, a.allocateFrom(INT, step.position), a.allocateFrom(INT, step.sequence), e, k,
                    step.config.mode().ordinal(), step.config.gamma(), step.config.normalizeTopK() ? 1 : 0, threads,
                    workspace, experts, weights, stats);
            long maxList = (long) t * k + (long) e * (step.align - 1);
            MemorySegment counts = a.allocate(INT, e);
            MemorySegment offsets = a.allocate(INT, e + 1L);
            MemorySegment listRows = a.allocate(INT, Math.max(1, maxList));
            MemorySegment listWeights = a.allocate(FLOAT, Math.max(1, maxList));
            expertLists.invokeExact(experts, weights, t, k, e, step.align, threads, counts, offsets, listRows,
                    listWeights);
            int length = offsets.getAtIndex(INT, e);
            return new RoutingPlan(experts.toArray(INT), weights.toArray(FLOAT), stats.toArray(INT), counts.toArray(INT),
                    offsets.toArray(INT), listRows.asSlice(0, 4L * length).toArray(INT),
                    listWeights.asSlice(0, 4L * length).toArray(FLOAT));
        } catch (Throwable x) {
            throw rethrow(x);
        }
    }

    private static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) {
            return r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IllegalStateException(t);
    }

    @Override
    public void close() {
        arena.close();
    }
}
