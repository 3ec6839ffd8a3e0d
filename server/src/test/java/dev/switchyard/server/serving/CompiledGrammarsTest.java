package dev.switchyard.server.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchyard.engine.structured.GrammarException;
import org.junit.jupiter.api.Test;

/** The same grammar text compiles once; one that does not compile is refused every time. */
class CompiledGrammarsTest {

    @Test
    void theSameTextSharesOneGrammarAndErrorsAreFoundAgain() {
        String text = "root ::= \"yes\" | \"no\" # shared";
        assertThat(CompiledGrammars.compile(text)).isSameAs(CompiledGrammars.compile(text));
        assertThat(CompiledGrammars.compile(text + " ")).isNotSameAs(CompiledGrammars.compile(text));
        for (int i = 0; i < 2; i++) {
            assertThatThrownBy(() -> CompiledGrammars.compile("root ::= missing")).isInstanceOf(GrammarException.class)
                    .hasMessageContaining("'missing' is used but never defined");
        }
    }
}
