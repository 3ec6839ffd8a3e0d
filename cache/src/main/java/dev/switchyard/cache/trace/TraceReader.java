package dev.switchyard.cache.trace;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads a {@link TraceFormat} file and refuses anything else with a {@link TraceFormatException}
 * naming the problem and its byte offset: a wrong magic or version, a header out of range, a step
 * cut short, an expert id outside the model, a count larger than the bytes that remain (checked
 * before anything is allocated, so a corrupt count cannot exhaust memory), a missing end record.
 */
public final class TraceReader {

    private final ByteBuffer in;
    private TraceHeader header;

    private TraceReader(ByteBuffer in) {
        this.in = in.order(ByteOrder.LITTLE_ENDIAN);
    }

    public static RoutingTrace read(Path path) throws IOException {
        return read(Files.readAllBytes(path));
    }

    public static RoutingTrace read(byte[] bytes) {
        return new TraceReader(ByteBuffer.wrap(bytes)).readAll();
    }

    private RoutingTrace readAll() {
        header = readHeader();
        List<TraceStep> steps = new ArrayList<>();
        while (true) {
            int at = in.position();
            if (!in.hasRemaining()) {
                throw new TraceFormatException("truncated: no end record after " + steps.size() + " steps", at);
            }
            byte tag = in.get();
            if (tag == TraceFormat.END_TAG) {
                long count = u64("end record's step count");
                if (count != steps.size()) {
                    throw new TraceFormatException("end record counts " + count + " steps but the file holds "
                            + steps.size(), at);
                }
                if (in.hasRemaining()) {
                    throw new TraceFormatException(in.remaining() + " bytes after the end record", in.position());
                }
                return new RoutingTrace(header, steps);
            }
            if (tag != TraceFormat.STEP_TAG) {
                throw new TraceFormatException("expected a step ('S') or the end ('E'), found byte 0x"
                        + Integer.toHexString(tag & 0xFF) + " after " + steps.size() + " steps", at);
            }
            steps.add(readStep(steps.size()));
        }
    }

    private TraceHeader readHeader() {
        byte[] magic = bytes(4, "magic");
        if (!Arrays.equals(magic, TraceFormat.MAGIC)) {
            throw new TraceFormatException("not a routing trace: bad magic " + printable(magic) + " (expected SYRT)", 0);
        }
        int version = u16("version");
        if (version != TraceFormat.VERSION) {
            throw new TraceFormatException("unsupported trace version " + version + " (this build reads "
                    + TraceFormat.VERSION + ")", 4);
        }
        int at = in.position();
        int layers = u16("layers");
        int experts = u16("experts");
        int topK = u8("top_k");
        int gateDepth = u8("gate_depth");
        int gateWidth = u8("gate_width");
        u8("reserved");
        long expertBytes = u64("expert_bytes");
        int sourceLength = u16("source length");
        String source = utf8(bytes(sourceLength, "source text"), in.position() - sourceLength);
        try {
            return new TraceHeader(layers, experts, topK, gateDepth, gateWidth, expertBytes, source);
        } catch (IllegalArgumentException e) {
            throw new TraceFormatException("bad header: " + e.getMessage(), at);
        }
    }

    private TraceStep readStep(int index) {
        int kindAt = in.position();
        int kind = u8("step kind");
        if (kind != TraceFormat.PREFILL && kind != TraceFormat.DECODE) {
            throw new TraceFormatException("step " + index + ": unknown kind " + kind, kindAt);
        }
        int tokensAt = in.position();
        long tokens = u32("token count");
        if (tokens < 1 || tokens > TraceFormat.MAX_STEP_TOKENS) {
            throw new TraceFormatException("step " + index + ": token count " + tokens + " outside 1.."
                    + TraceFormat.MAX_STEP_TOKENS, tokensAt);
        }
        int t = (int) tokens;
        long need = 4L * t + 2L * idsPerStep(t);
        if (need > in.remaining()) {
            throw new TraceFormatException("truncated: step " + index + " of " + t + " tokens needs " + need
                    + " bytes, only " + in.remaining() + " remain", tokensAt);
        }
        int[] requests = new int[t];
        for (int i = 0; i < t; i++) {
            int at = in.position();
            long r = u32("request id");
            if (r > Integer.MAX_VALUE) {
                throw new TraceFormatException("step " + index + ": request id " + r + " too large", at);
            }
            requests[i] = (int) r;
        }
        int layers = header.layers();
        int[][] experts = new int[layers][];
        for (int l = 0; l < layers; l++) {
            experts[l] = ids(t, header.topK(), true, "step " + index + " layer " + l + " routing");
        }
        int[][][] proposals = new int[layers][][];
        for (int l = 0; l < layers; l++) {
            proposals[l] = new int[header.depthsAt(l)][];
            for (int j = 1; j <= header.depthsAt(l); j++) {
                proposals[l][j - 1] = ids(t, header.gateWidth(), false, "step " + index + " layer " + l + " proposals +" + j);
            }
        }
        return new TraceStep(kind == TraceFormat.PREFILL, requests, experts, proposals);
    }

    private long idsPerStep(int tokens) {
        long ids = (long) header.layers() * tokens * header.topK();
        for (int l = 0; l < header.layers(); l++) {
            ids += (long) header.depthsAt(l) * tokens * header.gateWidth();
        }
        return ids;
    }

    /** {@code tokens x width} expert ids, each token's distinct and inside the model. */
    private int[] ids(int tokens, int width, boolean mayDrop, String what) {
        int[] ids = new int[tokens * width];
        for (int i = 0; i < ids.length; i++) {
            int at = in.position();
            int id = in.getShort() & 0xFFFF; // in range: readStep checked the step's length first
            if (id == TraceFormat.DROPPED && mayDrop) {
                ids[i] = -1;
                continue;
            }
            if (id >= header.experts()) {
                throw new TraceFormatException(what + ": expert id " + id + " outside 0.." + (header.experts() - 1), at);
            }
            for (int j = i - i % width; j < i; j++) {
                if (ids[j] == id) {
                    throw new TraceFormatException(what + ": token " + i / width + " lists expert " + id + " twice", at);
                }
            }
            ids[i] = id;
        }
        return ids;
    }

    private byte[] bytes(int n, String what) {
        need(n, what);
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    private int u8(String what) {
        need(1, what);
        return in.get() & 0xFF;
    }

    private int u16(String what) {
        need(2, what);
        return in.getShort() & 0xFFFF;
    }

    private long u32(String what) {
        need(4, what);
        return in.getInt() & 0xFFFFFFFFL;
    }

    private long u64(String what) {
        need(8, what);
        long v = in.getLong();
        if (v < 0) {
            throw new TraceFormatException(what + " " + Long.toUnsignedString(v) + " is out of range", in.position() - 8);
        }
        return v;
    }

    private void need(int n, String what) {
        if (in.remaining() < n) {
            throw new TraceFormatException("truncated: " + what + " needs " + n + " bytes, only " + in.remaining()
                    + " remain", in.position());
        }
    }

    private static String utf8(byte[] bytes, int at) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new TraceFormatException("source text is not UTF-8", at);
        }
    }

    private static String printable(byte[] b) {
        StringBuilder s = new StringBuilder();
        for (byte x : b) {
            s.append(x >= 0x20 && x < 0x7F ? String.valueOf((char) x) : String.format("\\x%02x", x & 0xFF));
        }
        return "'" + s + "'";
    }
}
