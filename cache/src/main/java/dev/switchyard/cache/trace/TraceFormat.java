package dev.switchyard.cache.trace;

/**
 * The routing trace file, version 1: everything the simulator needs to replay a run's expert
 * accesses, and the speculative gate's proposals, which can only be computed while the model runs
 * (they need the hidden state) and so are recorded beside the routing.
 *
 * <p>All integers are little-endian, as in GGUF.
 * <pre>
 * header
 *   magic        4 bytes  "SYRT"
 *   version      u16      1
 *   layers       u16      1 .. 65535       MoE layers
 *   experts      u16      1 .. 65535       routed experts per layer
 *   top_k        u8       1 .. experts     experts per token per layer
 *   gate_depth   u8       0 .. layers-1    proposals recorded for layers l+1 .. l+gate_depth
 *   gate_width   u8       experts proposed per token per target layer (0 iff gate_depth = 0)
 *   reserved     u8       0
 *   expert_bytes u64      bytes of one expert (gate+up+down) in the recorded model, 0 = unknown
 *   source_len   u16, then source_len bytes of UTF-8: what produced the trace
 * step (repeated)
 *   tag          u8       'S' (0x53)
 *   kind         u8       0 = prefill (prompt tokens), 1 = decode
 *   tokens       u32      1 .. 1048576
 *   request      u32 x tokens                 the request each token belongs to
 *   routing      for each layer l: u16 x tokens x top_k, token-major, each token's experts best
 *                first (router rank order); 0xFFFF = an assignment dropped by capacity-aware dispatch
 *   proposals    for each layer l, for each j in 1 .. min(gate_depth, layers-1-l):
 *                u16 x tokens x gate_width, proposed at l for layer l+j
 * end
 *   tag          u8       'E' (0x45)
 *   steps        u64      the number of steps above (so a file cut between steps is caught)
 * </pre>
 * Nothing may follow the end record. A token's experts within one layer are distinct.
 */
public final class TraceFormat {

    static final byte[] MAGIC = {'S', 'Y', 'R', 'T'};
    static final int VERSION = 1;
    static final byte STEP_TAG = 'S';
    static final byte END_TAG = 'E';
    static final int PREFILL = 0;
    static final int DECODE = 1;
    static final int DROPPED = 0xFFFF;
    /** Tokens one step may carry: far above any step a server runs, low enough to refuse garbage. */
    public static final int MAX_STEP_TOKENS = 1 << 20;

    private TraceFormat() {
    }
}
