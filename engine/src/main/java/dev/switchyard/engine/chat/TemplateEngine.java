package dev.switchyard.engine.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import java.util.Map;
import jinjava.javax.el.CompositeELResolver;

/**
 * The jinjava engine configured to render Hugging Face chat templates as jinja2 does, and the
 * check that turns a render's fatal errors into a {@link ChatTemplateException}.
 *
 * <p>Settings and why:
 * <ul>
 *   <li>{@code trimBlocks}, {@code lstripBlocks} off: {@link TemplateRewriter} has already applied
 *       jinja2's whitespace control ({@code trim_blocks} and {@code lstrip_blocks} on, as in
 *       {@code apply_chat_template}) to the text and removed the markers; jinjava's own
 *       whitespace handling differs from jinja2's in several cases.
 *   <li>{@code usePyishObjectMapper}, {@code evaluateMapKeys}, {@code iterateOverMapKeys}: dict
 *       literals and {@code for k in dict} behave as in Python.
 *   <li>{@code useNaturalOperatorPrecedence} stays off: it breaks {@code not x is defined}.
 *   <li>{@code nestedInterpretationEnabled} off: jinjava would otherwise render template syntax
 *       found inside printed values, so a user message containing {@code {{ ... }}} would run as
 *       template code.
 *   <li>Our {@link PythonMethodResolver} ahead of jinjava's default (read-only) resolvers;
 *       {@link PythonicInterpreter} for printing;
 *       {@link PythonicJinjava} for conversions and operators; {@link PythonFilters},
 *       {@link PythonTests}, {@link TemplateFunctions}.
 * </ul>
 */
final class TemplateEngine {

    /** Refuses runaway output (a template looping on itself) before it exhausts memory. */
    private static final long MAX_OUTPUT_CHARS = 64L << 20;

    private static final Jinjava JINJAVA = create();

    private TemplateEngine() {}

    private static Jinjava create() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonMethodResolver());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(false)
                .withLstripBlocks(false)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUsePyishObjectMapper(true)
                        .withEvaluateMapKeys(true)
                        .withIterateOverMapKeys(true)
                        .withUseNaturalOperatorPrecedence(false)
                        .build())
                .withNestedInterpretationEnabled(false)
                .withElResolver(resolver)
                .withInterperterFactory(PythonicInterpreter.FACTORY)
                .withEnableRecursiveMacroCalls(true)
                .withMaxMacroRecursionDepth(64)
                .withMaxOutputSize(MAX_OUTPUT_CHARS)
                .build();
        Jinjava jinjava = new PythonicJinjava(config);
        PythonFilters.all().forEach(jinjava::registerFilter);
        PythonTests.all().forEach(jinjava::registerExpTest);
        jinjava.registerFunction(new ELFunctionDefinition("", "raise_exception",
                TemplateFunctions.class, "raiseException", Object.class));
        jinjava.registerFunction(new ELFunctionDefinition("", "dict",
                TemplateFunctions.class, "dict", Object[].class));
        jinjava.registerFunction(new ELFunctionDefinition("", "strftime_now",
                TemplateFunctions.class, "strftimeNow", String.class));
        return jinjava;
    }

    /**
     * Renders {@code template} (already rewritten by {@link TemplateRewriter}) with
     * {@code bindings}, which must hold {@code state} under {@link TemplateFunctions.RenderState#KEY}.
     *
     * @throws ChatTemplateException with the template's message when it called raise_exception,
     *     or with jinjava's first fatal error when the render failed
     */
    static String render(String template, Map<String, Object> bindings, TemplateFunctions.RenderState state) {
        RenderResult result;
        try {
            result = JINJAVA.renderForResult(template, bindings);
        } catch (RuntimeException e) {
            throw new ChatTemplateException("chat template failed: " + e.getMessage(), e);
        }
        if (state.raised() != null) {
            throw new ChatTemplateException(state.raised());
        }
        for (TemplateError error : result.getErrors()) {
            if (error.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException("chat template failed at line " + error.getLineno() + ": "
                        + error.getMessage(), error.getException());
            }
        }
        return result.getOutput();
    }
}
