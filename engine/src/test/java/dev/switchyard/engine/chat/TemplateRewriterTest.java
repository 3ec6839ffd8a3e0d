package dev.switchyard.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The rewrites leave string literals alone and produce what jinjava parses as jinja2 meant. (What
 * the rewritten templates render is checked against jinja2 by JinjaFeatureTest.)
 */
class TemplateRewriterTest {

    @Test
    void splittingAndJoiningGivesTheTemplateBack() {
        String t = "a {{- x['}}'] -}} b {%+ if y %}{# {{ c }} #}{% endif %} {{ {'k': {'v': 1}} }}";
        assertThat(TemplatePieces.join(TemplatePieces.split(t))).isEqualTo(t);
        assertThat(TemplatePieces.split(t)).extracting(TemplatePieces.Piece::kind).containsExactly(
                TemplatePieces.Kind.TEXT, TemplatePieces.Kind.EXPRESSION, TemplatePieces.Kind.TEXT,
                TemplatePieces.Kind.STATEMENT, TemplatePieces.Kind.COMMENT, TemplatePieces.Kind.STATEMENT,
                TemplatePieces.Kind.TEXT, TemplatePieces.Kind.EXPRESSION);
    }

    @Test
    void notTakesTheWholeComparisonAsOperand() {
        assertThat(TemplateRewriter.parenthesizeNotOperands("if not a|length == 1 and b"))
                .isEqualTo("if not (a|length == 1) and b");
        assertThat(TemplateRewriter.parenthesizeNotOperands("if x is not none and y not in z"))
                .isEqualTo("if x is not none and y not in z");
        assertThat(TemplateRewriter.parenthesizeNotOperands("set v = f(not a == b, c)"))
                .isEqualTo("set v = f(not (a == b), c)");
        assertThat(TemplateRewriter.parenthesizeNotOperands("if 'not a == b' == s")).isEqualTo("if 'not a == b' == s");
        assertThat(TemplateRewriter.parenthesizeNotOperands("if not brand == 1 or nothing"))
                .isEqualTo("if not (brand == 1) or nothing");
    }

    @Test
    void stringLiteralsAreNotRewritten() {
        assertThat(TemplateRewriter.reverseSlices("xs[::-1] ~ '[::-1]'")).isEqualTo("xs|reverse ~ '[::-1]'");
        assertThat(TemplateRewriter.spaceBinaryPlus("n+1 ~ 'n+1' ~ +1")).isEqualTo("n+ 1 ~ 'n+1' ~ +1");
        assertThat(TemplateRewriter.parenthesizeNamespaceArguments("namespace(a=x|length - 1, b='namespace(c=1)')"))
                .isEqualTo("namespace(a=(x|length - 1), b=('namespace(c=1)'))");
    }

    @Test
    void lineBreaksAreNormalizedAndOneTrailingNewlineDropped() {
        assertThat(WhitespaceControl.normalizeNewlines("a\r\nb\rc\n\n")).isEqualTo("a\nb\nc\n");
        assertThat(WhitespaceControl.normalizeNewlines("a\n")).isEqualTo("a");
    }

    @Test
    void aBraceLeftNextToATagIsPrintedNotParsed() {
        // Stripping the newline between "{" and "{%" must not make "{{%".
        assertThat(TemplateRewriter.rewrite("{\n{%- if x %}y{% endif %}")).isEqualTo("{{ '{' }}{% if x %}y{% endif %}");
    }

    @Test
    void filteredLoopCollectsItsItemsFirst() {
        assertThat(TemplateRewriter.rewrite("{% for m in messages if m.role != 'system' %}{{ loop.index }}{% endfor %}"))
                .isEqualTo("{% set __sy_items_0 = [] %}{% for m in messages %}{% if m.role != 'system' %}"
                        + "{% do __sy_items_0.append(m) %}{% endif %}{% endfor %}{% for m in __sy_items_0 %}"
                        + "{{ loop.index }}{% endfor %}");
    }

    @Test
    void neighbourItemsReferToTheInnermostLoop() {
        String out = TemplateRewriter.rewrite("{% for a in xs %}{% for b in a %}{{ loop.previtem }}{% endfor %}"
                + "{{ loop.nextitem }}{% endfor %}");
        assertThat(out).isEqualTo("{% set __sy_items_0 = xs|list %}{% for a in __sy_items_0 %}"
                + "{% set __sy_items_1 = a|list %}{% for b in __sy_items_1 %}"
                + "{{ (__sy_items_1[loop.index0 - 1] if loop.index0 > 0 else none) }}{% endfor %}"
                + "{{ (__sy_items_0[loop.index0 + 1] if not loop.last else none) }}{% endfor %}");
    }
}
