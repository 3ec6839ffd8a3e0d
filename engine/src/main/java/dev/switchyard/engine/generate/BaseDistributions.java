package dev.switchyard.engine.generate;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A base model's predictions over a scored text, kept to compare other models with
 * ({@link KlDivergence}): the chunks' tokens (so a compared model is known to read the same text the
 * same way), then for every counted position, in chunk and position order, the base's natural-log
 * probability of the token that came and its {@code top} most probable tokens with theirs.
 *
 * <p>Layout, big-endian: magic {@code SYKL}, version 1, vocabulary size, context, chunks, top (ints);
 * the chunks' tokens (chunks x context ints); then per counted position a float and {@code top}
 * (int id, float log-probability) pairs.
 */
public final class BaseDistributions {

    private static final int MAGIC = 0x53594b4c;
    private static final int VERSION = 1;

    /** What the base file is about: the vocabulary, the chunking, and the text's tokens. */
    public record Header(int vocabSize, int context, int chunks, int top, int[] tokens) {

        public Header {
            if (vocabSize < 1 || context < 4 || chunks < 1 || top < 1 || top > vocabSize) {
                throw new IllegalArgumentException("a base distributions header out of range: vocabulary " + vocabSize
                        + ", context " + context + ", chunks " + chunks + ", top " + top);
            }
            if (tokens.length != (long) chunks * context) {
                throw new IllegalArgumentException("a base distributions header holds " + tokens.length
                        + " tokens for " + chunks + " chunks of " + context);
            }
        }

        /** The tokens of chunk {@code i}. */
        public int[] chunk(int i) {
            return java.util.Arrays.copyOfRange(tokens, i * context, (i + 1) * context);
        }
    }

    /** One counted position: the token's log-probability and the best tokens with theirs. */
    public static final class Entry {
        public float tokenLogprob;
        public final int[] ids;
        public final float[] logprobs;

        public Entry(int top) {
            ids = new int[top];
            logprobs = new float[top];
        }
    }

    private BaseDistributions() {
    }

    /** Writes a base file, header first; entries follow in chunk and position order. */
    public static final class Writer implements Closeable {
        private final DataOutputStream out;
        private final int top;

        public Writer(Path path, Header header) throws IOException {
            this.out = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(path), 1 << 16));
            this.top = header.top();
            out.writeInt(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(header.vocabSize());
            out.writeInt(header.context());
            out.writeInt(header.chunks());
            out.writeInt(header.top());
            for (int t : header.tokens()) {
                out.writeInt(t);
            }
        }

        public void write(Entry e) throws IOException {
            out.writeFloat(e.tokenLogprob);
            for (int i = 0; i < top; i++) {
                out.writeInt(e.ids[i]);
                out.writeFloat(e.logprobs[i]);
            }
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    /** Reads a base file; every malformed or cut-short part is an {@link IllegalArgumentException} naming it. */
    public static final class Reader implements Closeable {
        private final Path path;
        private final DataInputStream in;
        private final Header header;

        public Reader(Path path) throws IOException {
            this.path = path;
            this.in = new DataInputStream(new BufferedInputStream(Files.newInputStream(path), 1 << 16));
            try {
                if (in.readInt() != MAGIC) {
                    throw new IllegalArgumentException(path + " is not a base distributions file (no SYKL magic)");
                }
                int version = in.readInt();
                if (version != VERSION) {
                    throw new IllegalArgumentException(path + " is version " + version + " of the base distributions "
                            + "format; this build reads version " + VERSION);
                }
                int vocab = in.readInt();
                int context = in.readInt();
                int chunks = in.readInt();
                int top = in.readInt();
                if (vocab < 1 || context < 4 || chunks < 1 || top < 1 || top > vocab
                        || (long) chunks * context > Integer.MAX_VALUE - 8) {
                    throw new IllegalArgumentException(path + ": header out of range (vocabulary " + vocab + ", context "
                            + context + ", chunks " + chunks + ", top " + top + ")");
                }
                int[] tokens = new int[chunks * context];
                for (int i = 0; i < tokens.length; i++) {
                    tokens[i] = in.readInt();
                    if (tokens[i] < 0 || tokens[i] >= vocab) {
                        throw new IllegalArgumentException(path + ": token " + i + " is " + tokens[i]
                                + ", outside the vocabulary of " + vocab);
                    }
                }
                this.header = new Header(vocab, context, chunks, top, tokens);
            } catch (EOFException e) {
                in.close();
                throw new IllegalArgumentException(path + " ends inside its header");
            } catch (RuntimeException e) {
                in.close();
                throw e;
            }
        }

        public Header header() {
            return header;
        }

        /** Reads the next entry into {@code e}. */
        public void read(Entry e) throws IOException {
            try {
                e.tokenLogprob = in.readFloat();
                for (int i = 0; i < header.top(); i++) {
                    e.ids[i] = in.readInt();
                    e.logprobs[i] = in.readFloat();
                    if (e.ids[i] < 0 || e.ids[i] >= header.vocabSize()) {
                        throw new IllegalArgumentException(path + ": an entry names token " + e.ids[i]
                                + ", outside the vocabulary of " + header.vocabSize());
                    }
                }
            } catch (EOFException x) {
                throw new IllegalArgumentException(path + " ends before its last counted position: cut short?");
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
