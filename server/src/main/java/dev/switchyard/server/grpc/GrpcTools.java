package dev.switchyard.server.grpc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchyard.engine.tools.ToolSchemas;
import dev.switchyard.proto.v1.GenerateRequest;
import dev.switchyard.proto.v1.Tool;
import dev.switchyard.proto.v1.ToolCall;
import dev.switchyard.proto.v1.ToolChoice;
import dev.switchyard.proto.v1.ToolChoiceMode;
import dev.switchyard.server.serving.ForcedCalls;
import dev.switchyard.server.serving.InvalidRequestException;
import dev.switchyard.server.serving.ServedModel;
import dev.switchyard.server.serving.ToolUse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * gRPC's tools and tool calls as the chat template and generation take them: the same definitions
 * and checks as the HTTP API's {@code tools}, from the proto's flat fields.
 */
final class GrpcTools {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> OBJECT = new TypeReference<>() {
    };

    /** Tools offered: definitions for the template, and what generation needs. */
    record Offer(List<Map<String, Object>> definitions, ToolUse use) {
    }

    private GrpcTools() {
    }

    /** The request's tools, or null when it offers none. */
    static Offer offer(GenerateRequest request, ServedModel model) {
        ToolChoice choice = request.getToolChoice();
        if (choice.getChoiceCase() == ToolChoice.ChoiceCase.MODE && choice.getMode() == ToolChoiceMode.UNRECOGNIZED) {
            throw new InvalidRequestException("tool_choice.mode", "tool_choice.mode " + choice.getModeValue()
                    + " is not one this server knows");
        }
        boolean none = choice.getChoiceCase() == ToolChoice.ChoiceCase.MODE
                && choice.getMode() == ToolChoiceMode.TOOL_CHOICE_MODE_NONE;
        boolean forcing = choice.getChoiceCase() == ToolChoice.ChoiceCase.FUNCTION
                || (choice.getChoiceCase() == ToolChoice.ChoiceCase.MODE
                && choice.getMode() == ToolChoiceMode.TOOL_CHOICE_MODE_REQUIRED);
        if (request.getToolsCount() == 0 || none) {
            if (forcing) {
                throw new InvalidRequestException("tool_choice", "a call required or named needs tools to call");
            }
            return null;
        }
        if (request.getInputCase() != GenerateRequest.InputCase.MESSAGES) {
            throw new InvalidRequestException("tools", "tools need chat input (messages)");
        }
        List<Map<String, Object>> definitions = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < request.getToolsCount(); i++) {
            Tool tool = request.getTools(i);
            String param = "tools[" + i + "]";
            if (!ToolUse.FUNCTION_NAME.matcher(tool.getName()).matches()) {
                throw new InvalidRequestException(param + ".name", "a tool's name must be 1 to 64 letters, digits, "
                        + "underscores or dashes, got \"" + tool.getName() + "\"");
            }
            if (!names.add(tool.getName())) {
                throw new InvalidRequestException(param + ".name", "two tools are named \"" + tool.getName() + "\"");
            }
            Map<String, Object> function = new LinkedHashMap<>();
            function.put("name", tool.getName());
            if (!tool.getDescription().isEmpty()) {
                function.put("description", tool.getDescription());
            }
            if (!tool.getParametersJson().isEmpty()) {
                function.put("parameters", object(tool.getParametersJson(), param + ".parameters_json"));
            }
            Map<String, Object> definition = new LinkedHashMap<>();
            definition.put("type", "function");
            definition.put("function", function);
            if (model.tokenizer().containsSpecialText(tool.toString())) {
                throw new InvalidRequestException(param, "a tool may not contain the model's control tokens");
            }
            definitions.add(definition);
        }
        if (model.toolCallSyntax() == null) {
            throw new InvalidRequestException("tools", "this model's chat template writes tool calls in no form this "
                    + "server reads, so it cannot return them; send the request without tools");
        }
        boolean parallel = !request.hasParallelToolCalls() || request.getParallelToolCalls();
        ToolUse.HeldCalls held = ForcedCalls.of(model, definitions, forcing,
                choice.getChoiceCase() == ToolChoice.ChoiceCase.FUNCTION ? choice.getFunction() : null,
                "tool_choice", i -> "tools[" + i + "].parameters_json");
        return new Offer(List.copyOf(definitions), new ToolUse(ToolSchemas.of(definitions), parallel, held, forcing));
    }

    /** A past call as templates take it (OpenAI's shape, the arguments an object where they are one). */
    static Map<String, Object> templateCall(ToolCall call, String param) {
        Object arguments = call.getArgumentsJson();
        try {
            if (!call.getArgumentsJson().isEmpty() && JSON.readTree(call.getArgumentsJson()).isObject()) {
                arguments = JSON.readValue(call.getArgumentsJson(), OBJECT);
            }
        } catch (JsonProcessingException e) {
            // not JSON: the template gets the text as it came
        }
        if (call.getName().isEmpty()) {
            throw new InvalidRequestException(param + ".name", "a past tool call needs its function's name");
        }
        Map<String, Object> function = new LinkedHashMap<>();
        function.put("name", call.getName());
        function.put("arguments", arguments);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", call.getId());
        m.put("type", "function");
        m.put("function", function);
        return m;
    }

    private static Map<String, Object> object(String json, String param) {
        try {
            if (JSON.readTree(json).isObject()) {
                return JSON.readValue(json, OBJECT);
            }
        } catch (JsonProcessingException e) {
            throw new InvalidRequestException(param, param + " is not JSON: " + e.getOriginalMessage());
        }
        throw new InvalidRequestException(param, param + " must be a JSON object");
    }
}
