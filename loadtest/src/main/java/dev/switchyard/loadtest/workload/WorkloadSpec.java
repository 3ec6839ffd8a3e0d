package dev.switchyard.loadtest.workload;

import java.nio.file.Path;

/**
 * What to send, independent of when: request count, prompt and output lengths in tokens (or prompts
 * from a JSONL file), a prefix shared by every prompt, cancellations, and the seed that fixes all of it.
 *
 * @param prefixLen tokens of one shared prefix put before every synthetic prompt's own input tokens
 * @param cancelRate fraction of requests the client cancels, each after a delay drawn from
 *        {@code cancelDelayMs} (milliseconds after the request was sent)
 */
public record WorkloadSpec(int numRequests, int warmup, IntRange inputLen, IntRange outputLen, int prefixLen,
                           Path dataset, double cancelRate, IntRange cancelDelayMs, long seed) {
}
