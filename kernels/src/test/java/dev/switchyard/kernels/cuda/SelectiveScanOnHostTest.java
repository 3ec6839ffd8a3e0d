package dev.switchyard.kernels.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.kernels.FloatMatrix;
import dev.switchyard.kernels.RecurrentStates;
import dev.switchyard.kernels.SequenceRuns;
import dev.switchyard.kernels.cpu.CpuBackend;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.reflect.Method;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code selective_scan} (delta_net.cu: Mamba2's selective scan over recurrent states) run on the
 * host, its threads as fibers ({@code kernels/src/test/cuda/delta_net_host.cpp}), launched as
 * {@link CudaKernels#selectiveScan} launches it with the runs {@link SequenceRuns#find} finds,
 * against the CPU backend's {@code selectiveScan} on the same inputs, states carried from call to
 * call on both sides: two sequences interleaved in one call and carried on in the next, one of them
 * starting afresh at position 0 while the other goes on, a step size past softplus' linear threshold,
 * one group and several, 36 channels (not a whole warp), Granite 4.0-H's heads (64 channels over 128
 * states, one group) and the widest the kernel takes, and another layer's calls in between, which
 * must not touch this one's states.
 *
 * <p>Held within 1e-5 of the RMS, outputs and states, and most outputs bit for bit, rather than all:
 * every product, fused multiply-add and rounding to float is the CPU's, but softplus' log1p and exp
 * and the decay's exp come from the C library here and from Java's Math there, each in double and
 * within an ulp of the exact result, which may round to a different float once in a great while and
 * then carries on through that head's later tokens of its sequence; an arithmetic order other than
 * the CPU's would change nearly every value. Skipped, with the reason, where no C++ compiler or no
 * source tree is at hand.
 */
@SuppressWarnings("restricted")
class SelectiveScanOnHostTest {

    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    private static final ValueLayout ADDRESS = ValueLayout.ADDRESS;
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    private static final int LAYERS = 2;
    private static final int SEQUENCES = 4;
    private static final double TOLERANCE = 1e-5;

    @TempDir
    static Path dir;

    private static MethodHandle scan;
    private static CpuBackend cpu;
    /**
     * CpuRecurrentStates.state(layer, slot): the CPU backend keeps its states' floats to its own
     * package, and holding the states themselves to the CPU's, not only the outputs, is the point.
     */
    private static Method cpuStateMethod;

    @BeforeAll
    static void build() throws IOException, InterruptedException, ReflectiveOperationException {
        SymbolLookup lookup = HostHarness.build("kernels/src/test/cuda/delta_net_host.cpp", dir, "-std=c++20", "-pthread");
        scan = Linker.nativeLinker().downcallHandle(lookup.findOrThrow("selective_scan_host"),
                FunctionDescriptor.ofVoid(ADDRESS, INT, INT, INT, ADDRESS, INT, ADDRESS, ADDRESS, INT, ADDRESS, INT,
                        ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
        cpu = new CpuBackend(2);
        cpuStateMethod = Class.forName("dev.switchyard.kernels.cpu.CpuRecurrentStates")
                .getDeclaredMethod("state", int.class, int.class);
        cpuStateMethod.setAccessible(true);
    }

    @AfterAll
    static void stop() {
        if (cpu != null) {
            cpu.close();
        }
    }

    /** Heads of dc channels over ds states in groups, with a bias, a (negative) decay and a skip per head. */
    private record Shape(int groups, int heads, int ds, int dc) {
        int width() {
            return heads * dc + 2 * groups * ds;
        }

        float[] dtBias() {
            return GpuTests.gaussian(7, heads, 1f);
        }

        float[] decay() {
            float[] a = GpuTests.gaussian(8, heads, 1f);
            for (int h = 0; h < heads; h++) {
                a[h] = -0.05f - Math.abs(a[h]);   // Mamba2's A = -exp(A_log): a decay, never a growth
            }
            return a;
        }

        float[] skip() {
            return GpuTests.gaussian(9, heads, 1f);
        }
    }

    /** One call's tokens: sequence slots, positions, and xbc and dt rows. */
    private record Step(int[] seq, int[] pos, float[] xbc, float[] dt) {
        static Step of(Shape shape, long seed, int[] seq, int[] pos) {
            int t = seq.length;
            return new Step(seq, pos, GpuTests.gaussian(seed, t * shape.width(), 1f),
                    GpuTests.gaussian(seed + 1, t * shape.heads(), 2f));
        }
    }

    /** Both sides' states of one shape, carried from call to call. */
    private static final class Both implements AutoCloseable {
        final Shape shape;
        final float[] dtBias;
        final float[] decay;
        final float[] skip;
        final RecurrentStates cpuStates;
        final Arena arena = Arena.ofConfined();
        final MemorySegment hostStates;

        Both(Shape shape) {
            this.shape = shape;
            this.dtBias = shape.dtBias();
            this.decay = shape.decay();
            this.skip = shape.skip();
            this.cpuStates = cpu.allocateStates(LAYERS, SEQUENCES, shape.heads(), shape.ds(), shape.dc());
            // zeroed, as CudaRecurrentStates zeroes the device's
            this.hostStates = arena.allocate(FLOAT, (long) LAYERS * SEQUENCES * cpuStates.floatsPerSequenceLayer());
        }

        /** Runs {@code step} on layer {@code layer} on both sides and checks that they agree; returns the CPU's outputs. */
        float[] run(int layer, Step step, String what) throws Throwable {
            int tokens = step.seq().length;
            int heads = shape.heads();
            FloatMatrix xbc = GpuTests.matrix(cpu, step.xbc(), tokens, shape.width());
            FloatMatrix dt = GpuTests.matrix(cpu, step.dt(), tokens, heads);
            FloatMatrix out = cpu.allocate(tokens, heads * shape.dc());
            cpu.selectiveScan(cpuStates, layer, step.seq(), step.pos(), xbc, dt, dtBias, decay, skip, shape.groups(), out,
                    tokens);
            float[] expected = GpuTests.read(out, tokens);

            int[] firstToken = new int[tokens];
            int runs = SequenceRuns.find(step.seq(), tokens, firstToken, new boolean[SEQUENCES]);
            MemorySegment result = arena.allocate(FLOAT, (long) tokens * heads * shape.dc());
            MemorySegment layerStates = hostStates.asSlice(4L * layer * SEQUENCES * cpuStates.floatsPerSequenceLayer());
            scan.invokeExact(layerStates, heads, shape.ds(), shape.dc(), arena.allocateFrom(INT, firstToken), runs,
                    arena.allocateFrom(INT, step.seq()), arena.allocateFrom(INT, step.pos()), tokens,
                    arena.allocateFrom(FLOAT, step.xbc()), shape.groups(), arena.allocateFrom(FLOAT, step.dt()),
                    arena.allocateFrom(FLOAT, dtBias), arena.allocateFrom(FLOAT, decay), arena.allocateFrom(FLOAT, skip),
                    result);
            float[] actual = result.toArray(FLOAT);
            GpuTests.assertClose(actual, expected, TOLERANCE, what + ", " + shape);
            GpuTests.assertMostlyBitForBit(actual, expected, what + ", " + shape);
            // the states the next call goes on from, every slot of this layer: one the call left
            // alone must still be all 0 (held to an RMS of 0, assertClose takes no error at all)
            long perSlot = cpuStates.floatsPerSequenceLayer();
            for (int slot = 0; slot < SEQUENCES; slot++) {
                float[] hostState = layerStates.asSlice(4L * slot * perSlot, 4L * perSlot).toArray(FLOAT);
                GpuTests.assertClose(hostState, cpuState(layer, slot), TOLERANCE,
                        what + ", " + shape + ", state of slot " + slot);
            }
            return expected;
        }

        /** The CPU's state of {@code slot} in {@code layer}: the same head-major, row-major layout as the host's. */
        private float[] cpuState(int layer, int slot) throws ReflectiveOperationException {
            return (float[]) cpuStateMethod.invoke(cpuStates, layer, slot);
        }

        @Override
        public void close() {
            cpuStates.close();
            arena.close();
        }
    }

    /** {@link RecurrentSchedule}'s steps on the host kernel and the CPU alike. */
    private static void interleavedAndRestarted(Shape shape) throws Throwable {
        try (Both both = new Both(shape)) {
            RecurrentSchedule.interleavedAndRestarted((layer, seed, seq, pos, pastThreshold, what) -> {
                Step step = Step.of(shape, seed, seq, pos);
                if (pastThreshold) {
                    step.dt()[3 * shape.heads() + 1] = 30f;
                }
                return both.run(layer, step, what);
            }, "a scan that computes something");
        }
    }

    @Test
    void oneGroupOfChannelsThatAreNotAWholeWarpMatchesTheCpuBackend() throws Throwable {
        interleavedAndRestarted(new Shape(1, 6, 20, 36));
    }

    @Test
    void severalGroupsOfChannelsThatAreNotAWholeWarpMatchTheCpuBackend() throws Throwable {
        interleavedAndRestarted(new Shape(3, 6, 20, 36));
    }

    @Test
    void graniteHeadsOf64ChannelsOver128StatesMatchTheCpuBackend() throws Throwable {
        interleavedAndRestarted(new Shape(1, 4, 128, 64));
    }

    @Test
    void theWidestHeadsTheKernelTakesMatchTheCpuBackend() throws Throwable {
        int widest = CudaKernels.DELTA_NET_MAX_KEY_DIM;
        assertThat(CudaKernels.DELTA_NET_MAX_VALUE_DIM).isEqualTo(widest);
        Shape shape = new Shape(2, 2, widest, widest);
        try (Both both = new Both(shape)) {
            both.run(0, Step.of(shape, 51, new int[] {3, 3, 1}, new int[] {0, 1, 0}), "first");
            both.run(0, Step.of(shape, 61, new int[] {1, 3}, new int[] {1, 2}), "second");
        }
    }
}
