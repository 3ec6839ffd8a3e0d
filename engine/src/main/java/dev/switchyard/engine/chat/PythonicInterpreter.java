package dev.switchyard.engine.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.Context;
import com.hubspot.jinjava.interpret.InterpreterFactory;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;

/**
 * A jinjava interpreter that prints values as Python's {@code str()} does, as jinja2 prints them:
 * {@code True}/{@code False} rather than {@code true}/{@code false}, and containers in Python's
 * repr ({@code {'type': 'string'}}). Templates print such values (a tool parameter's
 * {@code required} flag, a JSON-schema fragment), and the model saw them in Python's form.
 */
final class PythonicInterpreter extends JinjavaInterpreter {

    static final InterpreterFactory FACTORY = new InterpreterFactory() {
        @Override
        public JinjavaInterpreter newInstance(JinjavaInterpreter orig) {
            return new PythonicInterpreter(orig);
        }

        @Override
        public JinjavaInterpreter newInstance(Jinjava application, Context context, JinjavaConfig renderConfig) {
            return new PythonicInterpreter(application, context, renderConfig);
        }
    };

    private PythonicInterpreter(Jinjava application, Context context, JinjavaConfig renderConfig) {
        super(application, context, renderConfig);
    }

    private PythonicInterpreter(JinjavaInterpreter orig) {
        super(orig);
    }

    @Override
    public String getAsString(Object object) {
        return PythonFormat.str(object);
    }
}
