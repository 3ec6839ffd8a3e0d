/**
 * Structured output: a reply held to JSON, or to a JSON Schema, token by token. A schema compiles to
 * a tree of {@link dev.switchyard.engine.structured.JsonSchema} nodes; a
 * {@link dev.switchyard.engine.structured.JsonMatcher} follows the reply's bytes through it as a
 * pushdown automaton; an {@link dev.switchyard.engine.structured.OutputConstraint} tells the sampler
 * which tokens may come next.
 */
package dev.switchyard.engine.structured;
