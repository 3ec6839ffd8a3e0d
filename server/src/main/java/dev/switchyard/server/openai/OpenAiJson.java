package dev.switchyard.server.openai;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;

/**
 * Reading request bodies with limits that stop abuse before any work: nesting depth, string and
 * number lengths, document size. The HTTP layer's body limit bounds the whole; these bound what a
 * body of that size could still cost to parse (deep nesting, huge numbers).
 */
public final class OpenAiJson {

    /** Deep enough for any chat request (messages, content parts, tool calls), far below stack trouble. */
    public static final int MAX_NESTING_DEPTH = 32;
    /** Digits in one number: an int64 seed has 19, a double at most ~25. */
    public static final int MAX_NUMBER_LENGTH = 64;

    private final ObjectMapper mapper;
    private final JsonFactory factory;

    /** @param maxBodyBytes the largest body (and so the longest string) a request may carry */
    public OpenAiJson(int maxBodyBytes) {
        StreamReadConstraints limits = StreamReadConstraints.builder()
                .maxNestingDepth(MAX_NESTING_DEPTH)
                .maxNumberLength(MAX_NUMBER_LENGTH)
                .maxStringLength(maxBodyBytes)
                .maxDocumentLength(maxBodyBytes)
                .build();
        this.factory = JsonFactory.builder().streamReadConstraints(limits).build();
        this.mapper = new ObjectMapper(factory)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    /** The factory for writing responses (thread-safe, shared). */
    public JsonFactory factory() {
        return factory;
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    /** The body as a JSON object, or a 400 that says what is wrong with it. */
    public JsonNode readObject(InputStream body) {
        JsonNode node = readValue(body);
        if (!node.isObject()) {
            throw ApiError.invalid(null, "the request body must be a JSON object");
        }
        return node;
    }

    /** A request body of any JSON value (a list, for {@code POST /lora-adapters}). */
    public JsonNode readValue(InputStream body) {
        JsonNode node;
        try (JsonParser parser = factory.createParser(body)) {
            node = mapper.readTree(parser);
        } catch (StreamConstraintsException e) {
            throw ApiError.invalid(null, "the request body exceeds a JSON limit: " + e.getOriginalMessage());
        } catch (IOException e) {
            String detail = e instanceof com.fasterxml.jackson.core.JsonProcessingException j ? j.getOriginalMessage()
                    : e.getMessage();
            throw ApiError.invalid(null, "the request body is not valid JSON: " + detail);
        }
        if (node == null || node.isMissingNode()) {
            throw ApiError.invalid(null, "the request body is empty: a JSON value is needed");
        }
        return node;
    }
}
