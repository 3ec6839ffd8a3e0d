package dev.switchyard.server.serving;

/**
 * A tool call a choice made, as both APIs return it.
 *
 * @param position  the call's place among the choice's calls, from 0 (OpenAI's streamed {@code index})
 * @param id        the model's id for it, or one the server made
 * @param arguments a JSON object's text
 */
public record ChoiceToolCall(int position, String id, String name, String arguments) {
}
