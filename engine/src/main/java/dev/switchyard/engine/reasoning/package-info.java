/**
 * Reasoning apart from the answer: which convention a model's chat format uses to mark its
 * thinking ({@link dev.switchyard.engine.reasoning.ReasoningSyntax}), and a splitter that follows one
 * reply's text as it streams and tells the two apart
 * ({@link dev.switchyard.engine.reasoning.ReasoningSplitter}).
 */
package dev.switchyard.engine.reasoning;
