package dev.switchyard.kernels.cuda;

import static dev.switchyard.kernels.cuda.Driver.check;
import static dev.switchyard.kernels.cuda.driver.cuda_h.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL;
import static dev.switchyard.kernels.cuda.driver.cuda_h.cuGraphDestroy;
import static dev.switchyard.kernels.cuda.driver.cuda_h.cuGraphExecDestroy;
import static dev.switchyard.kernels.cuda.driver.cuda_h.cuGraphInstantiateWithFlags;
import static dev.switchyard.kernels.cuda.driver.cuda_h.cuGraphLaunch;
import static dev.switchyard.kernels.cuda.driver.cuda_h.cuLaunchKernel;
import static dev.switchyard.kernels.cuda.driver.cuda_h.cuStreamBeginCapture_v2;
import static dev.switchyard.kernels.cuda.driver.cuda_h.cuStreamEndCapture;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * Kernel launches on the compute stream, sent in chunks of up to {@code chunk} launches, each chunk
 * replayed as one CUDA graph once the same chunk has been seen before.
 *
 * <p>A decode step is about a hundred small launches whose functions, geometry and arguments
 * repeat from step to step: the weights, activations and KV storage sit at fixed addresses, and
 * what changes (token ids, positions, KV slots, block tables) travels in the staging ring, whose
 * offsets restart at every stream synchronization, so the same step shape finds the same addresses.
 * A chunk is recorded here (function, grid, block, argument bytes), then at {@link #flush}: a chunk
 * met before and instantiated is one {@code cuGraphLaunch}; a chunk met for the second time is
 * captured from the stream into a graph, instantiated and launched; anything else is launched as
 * recorded. Graph replay trims the per-kernel launch cost on both the host and the device.
 *
 * <p>Chunks rather than whole steps, so the device starts on a step's first kernels while the host
 * still records the rest. The owner must {@link #flush} before any other stream operation that the
 * recorded kernels must precede (a copy, an event record, a wait for the stream); staging copies
 * into fresh ring space may go ahead of recorded kernels, as nothing recorded reads that space.
 *
 * <p>Nothing is allocated per launch or per flush once warm, except when a new graph is captured.
 * A capture or instantiation the driver refuses turns graphs off for this queue, with one log line;
 * the kernels then run as recorded, so results never depend on it. With graphs off, each launch
 * goes to the stream at once, as if there were no queue. Not thread-safe: the compute
 * stream's single caller.
 */
final class KernelQueue implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(KernelQueue.class.getName());
    /** Launch geometry and argument words kept per launch: function, grid x, grid y, block, count. */
    private static final int HEADER = 5;
    private static final int MAX_ARGS = KernelArgs.MAX;
    private static final int WORDS = HEADER + MAX_ARGS;
    /** Chunks shorter than this are launched as recorded: a graph launch saves nothing on them. */
    private static final int MIN_GRAPH = 4;
    private static final int GRAPHS = 128;
    private static final int SEEN = 512;

    private final MemorySegment stream;
    private final int chunk;
    private boolean graphs;
    private final MemorySegment[] functions;
    private final long[] records;
    private final MemorySegment values;
    /** Launch i's {@code void** kernelParams}: MAX_ARGS pointers into its slots of {@code values}. */
    private final MemorySegment[] params;
    private int pending;
    private final MemorySegment out = Arena.ofAuto().allocate(8, 8);

    private final long[][] graphKeys = new long[GRAPHS][];
    private final long[] graphHashes = new long[GRAPHS];
    private final MemorySegment[] graphExecs = new MemorySegment[GRAPHS];
    private final long[] graphLastUse = new long[GRAPHS];
    private int graphCount;
    private final long[] seen = new long[SEEN];
    private int seenNext;
    private long clock;

    private long replays;
    private long captures;
    private long direct;

    KernelQueue(MemorySegment stream, int chunk, boolean graphs) {
        if (chunk < 1) {
            throw new IllegalArgumentException("chunk of " + chunk + " launches");
        }
        this.stream = stream;
        this.chunk = chunk;
        this.graphs = graphs;
        this.functions = new MemorySegment[chunk];
        this.records = new long[chunk * WORDS];
        Arena arena = Arena.ofAuto();
        this.values = arena.allocate(8L * MAX_ARGS * chunk, 8);
        MemorySegment pointers = arena.allocate(ValueLayout.ADDRESS.byteSize() * MAX_ARGS * chunk, 8);
        for (int i = 0; i < MAX_ARGS * chunk; i++) {
            pointers.setAtIndex(ValueLayout.ADDRESS, i, values.asSlice(8L * i, 8));
        }
        this.params = new MemorySegment[chunk];
        for (int i = 0; i < chunk; i++) {
            params[i] = pointers.asSlice(ValueLayout.ADDRESS.byteSize() * MAX_ARGS * i);
        }
    }

    /** Records one launch and sends the chunk when it is full; with graphs off, launches it now. */
    void add(MemorySegment function, int gridX, int gridY, int blockX, int blockY, KernelArgs args) {
        if (!graphs) {
            flush();
            check(cuLaunchKernel(function, gridX, gridY, 1, blockX, blockY, 1, 0, stream, args.params(), MemorySegment.NULL),
                    "cuLaunchKernel");
            direct++;
            return;
        }
        int i = pending;
        int at = i * WORDS;
        functions[i] = function;
        records[at] = function.address();
        records[at + 1] = gridX;
        records[at + 2] = gridY;
        records[at + 3] = ((long) blockY << 32) | blockX;
        int n = args.count();
        records[at + 4] = n;
        MemorySegment argValues = args.values();
        for (int j = 0; j < n; j++) {
            long word = argValues.getAtIndex(ValueLayout.JAVA_LONG, j);
            records[at + HEADER + j] = word;
            values.setAtIndex(ValueLayout.JAVA_LONG, (long) i * MAX_ARGS + j, word);
        }
        // unused words zeroed, so a launch's record depends on its own arguments alone
        Arrays.fill(records, at + HEADER + n, at + WORDS, 0L);
        pending = i + 1;
        if (pending == chunk) {
            flush();
        }
    }

    /** Sends every recorded launch to the stream. */
    void flush() {
        int n = pending;
        if (n == 0) {
            return;
        }
        pending = 0;
        if (!graphs || n < MIN_GRAPH) {
            launchRecorded(n);
            return;
        }
        int words = n * WORDS;
        long hash = hash(words);
        clock++;
        int g = findGraph(hash, words);
        if (g >= 0) {
            graphLastUse[g] = clock;
            check(cuGraphLaunch(graphExecs[g], stream), "cuGraphLaunch");
            replays++;
            return;
        }
        if (!seenBefore(hash)) {
            launchRecorded(n);
            return;
        }
        MemorySegment exec = capture(n);
        if (exec == null) {
            launchRecorded(n);
            return;
        }
        g = slotForGraph();
        graphKeys[g] = Arrays.copyOf(records, words);
        graphHashes[g] = hash;
        graphExecs[g] = exec;
        graphLastUse[g] = clock;
        check(cuGraphLaunch(exec, stream), "cuGraphLaunch");
        captures++;
    }

    /** Launches sent as graph replays, captures, and launches sent one by one (tests, logs). */
    long replays() {
        return replays;
    }

    long captures() {
        return captures;
    }

    long directLaunches() {
        return direct;
    }

    boolean graphsOn() {
        return graphs;
    }

    private void launchRecorded(int n) {
        for (int i = 0; i < n; i++) {
            launch(i);
        }
        direct += n;
    }

    private void launch(int i) {
        check(send(i), "cuLaunchKernel");
    }

    /** Sends recorded launch i to the stream (or into the capture under way); the driver's result. */
    private int send(int i) {
        int at = i * WORDS;
        long block = records[at + 3];
        return cuLaunchKernel(functions[i], (int) records[at + 1], (int) records[at + 2], 1, (int) block,
                (int) (block >>> 32), 1, 0, stream, params[i], MemorySegment.NULL);
    }

    /**
     * The recorded launches captured into an instantiated graph, not yet launched; null (graphs
     * off from now on) when the driver refuses.
     */
    private MemorySegment capture(int n) {
        int rc = cuStreamBeginCapture_v2(stream, CU_STREAM_CAPTURE_MODE_THREAD_LOCAL());
        if (rc != 0) {
            return disable("cuStreamBeginCapture_v2", rc);
        }
        int launchRc = 0;
        int endRc;
        try {
            for (int i = 0; i < n && launchRc == 0; i++) {
                launchRc = send(i);
            }
        } finally {
            // whatever happened, the stream must not stay in capture mode
            endRc = cuStreamEndCapture(stream, out);
        }
        MemorySegment graph = endRc == 0 ? out.get(ValueLayout.ADDRESS, 0) : MemorySegment.NULL;
        if (launchRc != 0 || endRc != 0) {
            if (!graph.equals(MemorySegment.NULL)) {
                cuGraphDestroy(graph);
            }
            return disable(launchRc != 0 ? "cuLaunchKernel under capture" : "cuStreamEndCapture",
                    launchRc != 0 ? launchRc : endRc);
        }
        int instRc = cuGraphInstantiateWithFlags(out, graph, 0);
        MemorySegment exec = instRc == 0 ? out.get(ValueLayout.ADDRESS, 0) : null;
        cuGraphDestroy(graph);
        if (exec == null) {
            return disable("cuGraphInstantiateWithFlags", instRc);
        }
        return exec;
    }

    private MemorySegment disable(String call, int rc) {
        graphs = false;
        LOG.log(System.Logger.Level.WARNING, "CUDA graphs off: " + call + " failed with " + Driver.describe(rc)
                + "; kernels are launched one by one");
        return null;
    }

    private long hash(int words) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < words; i++) {
            h = (h ^ records[i]) * 0x100000001b3L;
        }
        return h ^ (h >>> 29);
    }

    private int findGraph(long hash, int words) {
        for (int g = 0; g < graphCount; g++) {
            if (graphHashes[g] == hash && graphKeys[g].length == words
                    && Arrays.equals(graphKeys[g], 0, words, records, 0, words)) {
                return g;
            }
        }
        return -1;
    }

    /** Whether this chunk's hash was met before; remembers it if not. */
    private boolean seenBefore(long hash) {
        for (long s : seen) {
            if (s == hash) {
                return true;
            }
        }
        seen[seenNext] = hash;
        seenNext = (seenNext + 1) % SEEN;
        return false;
    }

    /** A free graph slot, else the least recently replayed one, its graph destroyed. */
    private int slotForGraph() {
        if (graphCount < GRAPHS) {
            return graphCount++;
        }
        int oldest = 0;
        for (int g = 1; g < GRAPHS; g++) {
            if (graphLastUse[g] < graphLastUse[oldest]) {
                oldest = g;
            }
        }
        cuGraphExecDestroy(graphExecs[oldest]);
        return oldest;
    }

    /** Destroys the instantiated graphs (after the stream has finished with them). */
    @Override
    public void close() {
        for (int g = 0; g < graphCount; g++) {
            cuGraphExecDestroy(graphExecs[g]);
            graphExecs[g] = null;
        }
        graphCount = 0;
    }
}
