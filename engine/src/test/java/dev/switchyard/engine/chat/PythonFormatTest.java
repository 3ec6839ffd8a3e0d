package dev.switchyard.engine.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Values print as Python prints them; expected strings are Python 3's own output. */
class PythonFormatTest {

    @Test
    void floatsPrintAsPythonRepr() {
        double[] values = {1.0, 0.1, 1e16, 1e-5, 123456789.0, -0.0, 2.5e-07, 1.5e300, 0.0001, 12345678901234567.0,
            3.14159};
        String[] python = {"1.0", "0.1", "1e+16", "1e-05", "123456789.0", "-0.0", "2.5e-07", "1.5e+300", "0.0001",
            "1.2345678901234568e+16", "3.14159"};
        for (int i = 0; i < values.length; i++) {
            assertThat(PythonFormat.floatRepr(values[i])).as("repr(%s)", values[i]).isEqualTo(python[i]);
        }
    }

    @Test
    void jsonMatchesJsonDumpsWithEnsureAsciiOff() {
        Map<String, Object> inner = new LinkedHashMap<>();
        inner.put("d", null);
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("a", List.of());
        value.put("b", Map.of());
        value.put("c", Arrays.asList(1L, inner));
        value.put("e", "\u0001\u2028é\"\\");
        assertThat(PythonFormat.json(value, 2, null, null, false)).isEqualTo("""
                {
                  "a": [],
                  "b": {},
                  "c": [
                    1,
                    {
                      "d": null
                    }
                  ],
                  "e": "\\u0001\u2028é\\"\\\\"
                }""");
        assertThat(PythonFormat.json(value)).isEqualTo(
                "{\"a\": [], \"b\": {}, \"c\": [1, {\"d\": null}], \"e\": \"\\u0001\u2028é\\\"\\\\\"}");
        assertThat(PythonFormat.json(List.of(1L, 2.5, true), null, ",", ":", false)).isEqualTo("[1,2.5,true]");
    }

    @Test
    void jsonSortsKeysOnRequest() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("b", 1L);
        value.put("a", 2L);
        assertThat(PythonFormat.json(value, null, null, null, true)).isEqualTo("{\"a\": 2, \"b\": 1}");
    }

    @Test
    void reprQuotesStringsAsPythonDoes() {
        assertThat(PythonFormat.repr("it's")).isEqualTo("\"it's\"");
        assertThat(PythonFormat.repr("say \"hi\"")).isEqualTo("'say \"hi\"'");
        assertThat(PythonFormat.repr("both ' and \"")).isEqualTo("'both \\' and \"'");
        assertThat(PythonFormat.repr("tab\tnl\n\u007f")).isEqualTo("'tab\\tnl\\n\\x7f'");
    }

    @Test
    void strPrintsBooleansNoneAndContainersAsPython() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("required", true);
        m.put("default", null);
        m.put("enum", List.of("a", "b"));
        assertThat(PythonFormat.str(true)).isEqualTo("True");
        assertThat(PythonFormat.str(m)).isEqualTo("{'required': True, 'default': None, 'enum': ['a', 'b']}");
        assertThat(PythonFormat.str(null)).isEmpty();
        assertThat(PythonFormat.str(new ArrayList<>(List.of(1L, 2.0)))).isEqualTo("[1, 2.0]");
    }
}
