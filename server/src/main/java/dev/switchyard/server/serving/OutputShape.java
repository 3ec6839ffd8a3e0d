package dev.switchyard.server.serving;

import dev.switchyard.engine.structured.Grammar;
import dev.switchyard.engine.structured.GrammarException;
import dev.switchyard.engine.structured.JsonSchema;
import dev.switchyard.engine.structured.OutputConstraint;
import dev.switchyard.engine.structured.PatternException;
import dev.switchyard.engine.structured.RegexPattern;
import dev.switchyard.engine.tokenizer.Tokenizer;
import java.util.List;

/**
 * What each reply's answer is held to, token by token: a JSON value of a schema, one of several
 * texts, a whole match of a regular expression, or a sentence of a context-free grammar.
 */
public sealed interface OutputShape {

    /** The parts of a reply of this shape ({@link OutputConstraint}). */
    List<OutputConstraint.Part> parts();

    /** A JSON value of {@code schema} ({@code response_format}, {@code guided_json}). */
    record JsonValue(JsonSchema schema) implements OutputShape {
        @Override
        public List<OutputConstraint.Part> parts() {
            return OutputConstraint.jsonOnly(schema);
        }
    }

    /**
     * Exactly one of {@code texts} ({@code guided_choice}); none is the beginning of another, so that
     * the reply ends once one is written.
     */
    record Choice(List<String> texts) implements OutputShape {
        public Choice {
            texts = List.copyOf(texts);
        }

        @Override
        public List<OutputConstraint.Part> parts() {
            return List.of(OutputConstraint.oneOf(texts));
        }
    }

    /** Text that is a whole match of a regular expression ({@code guided_regex}). */
    record Regex(RegexPattern pattern) implements OutputShape {
        @Override
        public List<OutputConstraint.Part> parts() {
            return List.of(OutputConstraint.regex(pattern));
        }
    }

    /** Text that is a whole sentence of a grammar ({@code guided_grammar}, llama.cpp's {@code grammar}). */
    record Rules(Grammar grammar) implements OutputShape {
        @Override
        public List<OutputConstraint.Part> parts() {
            return List.of(OutputConstraint.grammar(grammar));
        }
    }

    /**
     * A GBNF grammar, compiled (or as compiled for an earlier request with the same text: clients
     * send the same grammar again and again, and the largest take tens of milliseconds to compile);
     * what cannot hold replies is refused naming {@code param}.
     */
    static Rules grammar(String gbnf, String param) {
        try {
            return new Rules(CompiledGrammars.compile(gbnf));
        } catch (GrammarException e) {
            throw new InvalidRequestException(param, e.getMessage(), "unsupported_parameter");
        }
    }

    /** A pattern, compiled; what cannot hold replies is refused naming {@code param}. */
    static Regex regex(String pattern, String param) {
        try {
            return new Regex(RegexPattern.compile(pattern));
        } catch (PatternException e) {
            throw new InvalidRequestException(param, e.getMessage(), "unsupported_parameter");
        }
    }

    /** Choices a request may offer, each of 1 to {@link #MAX_CHOICE_LENGTH} characters. */
    int MAX_CHOICES = 1024;
    int MAX_CHOICE_LENGTH = 1000;

    /**
     * One of {@code texts}, checked (the request field {@code param} names them in errors): 1 to
     * {@link #MAX_CHOICES} texts of 1 to {@link #MAX_CHOICE_LENGTH} characters, none listed twice, none
     * the beginning of another (a reply of the shorter could not end), none spelling one of the
     * model's control tokens.
     */
    static Choice choice(List<String> texts, String param, Tokenizer tokenizer) {
        if (texts.isEmpty() || texts.size() > MAX_CHOICES) {
            throw new InvalidRequestException(param, param + " must be a list of 1 to " + MAX_CHOICES + " strings");
        }
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            if (t.isEmpty() || t.length() > MAX_CHOICE_LENGTH) {
                throw new InvalidRequestException(param + "[" + i + "]", param + "[" + i + "] must be a string of 1 to "
                        + MAX_CHOICE_LENGTH + " characters");
            }
            if (tokenizer.containsSpecialText(t)) {
                throw new InvalidRequestException(param + "[" + i + "]", param + "[" + i + "] may not contain the "
                        + "model's control tokens");
            }
        }
        for (int i = 0; i < texts.size(); i++) {
            for (int j = 0; j < texts.size(); j++) {
                if (i != j && texts.get(j).startsWith(texts.get(i))) {
                    int later = Math.max(i, j);
                    throw new InvalidRequestException(param + "[" + later + "]", texts.get(i).equals(texts.get(j))
                            ? param + " lists \"" + texts.get(i) + "\" twice"
                            : param + "[" + i + "] \"" + texts.get(i) + "\" begins " + param + "[" + j + "] \""
                                    + texts.get(j) + "\": a reply of the shorter could not end; make no choice the "
                                    + "beginning of another");
                }
            }
        }
        return new Choice(texts);
    }

    /** A JSON value of {@code schema}, or null (free text) where there is none. */
    static OutputShape json(JsonSchema schema) {
        return schema == null ? null : new JsonValue(schema);
    }
}
