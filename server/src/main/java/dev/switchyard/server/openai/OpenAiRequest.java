package dev.switchyard.server.openai;

import dev.switchyard.server.serving.GenerationSpec;

/**
 * A validated {@code /v1/completions} or {@code /v1/chat/completions} request: what to generate, and
 * how the response is to be shaped.
 *
 * @param includeUsage   {@code stream_options.include_usage}: a last chunk with the usage
 * @param logprobs       alternatives per token to report, or -1 for no logprobs at all
 * @param promptLogprobs vLLM's {@code prompt_logprobs}: alternatives per prompt token in the
 *                       response's {@code prompt_logprobs}, or -1 for none
 * @param tokensAsIds    vLLM's {@code return_tokens_as_token_ids}: tokens in logprobs are written
 *                       {@code token_id:N}, so a client gets the exact ids (a token's text may not
 *                       tokenize back to it)
 */
public record OpenAiRequest(GenerationSpec spec, boolean stream, boolean includeUsage, int logprobs,
                            int promptLogprobs, boolean tokensAsIds) {

    public OpenAiRequest(GenerationSpec spec, boolean stream, boolean includeUsage, int logprobs) {
        this(spec, stream, includeUsage, logprobs, -1, false);
    }

    /** How its logprobs name tokens: as ids, or as text with control tokens' where the reply shows them. */
    TokenLabel labels() {
        return TokenLabel.of(tokensAsIds, spec.renderSpecial());
    }

    /** Whether a completion's logprobs begin with its echoed prompt's (OpenAI's {@code echo} with {@code logprobs}). */
    public boolean echoesPromptLogprobs() {
        return logprobs >= 0 && spec.echoTexts() != null && spec.promptLogprobs() >= 0;
    }
}
