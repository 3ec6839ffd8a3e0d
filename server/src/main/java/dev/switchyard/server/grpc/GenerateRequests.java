package dev.switchyard.server.grpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.chat.ChatMessage;
import dev.switchyard.engine.generate.GenerationRequest;
import dev.switchyard.engine.lora.LoraMix;
import dev.switchyard.engine.sampling.SamplingParams;
import dev.switchyard.engine.structured.JsonSchema;
import dev.switchyard.engine.structured.JsonSchemaCompiler;
import dev.switchyard.engine.structured.SchemaException;
import dev.switchyard.proto.v1.GenerateRequest;
import dev.switchyard.proto.v1.LoraAdapters;
import dev.switchyard.proto.v1.LoraScale;
import dev.switchyard.proto.v1.OutputFormat;
import dev.switchyard.server.openai.ApiLimits;
import dev.switchyard.server.serving.ChatRoles;
import dev.switchyard.server.serving.GenerationSpec;
import dev.switchyard.server.serving.OutputShape;
import dev.switchyard.server.serving.InvalidRequestException;
import dev.switchyard.server.serving.LlamaSamplers;
import dev.switchyard.server.serving.RequestRestrictions;
import dev.switchyard.server.serving.ReasoningFormat;
import dev.switchyard.server.serving.ServedModel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * Turns a {@link GenerateRequest} into the transport-neutral {@link GenerationSpec}, with the same
 * rules and limits as the HTTP API; a bad field becomes an {@link InvalidRequestException} naming it
 * as the proto spells it ({@code sampling.top_p}).
 */
final class GenerateRequests {

    private static final ObjectMapper JSON = new ObjectMapper();

    private GenerateRequests() {
    }

    static GenerationSpec toSpec(GenerateRequest request, ServedModel model, ApiLimits limits) {
        GrpcTools.Offer tools = GrpcTools.offer(request, model);
        String promptParam;
        int[] prompt;
        switch (request.getInputCase()) {
            case TEXT -> {
                promptParam = "text";
                prompt = model.prompts().text(request.getText(), promptParam);
            }
            case TOKEN_IDS -> {
                promptParam = "token_ids.ids";
                prompt = model.prompts().tokenIds(toInts(request.getTokenIds().getIdsList()), promptParam);
            }
            case MESSAGES -> {
                promptParam = "messages";
                prompt = model.prompts().chat(messages(request.getMessages().getMessagesList()),
                        tools == null ? null : tools.definitions(), Map.of(), promptParam);
            }
            default -> throw new InvalidRequestException("input", "the request has no input: set text, token_ids or messages");
        }
        dev.switchyard.proto.v1.SamplingParams p = request.getSampling();
        int n = p.hasN() ? p.getN() : 1;
        if (n < 1 || n > limits.maxN()) {
            throw new InvalidRequestException("sampling.n", "n must be between 1 and " + limits.maxN() + ", got "
                    + Integer.toUnsignedString(n));
        }
        List<String> stop = new ArrayList<>(p.getStopList());
        if (stop.size() > limits.maxStop()) {
            throw new InvalidRequestException("sampling.stop", "at most " + limits.maxStop() + " stop strings, got "
                    + stop.size());
        }
        for (int i = 0; i < stop.size(); i++) {
            if (stop.get(i).isEmpty() || stop.get(i).length() > limits.maxStopLength()) {
                throw new InvalidRequestException("sampling.stop[" + i + "]",
                        "a stop string must have 1 to " + limits.maxStopLength() + " characters");
            }
        }
        Integer maxTokens = p.hasMaxTokens() ? p.getMaxTokens() : null;
        if (maxTokens != null && maxTokens < 0) {
            throw new InvalidRequestException("sampling.max_tokens", "max_tokens is too large: " + Integer.toUnsignedString(maxTokens));
        }
        boolean chat = request.getInputCase() == GenerateRequest.InputCase.MESSAGES;
        String salt = request.getCacheSalt();
        if (salt.length() > GenerationSpec.MAX_CACHE_SALT) {
            throw new InvalidRequestException("cache_salt", "cache_salt may have at most " + GenerationSpec.MAX_CACHE_SALT
                    + " characters, got " + salt.length());
        }
        SamplingParams sampling = sampling(p).toBuilder().restrictions(RequestRestrictions.of(p.hasMinTokens() ? p.getMinTokens() : null,
                        p.getAllowedTokenIdsList(), p.getBadWordsList(), maxTokens, "sampling.max_tokens", model, "sampling."))
                .extras(LlamaSamplers.extras(llamaSettings(p), model::tokensContaining, "sampling."))
                .build();
        return new GenerationSpec(List.of(prompt), null, n, sampling, maxTokens, stop, promptParam,
                "sampling.max_tokens", chat && reasoningFormat(request, model) == ReasoningFormat.AUTO,
                salt.isEmpty() ? null : salt, tools == null ? null : tools.use(), outputFormat(request, model),
                thinkingBudget(request, chat), promptLogprobs(p), p.getIncludeStopStrInOutput(),
                model.priority(request.getPriority(), "priority"))
                .withRenderSpecial(request.hasSkipSpecialTokens() && !request.getSkipSpecialTokens())
                .withAdapters(adapters(request.getModel(), request.hasLora() ? request.getLora() : null, model))
                .withPrediction(request.getPrediction().isEmpty() ? null
                        : model.tokenizer().encode(request.getPrediction(), false, false));
    }

