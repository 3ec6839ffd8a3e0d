package dev.switchyard.kernels;

/**
 * Paged key/value storage for every layer: {@code blocks} blocks of {@code blockSize} positions.
 * A position of a sequence lives in slot {@code block * blockSize + offset}, where the sequence's
 * block table maps its logical block {@code position / blockSize} to a physical block. Which blocks a
 * sequence owns is the engine's business (engine.kv); the backend only stores and attends.
 */
public interface KvStorage extends AutoCloseable {

    int layers();

    int blocks();

    int blockSize();

    /** KV heads per position; attention batches must have as many. */
    int kvHeads();

    /** Key width per position: kv heads x key head dim. */
    int keyDim();

    /** Value width per position: kv heads x value head dim; 0 where values are read from the keys. */
    int valueDim();

    /** How each key and value is stored. */
    KvCacheType type();

    @Override
    void close();
}
