/**
 * Tokenizers read from a GGUF file's {@code tokenizer.*} metadata, and a streaming detokenizer.
 *
 * <ul>
 *   <li>{@link dev.switchyard.engine.tokenizer.Tokenizers#fromMetadata} builds a
 *       {@link dev.switchyard.engine.tokenizer.Tokenizer} for {@code tokenizer.ggml.model} "llama"
 *       (SentencePiece-style BPE over scores, with byte fallback) or "gpt2" (byte-level BPE over merge
 *       ranks, with the {@link dev.switchyard.engine.tokenizer.PreTokenizer} named by
 *       {@code tokenizer.ggml.pre}).</li>
 *   <li>Both reproduce llama.cpp's tokenization, which matches the models' reference (Hugging Face)
 *       tokenizers on the ggml-vocab test files.</li>
 *   <li>Special tokens: control-token texts in input are tokens only when parsing is requested;
 *       user-defined tokens always are.</li>
 *   <li>{@link dev.switchyard.engine.tokenizer.StreamingDetokenizer} turns generated ids into text
 *       deltas that never split a character.</li>
 * </ul>
 */
package dev.switchyard.engine.tokenizer;