    /**
     * What a call applies: the adapters its {@code lora} lists (null: none given), else the adapter
     * its {@code model} names, else the server's default scales.
     */
    static LoraMix adapters(String modelName, LoraAdapters lora, ServedModel model) {
        List<Map.Entry<Integer, Float>> entries = null;
        if (lora != null) {
            entries = new ArrayList<>();
            for (LoraScale s : lora.getAdaptersList()) {
                entries.add(Map.entry(s.getId() < 0 ? Integer.MAX_VALUE : s.getId(), s.getScale()));
            }
        }
        return model.adapters().forRequest(modelName.isEmpty() ? null : modelName, entries, "lora");
    }


    /** llama.cpp's sampler fields, each null when unset. */
    private static LlamaSamplers.Settings llamaSettings(dev.switchyard.proto.v1.SamplingParams p) {
        return new LlamaSamplers.Settings(p.hasTypicalP() ? p.getTypicalP() : null,
                p.hasTopNSigma() ? p.getTopNSigma() : null, p.hasXtcProbability() ? p.getXtcProbability() : null,
                p.hasXtcThreshold() ? p.getXtcThreshold() : null, p.hasDryMultiplier() ? p.getDryMultiplier() : null,
                p.hasDryBase() ? p.getDryBase() : null, p.hasDryAllowedLength() ? p.getDryAllowedLength() : null,
                p.hasDryPenaltyLastN() ? p.getDryPenaltyLastN() : null,
                p.getDrySequenceBreakersCount() == 0 ? null : p.getDrySequenceBreakersList(),
                p.hasMirostat() ? p.getMirostat() : null, p.hasMirostatTau() ? p.getMirostatTau() : null,
                p.hasMirostatEta() ? p.getMirostatEta() : null, p.hasDynatempRange() ? p.getDynatempRange() : null,
                p.hasDynatempExponent() ? p.getDynatempExponent() : null,
                p.hasRepeatLastN() ? p.getRepeatLastN() : null);
    }

    /** {@code sampling.prompt_logprobs}: alternatives per prompt token, or -1 when unset. */
    private static int promptLogprobs(dev.switchyard.proto.v1.SamplingParams p) {
        if (!p.hasPromptLogprobs()) {
            return GenerationRequest.NO_PROMPT_LOGPROBS;
        }
        int n = p.getPromptLogprobs();
        if (n < 0 || n > SamplingParams.MAX_LOGPROBS) {
            throw new InvalidRequestException("sampling.prompt_logprobs", "sampling.prompt_logprobs must be in 0.."
                    + SamplingParams.MAX_LOGPROBS + ", got " + Integer.toUnsignedString(n));
        }
        return n;
    }

    /** {@code thinking_token_budget}, for chat input; null when unset. */
    private static Integer thinkingBudget(GenerateRequest request, boolean chat) {
        if (!request.hasThinkingTokenBudget()) {
            return null;
        }
        if (!chat) {
            throw new InvalidRequestException("thinking_token_budget", "thinking_token_budget applies to chat "
                    + "(messages) input, whose rendered prompt says where the thinking opens");
        }
        if (request.getThinkingTokenBudget() < 0) {
            throw new InvalidRequestException("thinking_token_budget", "thinking_token_budget must be 0 or more, got "
                    + request.getThinkingTokenBudget());
        }
        return request.getThinkingTokenBudget();
    }

    /** The request's reasoning format, or the server's when it leaves it unspecified. */
    static ReasoningFormat reasoningFormat(GenerateRequest request, ServedModel model) {
        return switch (request.getReasoningFormat()) {
            case REASONING_FORMAT_AUTO -> ReasoningFormat.AUTO;
            case REASONING_FORMAT_NONE -> ReasoningFormat.NONE;
            case REASONING_FORMAT_UNSPECIFIED -> model.reasoningFormat();
            case UNRECOGNIZED -> throw new InvalidRequestException("reasoning_format",
                    "reasoning_format " + request.getReasoningFormatValue() + " is not one this server knows");
        };
    }

