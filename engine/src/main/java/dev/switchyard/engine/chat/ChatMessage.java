package dev.switchyard.engine.chat;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One message of a conversation as chat templates see it: {@code role} and {@code content}, and,
 * for tool use, an optional {@code name}, the assistant's {@code tool_calls} (OpenAI-shaped maps:
 * {@code {"id", "type": "function", "function": {"name", "arguments"}}}) and a tool result's
 * {@code tool_call_id}. Absent fields are left out of the template's view of the message, so
 * {@code message.tool_calls is defined} holds only when there are tool calls. Other fields some
 * templates read ({@code reasoning_content}, ...) go in {@code extra}.
 *
 * @param content may be null (an assistant message that only calls tools)
 * @param name may be null
 * @param toolCalls may be null; JSON-like maps and lists
 * @param toolCallId may be null
 * @param extra further fields by name, JSON-like values; they do not replace the fields above
 */
public record ChatMessage(String role, String content, String name, List<Map<String, Object>> toolCalls,
                          String toolCallId, Map<String, Object> extra) {

    public ChatMessage {
        Objects.requireNonNull(role, "role");
        toolCalls = toolCalls == null ? null : List.copyOf(toolCalls);
        extra = extra == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(extra));
    }

    public ChatMessage(String role, String content, String name, List<Map<String, Object>> toolCalls,
                       String toolCallId) {
        this(role, content, name, toolCalls, toolCallId, Map.of());
    }

    public static ChatMessage of(String role, String content) {
        return new ChatMessage(role, content, null, null, null);
    }

    public static ChatMessage system(String content) {
        return of("system", content);
    }

    public static ChatMessage user(String content) {
        return of("user", content);
    }

    public static ChatMessage assistant(String content) {
        return of("assistant", content);
    }

    /** An assistant turn that calls tools, with optional text before the calls. */
    public static ChatMessage assistantToolCalls(String content, List<Map<String, Object>> toolCalls) {
        return new ChatMessage("assistant", content, null, toolCalls, null);
    }

    /** A tool's result for the call {@code toolCallId}. */
    public static ChatMessage toolResult(String toolCallId, String name, String content) {
        return new ChatMessage("tool", content, name, null, toolCallId);
    }

    /**
     * The message as the map a template receives, keys in OpenAI order, absent fields left out.
     */
    public Map<String, Object> toTemplateMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("role", role);
        if (content != null) {
            m.put("content", content);
        }
        if (name != null) {
            m.put("name", name);
        }
        if (toolCalls != null) {
            m.put("tool_calls", toolCalls);
        }
        if (toolCallId != null) {
            m.put("tool_call_id", toolCallId);
        }
        extra.forEach(m::putIfAbsent);
        return m;
    }
}
