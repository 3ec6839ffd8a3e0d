package dev.switchyard.cache.trace;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes a {@link TraceFormat} file step by step, checking each step against the header so that
 * whatever it writes, {@link TraceReader} reads back. {@link #close()} writes the end record; a
 * writer that is never closed leaves a file the reader reports as truncated.
 */
public final class TraceWriter implements AutoCloseable {

    private final OutputStream out;
    private final TraceHeader header;
    private long steps;
    private boolean closed;

    public TraceWriter(OutputStream out, TraceHeader header) throws IOException {
        this.out = out;
        this.header = header;
        byte[] source = header.source().getBytes(StandardCharsets.UTF_8);
        if (source.length > 0xFFFF) {
            throw new IllegalArgumentException("trace source text is longer than 65535 bytes");
        }
        ByteBuffer b = ByteBuffer.allocate(4 + 2 + 2 + 2 + 4 + 8 + 2 + source.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(TraceFormat.MAGIC).putShort((short) TraceFormat.VERSION)
                .putShort((short) header.layers()).putShort((short) header.experts())
                .put((byte) header.topK()).put((byte) header.gateDepth()).put((byte) header.gateWidth()).put((byte) 0)
                .putLong(header.expertBytes()).putShort((short) source.length).put(source);
        out.write(b.array());
    }

    public static TraceWriter create(Path path, TraceHeader header) throws IOException {
        OutputStream out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 16);
        try {
            return new TraceWriter(out, header);
        } catch (IOException | RuntimeException e) {
            out.close();
            throw e;
        }
    }

    public TraceHeader header() {
        return header;
    }

    public void write(TraceStep step) throws IOException {
        if (closed) {
            throw new IllegalStateException("trace writer is closed");
        }
        int t = step.tokens();
        if (t < 1 || t > TraceFormat.MAX_STEP_TOKENS) {
            throw new IllegalArgumentException("a step carries 1.." + TraceFormat.MAX_STEP_TOKENS + " tokens: " + t);
        }
        int layers = header.layers();
        long ids = (long) layers * t * header.topK();
        for (int l = 0; l < layers; l++) {
            ids += (long) header.depthsAt(l) * t * header.gateWidth();
        }
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(1 + 1 + 4 + 4L * t + 2 * ids)).order(ByteOrder.LITTLE_ENDIAN);
        b.put(TraceFormat.STEP_TAG).put((byte) (step.prefill() ? TraceFormat.PREFILL : TraceFormat.DECODE)).putInt(t);
        for (int i = 0; i < t; i++) {
            if (step.request(i) < 0) {
                throw new IllegalArgumentException("negative request id " + step.request(i));
            }
            b.putInt(step.request(i));
        }
        for (int l = 0; l < layers; l++) {
            putIds(b, step.experts(l), t, header.topK(), true, "layer " + l + " routing");
        }
        for (int l = 0; l < layers; l++) {
            for (int j = 1; j <= header.depthsAt(l); j++) {
                putIds(b, step.proposals(l, j), t, header.gateWidth(), false, "layer " + l + " proposals for +" + j);
            }
        }
        out.write(b.array());
        steps++;
    }

    /** {@code tokens x width} ids; a token's experts must be distinct, as the reader demands. */
    private void putIds(ByteBuffer b, int[] ids, int tokens, int width, boolean mayDrop, String what) {
        int expected = tokens * width;
        if (ids == null || ids.length != expected) {
            throw new IllegalArgumentException(what + ": expected " + expected + " expert ids, got "
                    + (ids == null ? "none" : ids.length));
        }
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (id == -1 && mayDrop) {
                b.putShort((short) TraceFormat.DROPPED);
                continue;
            }
            if (id < 0 || id >= header.experts()) {
                throw new IllegalArgumentException(what + ": expert id " + id + " outside 0.." + (header.experts() - 1));
            }
            for (int j = i - i % width; j < i; j++) {
                if (ids[j] == id) {
                    throw new IllegalArgumentException(what + ": token " + i / width + " lists expert " + id + " twice");
                }
            }
            b.putShort((short) id);
        }
    }

    public long stepsWritten() {
        return steps;
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        ByteBuffer b = ByteBuffer.allocate(9).order(ByteOrder.LITTLE_ENDIAN);
        b.put(TraceFormat.END_TAG).putLong(steps);
        try (out) {
            out.write(b.array());
        }
    }
}
