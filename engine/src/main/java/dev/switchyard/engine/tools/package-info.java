/**
 * Tool calls in a model's reply: which syntax its chat format writes them in
 * ({@link dev.switchyard.engine.tools.ToolCallSyntax}), and an extractor that follows one reply's
 * content as it streams and takes the calls out of it
 * ({@link dev.switchyard.engine.tools.ToolCallExtractor}), as OpenAI's {@code tool_calls}.
 */
package dev.switchyard.engine.tools;
