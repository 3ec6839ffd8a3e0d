package dev.switchyard.server.serving;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.switchyard.engine.structured.Grammar;

/**
 * Grammars compiled for earlier requests, by their text: a grammar is immutable and holds no
 * reply's state, so requests with the same text share one. Bounded by the texts' length (the
 * compiled tables are a few times that); the least used go first. A text that does not compile is
 * not kept: its error is found again.
 */
final class CompiledGrammars {

    /** Characters of grammar text kept at most. */
    static final long MAX_CHARS = 4L << 20;

    private static final Cache<String, Grammar> COMPILED = Caffeine.newBuilder().maximumWeight(MAX_CHARS)
            .<String, Grammar>weigher((text, grammar) -> text.length()).executor(Runnable::run).build();

    private CompiledGrammars() {
    }

    /** The grammar of {@code gbnf}, compiled now or before. */
    static Grammar compile(String gbnf) {
        return COMPILED.get(gbnf, Grammar::compile);
    }
}
