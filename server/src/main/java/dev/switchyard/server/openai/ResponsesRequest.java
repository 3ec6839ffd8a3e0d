package dev.switchyard.server.openai;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.engine.chat.ChatMessage;
import java.util.List;

/**
 * A validated {@code /v1/responses} request: what to generate, and what the response object repeats
 * of the request.
 *
 * @param request         what to generate, and whether to stream
 * @param logprobs        whether the answer's output text carries its tokens' logprobs
 * @param instructions    null when none
 * @param maxOutputTokens null when not set
 * @param tools           the tools as sent (null: none)
 * @param toolChoice      as sent (null: auto)
 * @param format          {@code text.format} as sent (null: plain text)
 * @param effort          {@code reasoning.effort} (null: not set)
 * @param metadata        as sent (null: none)
 * @param store           whether the response is kept ({@link ResponseStore})
 * @param previousId      the response this one continues, or null
 * @param conversation    the earlier turns and this input (no instructions): what the output continues
 * @param inputItems      this request's input as items, each with an id (what {@code input_items} lists)
 * @param background      whether the response is made apart from the request, polled and cancelled by id
 * @param conversationId  the conversation the response continues and joins, or null
 * @param owner           the name of the key that made it, which alone reaches it later (null: no key)
 */
record ResponsesRequest(OpenAiRequest request, boolean logprobs, String instructions, Integer maxOutputTokens,
                        double temperature, double topP, JsonNode tools, JsonNode toolChoice, boolean parallelToolCalls,
                        JsonNode format, String effort, JsonNode metadata, String user, int topLogprobs,
                        boolean store, String previousId, List<ChatMessage> conversation, JsonNode inputItems,
                        boolean background, String conversationId, String owner) {
}
