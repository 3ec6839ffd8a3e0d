package dev.switchyard.server.openai;

import dev.switchyard.server.serving.GenerationSpec;

/**
 * A validated {@code /v1/completions} or {@code /v1/chat/completions} request: what to generate, and
 * how the response is to be shaped.
 *
 * @param includeUsage {@code stream_options.include_usage}: a last chunk with the usage
 * @param logprobs     alternatives per token to report, or -1 for no logprobs at all
 */
public record OpenAiRequest(GenerationSpec spec, boolean stream, boolean includeUsage, int logprobs) {
}
