package dev.switchyard.server.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchyard.server.batch.BatchLines;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;

/**
 * An offline batch in OpenAI's Batch API file format ({@link BatchLines}), run through a server this
 * process started: the requests go to the server's own endpoints over loopback, at most
 * {@code concurrency} at once, and the results are written in the input's order.
 */
final class BatchRun {

    /** What a batch did: its lines, and how many the server answered 200. */
    record Summary(int lines, int succeeded, double seconds) {
    }

    private final String base;
    private final String apiKey;
    private final int concurrency;

    /** Checks the settings before anything starts; {@link #at} names the server once it listens. */
    BatchRun(String base, String apiKey, int concurrency) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("--batch-concurrency must be at least 1, got " + concurrency);
        }
        this.base = base;
        this.apiKey = apiKey;
        this.concurrency = concurrency;
    }

    /** The same batch, sent to the server at {@code base} ({@code http://host:port}). */
    BatchRun at(String base) {
        return new BatchRun(base, apiKey, concurrency);
    }

    Summary run(Path input, Path output) throws IOException, InterruptedException {
        long start = System.nanoTime();
        int lines = 0;
        int succeeded = 0;
        Deque<CompletableFuture<ObjectNode>> pending = new ArrayDeque<>();
        HttpClient client = BatchLines.newClient();
        BatchLines batch = new BatchLines(base, apiKey, client);
        try (BufferedReader in = Files.newBufferedReader(input, StandardCharsets.UTF_8);
             BufferedWriter out = Files.newBufferedWriter(output, StandardCharsets.UTF_8)) {
            BatchLines.Numbered numbered = new BatchLines.Numbered(in);
            String line;
            while ((line = numbered.next()) != null) {
                lines++;
                if (pending.size() == concurrency) {
                    succeeded += write(out, pending.removeFirst());
                }
                pending.addLast(batch.send(line, numbered.number()));
            }
            while (!pending.isEmpty()) {
                succeeded += write(out, pending.removeFirst());
            }
        } finally {
            client.shutdownNow(); // whatever is still in flight (a failed write) is abandoned with the batch
        }
        return new Summary(lines, succeeded, (System.nanoTime() - start) / 1e9);
    }

    /** Writes the next result in input order; 1 when the server answered it with 200. */
    private static int write(BufferedWriter out, CompletableFuture<ObjectNode> result) throws IOException, InterruptedException {
        ObjectNode line;
        try {
            line = result.get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IOException("the batch's request failed: " + e.getCause().getMessage(), e.getCause());
        }
        out.write(BatchLines.text(line));
        out.newLine();
        return BatchLines.succeeded(line) ? 1 : 0;
    }
}
