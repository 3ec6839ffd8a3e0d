package dev.switchyard.loadtest.workload;

import java.io.IOException;

/** Counts the tokens the server's tokenizer makes of a text (its {@code /tokenize} endpoint, say). */
@FunctionalInterface
public interface TokenCounter {
    int count(String text) throws IOException, InterruptedException;
}