    /** What {@code output_format} holds replies to, or null for free text. */
    private static OutputShape outputFormat(GenerateRequest request, ServedModel model) {
        if (!request.hasOutputFormat()) {
            return null;
        }
        if (request.getToolsCount() > 0) {
            throw new InvalidRequestException("output_format", "output_format with tools is not supported: a reply "
                    + "held to the format could not call them");
        }
        OutputFormat format = request.getOutputFormat();
        return switch (format.getFormatCase()) {
            case JSON_OBJECT -> OutputShape.json(JsonSchema.ObjectSchema.anyObject());
            case CHOICE -> OutputShape.choice(format.getChoice().getTextsList(), "output_format.choice.texts",
                    model.tokenizer());
            case REGEX -> OutputShape.regex(format.getRegex(), "output_format.regex");
            case GRAMMAR -> OutputShape.grammar(format.getGrammar(), "output_format.grammar");
            case JSON_SCHEMA -> {
                try {
                    yield OutputShape.json(JsonSchemaCompiler.compile(JSON.readTree(format.getJsonSchema())));
                } catch (JsonProcessingException e) {
                    throw new InvalidRequestException("output_format.json_schema", "output_format.json_schema is not "
                            + "JSON: " + e.getOriginalMessage());
                } catch (SchemaException e) {
                    throw new InvalidRequestException("output_format.json_schema", e.getMessage());
                }
            }
            case FORMAT_NOT_SET -> null;
        };
    }

    static List<ChatMessage> messages(List<dev.switchyard.proto.v1.ChatMessage> messages) {
        List<ChatMessage> list = new ArrayList<>();
        if (messages.isEmpty()) {
            throw new InvalidRequestException("messages", "the conversation is empty");
        }
        for (int i = 0; i < messages.size(); i++) {
            var m = messages.get(i);
            if (!ChatRoles.isAccepted(m.getRole())) {
                throw new InvalidRequestException("messages[" + i + "].role",
                        "role must be one of " + ChatRoles.ACCEPTED + ", got '" + m.getRole() + "'");
            }
            List<Map<String, Object>> calls = null;
            if (m.getToolCallsCount() > 0) {
                calls = new ArrayList<>();
                for (int j = 0; j < m.getToolCallsCount(); j++) {
                    calls.add(GrpcTools.templateCall(m.getToolCalls(j), "messages[" + i + "].tool_calls[" + j + "]"));
                }
            }
            boolean toolCallsOnly = calls != null && m.getContent().isEmpty();
            list.add(new ChatMessage(ChatRoles.forTemplate(m.getRole()), toolCallsOnly ? null : m.getContent(),
                    m.getName().isEmpty() ? null : m.getName(), calls,
                    m.getToolCallId().isEmpty() ? null : m.getToolCallId()));
        }
        return list;
    }

    static SamplingParams sampling(dev.switchyard.proto.v1.SamplingParams p) {
        SamplingParams.Builder b = SamplingParams.builder();
        if (p.hasTemperature()) {
            b.temperature(p.getTemperature());
        }
        if (p.hasTopP()) {
            b.topP(p.getTopP());
        }
        if (p.hasTopK()) {
            b.topK(p.getTopK());
        }
        if (p.hasMinP()) {
            b.minP(p.getMinP());
        }
        if (p.hasPresencePenalty()) {
            b.presencePenalty(p.getPresencePenalty());
        }
        if (p.hasFrequencyPenalty()) {
            b.frequencyPenalty(p.getFrequencyPenalty());
        }
        if (p.hasRepetitionPenalty()) {
            b.repetitionPenalty(p.getRepetitionPenalty());
        }
        if (p.hasSeed()) {
            b.seed(p.getSeed());
        }
        if (p.getLogitBiasCount() > 0) {
            b.logitBias(new HashMap<>(p.getLogitBiasMap()));
        }
        if (p.getStopTokenIdsCount() > 0) {
            b.stopTokenIds(new LinkedHashSet<>(p.getStopTokenIdsList()));
        }
        b.ignoreEos(p.getIgnoreEos());
        if (p.hasLogprobs()) {
            b.logprobs(p.getLogprobs());
        }
        try {
            return b.build();
        } catch (IllegalArgumentException e) {
            String field = InvalidRequestException.engineField(e);
            return fail("sampling." + (field != null ? field : ""), e.getMessage());
        }
    }

    private static SamplingParams fail(String param, String message) {
        throw new InvalidRequestException(param, message);
    }

    static int[] toInts(List<Integer> ids) {
        int[] out = new int[ids.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ids.get(i); // uint32 above 2^31 arrives negative and is refused as outside the vocabulary
        }
        return out;
    }
}
