package dev.switchyard.loadtest.target;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;

/**
 * The JSON bodies the load test sends. Generation requests are made to be measured as vLLM's
 * {@code bench serve} measures them (RESULTS.md): exactly {@code max_tokens} tokens ({@code ignore_eos}),
 * greedy ({@code temperature: 0}) unless the run asks for sampling, streamed, with a final usage chunk
 * ({@code stream_options.include_usage}) so output tokens are counted by the server and not guessed
 * from chunks.
 */
final class RequestBodies {

    private final ObjectMapper json;

    RequestBodies(ObjectMapper json) {
        this.json = json;
    }

    byte[] generation(ApiKind api, StreamRequest request) {
        return bytes(body(api, request, true));
    }

    /** The same request whole, not streamed: a line's body in a batch. */
    ObjectNode whole(ApiKind api, StreamRequest request) {
        return body(api, request, false);
    }

    private ObjectNode body(ApiKind api, StreamRequest request, boolean stream) {
        ObjectNode body = json.createObjectNode();
        body.put("model", request.model());
        switch (api) {
            case COMPLETIONS -> body.put("prompt", request.prompt());
            case CHAT, MESSAGES -> body.putArray("messages").addObject().put("role", "user")
                    .put("content", request.prompt());
            case RESPONSES -> body.put("input", request.prompt());
        }
        body.put(api == ApiKind.RESPONSES ? "max_output_tokens" : "max_tokens", request.maxTokens());
        RequestSampling sampling = request.sampling();
        body.put("temperature", sampling.temperature());
        if (sampling.topP() != null) {
            body.put("top_p", sampling.topP());
        }
        if (sampling.topK() != null) {
            body.put("top_k", sampling.topK());
        }
        if (sampling.minP() != null) {
            body.put("min_p", sampling.minP());
        }
        body.put("ignore_eos", true);
        if (!stream) {
            return body;
        }
        body.put("stream", true);
        if (api == ApiKind.COMPLETIONS || api == ApiKind.CHAT) {
            // a response's last event has its usage, and so has a message's message_delta
            body.putObject("stream_options").put("include_usage", true);
        }
        return body;
    }

    /** vLLM's {@code POST /tokenize} request for a plain prompt. */
    byte[] tokenize(String model, String prompt) {
        ObjectNode body = json.createObjectNode();
        body.put("model", model);
        body.put("prompt", prompt);
        return bytes(body);
    }

    private byte[] bytes(ObjectNode body) {
        try {
            return json.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e); // a tree of strings and numbers always serialises
        }
    }
}
