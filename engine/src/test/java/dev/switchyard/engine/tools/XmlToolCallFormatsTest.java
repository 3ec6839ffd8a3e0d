package dev.switchyard.engine.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The XML-style forms, whose values are bare text: typed by the request's schema (or, in DSML, by
 * the model's own {@code string} attribute), kept exactly as written where they are strings, several
 * calls to a block where the form allows it, and a block that is not well-formed (or cut off before
 * its body is whole) given back as content exactly as the model wrote it. Each reply is read whole
 * and one character at a time, with the same result.
 */
class XmlToolCallFormatsTest {

    /** {@code f(n: integer, s: string, text: string)}; any other parameter is undeclared. */
    private static final ToolSchemas SCHEMAS = ToolSchemas.of(List.of(Map.of("type", "function", "function",
            Map.of("name", "f", "parameters", Map.of("type", "object", "properties", Map.of(
                    "n", Map.of("type", "integer"),
                    "s", Map.of("type", "string"),
                    "text", Map.of("type", "string")))))));

    private static final String NS = "]<]minimax[>[";

    private static ToolCallSyntax syntax(String renderedCall, ToolCallSyntax.Kind kind) {
        ToolCallSyntax syntax = ToolCallSyntax.fromRenderedCall(renderedCall, null);
        assertThat(syntax).as(renderedCall).isNotNull();
        assertThat(syntax.kind()).isEqualTo(kind);
        return syntax;
    }

    private static ExtractedReply read(ToolCallSyntax syntax, String reply) {
        return ExtractedReply.howeverCut(syntax, SCHEMAS, reply);
    }

    private static void assertCall(ToolCall call, String name, String arguments) {
        assertThat(call.name()).isEqualTo(name);
        assertThat(ToolArguments.parse(call.arguments())).as(call.arguments())
                .isEqualTo(ToolArguments.parse(arguments));
    }

    private static void assertOneCall(ExtractedReply reply, String name, String arguments) {
        assertThat(reply.content()).isEmpty();
        assertThat(reply.calls()).hasSize(1);
        assertCall(reply.calls().getFirst(), name, arguments);
    }

    private static void assertContentOnly(ToolCallSyntax syntax, String reply) {
        assertThat(read(syntax, reply)).isEqualTo(new ExtractedReply(reply, List.of()));
    }

    @Nested
    class XmlFunction {

        private final ToolCallSyntax qwen = syntax("<tool_call>\n<function=probe_tool>\n<parameter=topic>\nprobe\n"
                + "</parameter>\n</function>\n</tool_call>", ToolCallSyntax.Kind.XML_FUNCTION);
        private final ToolCallSyntax seed = syntax("<seed:tool_call>\n<function=probe_tool>\n<parameter=topic>probe"
                + "</parameter>\n</function>\n</seed:tool_call>", ToolCallSyntax.Kind.XML_FUNCTION);

        private static String parameter(String key, String value) {
            return "<parameter=" + key + ">\n" + value + "\n</parameter>\n";
        }

        @Test
        void valuesAreTypedByTheSchemaElseByWhatTheySpell() {
            ExtractedReply reply = read(qwen, "<tool_call>\n<function=f>\n" + parameter("n", "42") + parameter("s", "42")
                    + parameter("list", "[1, \"a\"]") + parameter("flag", "true") + parameter("word", "Paris")
                    + "</function>\n</tool_call>");
            assertOneCall(reply, "f",
                    "{\"n\": 42, \"s\": \"42\", \"list\": [1, \"a\"], \"flag\": true, \"word\": \"Paris\"}");
        }

        @Test
        void onlyOneNewlineOnEitherSideIsMarkup() {
            String text = "\n  indented\n\nlast line \n";
            ExtractedReply reply = read(qwen, "<tool_call>\n<function=f>\n" + parameter("text", text)
                    + "</function>\n</tool_call>");
            assertOneCall(reply, "f", ToolArguments.write(ToolArguments.newObject().put("text", text)));
        }

        @Test
        void seedWritesValuesRightInsideTheTags() {
            ExtractedReply reply = read(seed, "<seed:tool_call>\n<function=f>\n<parameter=n>7</parameter>\n"
                    + "<parameter=text>two\nlines</parameter>\n</function>\n</seed:tool_call>");
            assertOneCall(reply, "f", "{\"n\": 7, \"text\": \"two\\nlines\"}");
        }

        @Test
        void severalFunctionsInOneBlockAreSeveralCalls() {
            ExtractedReply reply = read(qwen, "<tool_call>\n<function=f>\n" + parameter("n", "1") + "</function>\n<function=g>\n"
                    + "</function>\n</tool_call>");
            assertThat(reply.content()).isEmpty();
            assertThat(reply.calls()).hasSize(2);
            assertCall(reply.calls().get(0), "f", "{\"n\": 1}");
            assertCall(reply.calls().get(1), "g", "{}");
        }

        @Test
        void textBeforeTheBlockStaysContent() {
            ExtractedReply reply = read(qwen, "Checking the weather.\n\n<tool_call>\n<function=f>\n" + parameter("s", "x")
                    + "</function>\n</tool_call>\n");
            assertThat(reply.content()).isEqualTo("Checking the weather.\n\n");
            assertThat(reply.calls()).hasSize(1);
        }

        @Test
        void aBlockThatIsNotWellFormedIsContentAsWritten() {
            assertContentOnly(qwen, "<tool_call>\n<function=f>\n<parameter=s>\nx\n</function>\n</tool_call>");
            assertContentOnly(qwen, "<tool_call>\n<function=>\n</function>\n</tool_call>");
            assertContentOnly(qwen, "<tool_call>\n<function=f>\n" + parameter("s", "x") + "</tool_call>");
            assertContentOnly(qwen, "Sure: <tool_call>\n<function=f>\nstray text\n</function>\n</tool_call> done");
        }

        @Test
        void aReplyCutOffAfterTheLastFunctionStillCalls() {
            assertOneCall(read(qwen, "<tool_call>\n<function=f>\n" + parameter("n", "3") + "</function>\n"), "f",
                    "{\"n\": 3}");
            assertContentOnly(qwen, "<tool_call>\n<function=f>\n<parameter=n>\n3");
        }
    }

    @Nested
    class Glm {

        private final ToolCallSyntax glm = syntax("<tool_call>probe_tool\n<arg_key>topic</arg_key>\n"
                + "<arg_value>probe</arg_value>\n</tool_call>", ToolCallSyntax.Kind.GLM);

        private static String argument(String key, String value) {
            return "<arg_key>" + key + "</arg_key>\n<arg_value>" + value + "</arg_value>\n";
        }

        @Test
        void valuesAreTypedByTheSchemaElseByWhatTheySpell() {
            ExtractedReply reply = read(glm, "<tool_call>f\n" + argument("n", "42") + argument("s", "42")
                    + argument("map", "{\"a\": null}") + argument("word", "Paris") + "</tool_call>");
            assertOneCall(reply, "f", "{\"n\": 42, \"s\": \"42\", \"map\": {\"a\": null}, \"word\": \"Paris\"}");
        }

        @Test
        void glm47WritesItOnOneLine() {
            ExtractedReply reply = read(glm, "<tool_call>f<arg_key>n</arg_key><arg_value>5</arg_value><arg_key>s</arg_key>"
                    + "<arg_value>five</arg_value></tool_call>");
            assertOneCall(reply, "f", "{\"n\": 5, \"s\": \"five\"}");
        }

        @Test
        void stringValuesAreKeptExactly() {
            String text = "\n  first\n\tsecond \n";
            ExtractedReply reply = read(glm, "<tool_call>f\n" + argument("text", text) + "</tool_call>");
            assertOneCall(reply, "f", ToolArguments.write(ToolArguments.newObject().put("text", text)));
        }

        @Test
        void aCallWithoutArgumentsIsTheNameAlone() {
            assertOneCall(read(glm, "<tool_call>f</tool_call>"), "f", "{}");
            assertThat(ToolCallSyntax.fromRenderedCall("<tool_call>probe_tool</tool_call>", null).kind())
                    .isEqualTo(ToolCallSyntax.Kind.GLM);
        }

        @Test
        void eachCallIsItsOwnBlock() {
            ExtractedReply reply = read(glm, "<tool_call>f\n" + argument("n", "1") + "</tool_call>\n<tool_call>g\n"
                    + argument("q", "x") + "</tool_call>");
            assertThat(reply.content()).isEmpty();
            assertThat(reply.calls()).hasSize(2);
            assertCall(reply.calls().get(0), "f", "{\"n\": 1}");
            assertCall(reply.calls().get(1), "g", "{\"q\": \"x\"}");
        }

        @Test
        void textBeforeTheBlockStaysContent() {
            ExtractedReply reply = read(glm, "Let me look.\n<tool_call>f\n" + argument("s", "x") + "</tool_call>");
            assertThat(reply.content()).isEqualTo("Let me look.\n");
            assertThat(reply.calls()).hasSize(1);
        }

        @Test
        void aBlockThatIsNotWellFormedIsContentAsWritten() {
            assertContentOnly(glm, "<tool_call>f\n<arg_key>s</arg_key>\n</tool_call>");
            assertContentOnly(glm, "<tool_call>\n<arg_key>s</arg_key>\n<arg_value>x</arg_value>\n</tool_call>");
            assertContentOnly(glm, "<tool_call>f\n<arg_key>s</arg_key>\n<arg_value>x\n</tool_call>");
            assertContentOnly(glm, "<tool_call>two words\n" + argument("s", "x") + "</tool_call>");
        }

        @Test
        void aReplyCutOffAfterTheLastValueStillCalls() {
            assertOneCall(read(glm, "<tool_call>f\n" + argument("n", "3")), "f", "{\"n\": 3}");
            assertContentOnly(glm, "<tool_call>f\n<arg_key>n</arg_key>\n<arg_value>3");
        }
    }

    @Nested
    class MiniMax {

        private final ToolCallSyntax minimax = syntax("<minimax:tool_call>\n<invoke name=\"probe_tool\">\n"
                + "<parameter name=\"topic\">probe</parameter>\n</invoke>\n</minimax:tool_call>",
                ToolCallSyntax.Kind.MINIMAX);

        private static String parameter(String key, String value) {
            return "<parameter name=\"" + key + "\">" + value + "</parameter>\n";
        }

        private static String invoke(String name, String parameters) {
            return "<invoke name=\"" + name + "\">\n" + parameters + "</invoke>\n";
        }

        private static String block(String invokes) {
            return "<minimax:tool_call>\n" + invokes + "</minimax:tool_call>";
        }

        @Test
        void valuesAreTypedByTheSchemaElseByWhatTheySpell() {
            ExtractedReply reply = read(minimax, block(invoke("f", parameter("n", "42") + parameter("s", "42")
                    + parameter("x", "2.50") + parameter("word", "Paris"))));
            assertOneCall(reply, "f", "{\"n\": 42, \"s\": \"42\", \"x\": 2.50, \"word\": \"Paris\"}");
        }

        @Test
        void stringValuesAreKeptExactly() {
            String text = "\nline one\n  line two\n\n";
            ExtractedReply reply = read(minimax, block(invoke("f", parameter("text", text))));
            assertOneCall(reply, "f", ToolArguments.write(ToolArguments.newObject().put("text", text)));
        }

        @Test
        void severalInvokesInOneBlockAreSeveralCalls() {
            ExtractedReply reply = read(minimax, block(invoke("f", parameter("n", "1")) + invoke("g", "")));
            assertThat(reply.content()).isEmpty();
            assertThat(reply.calls()).hasSize(2);
            assertCall(reply.calls().get(0), "f", "{\"n\": 1}");
            assertCall(reply.calls().get(1), "g", "{}");
        }

        @Test
        void textBeforeTheBlockStaysContent() {
            ExtractedReply reply = read(minimax, "I'll check.\n\n" + block(invoke("f", parameter("s", "x"))));
            assertThat(reply.content()).isEqualTo("I'll check.\n\n");
            assertThat(reply.calls()).hasSize(1);
        }

        @Test
        void aBlockThatIsNotWellFormedIsContentAsWritten() {
            assertContentOnly(minimax, block("<invoke name=\"f\">\n" + parameter("s", "x")));
            assertContentOnly(minimax, block(invoke("f", "<parameter name=\"s\">x\n")));
            assertContentOnly(minimax, block("<invoke>\n</invoke>\n"));
            assertContentOnly(minimax, block("<invoke name=\"f\" name=\"g\">\n</invoke>\n"));
            assertContentOnly(minimax, block(invoke("f", "<parameter key=\"s\">x</parameter>\n")));
        }

        @Test
        void aReplyCutOffAfterTheLastInvokeStillCalls() {
            assertOneCall(read(minimax, "<minimax:tool_call>\n" + invoke("f", parameter("n", "3"))), "f", "{\"n\": 3}");
            assertContentOnly(minimax, "<minimax:tool_call>\n<invoke name=\"f\">\n" + parameter("n", "3"));
        }
    }

    @Nested
    class MiniMaxM3 {

        private final ToolCallSyntax m3 = syntax(NS + "<tool_call>\n" + NS + "<invoke name=\"probe_tool\">"
                + element("topic", "probe") + NS + "</invoke>\n" + NS + "</tool_call>", ToolCallSyntax.Kind.MINIMAX_M3);

        private static String element(String tag, String inside) {
            return NS + "<" + tag + ">" + inside + NS + "</" + tag + ">";
        }

        private static String block(String invokes) {
            return NS + "<tool_call>\n" + invokes + NS + "</tool_call>";
        }

        private static String invoke(String name, String parameters) {
            return NS + "<invoke name=\"" + name + "\">" + parameters + NS + "</invoke>\n";
        }

        @Test
        void valuesAreTypedByTheSchemaElseByWhatTheySpell() {
            ExtractedReply reply = read(m3, block(invoke("f", element("n", "42") + element("s", "42") + element("flag", "false")
                    + element("word", "Paris"))));
            assertOneCall(reply, "f", "{\"n\": 42, \"s\": \"42\", \"flag\": false, \"word\": \"Paris\"}");
        }

        @Test
        void objectsAndListsAreNestedTags() {
            ExtractedReply reply = read(m3, block(invoke("f", element("filter", element("city", "Paris")
                    + element("days", element("item", "1") + element("item", "2")))
                    + element("points", element("item", element("x", "1") + element("y", "2"))))));
            assertOneCall(reply, "f", "{\"filter\": {\"city\": \"Paris\", \"days\": [1, 2]},"
                    + " \"points\": [{\"x\": 1, \"y\": 2}]}");
        }

        @Test
        void stringValuesAreKeptExactly() {
            String text = "\n first\n\nsecond ";
            ExtractedReply reply = read(m3, block(invoke("f", element("text", text))));
            assertOneCall(reply, "f", ToolArguments.write(ToolArguments.newObject().put("text", text)));
        }

        @Test
        void severalInvokesInOneBlockAreSeveralCalls() {
            ExtractedReply reply = read(m3, block(invoke("f", element("n", "1")) + invoke("g", "")));
            assertThat(reply.content()).isEmpty();
            assertThat(reply.calls()).hasSize(2);
            assertCall(reply.calls().get(0), "f", "{\"n\": 1}");
            assertCall(reply.calls().get(1), "g", "{}");
        }

        @Test
        void textBeforeTheBlockStaysContent() {
            ExtractedReply reply = read(m3, "One moment." + block(invoke("f", element("s", "x"))));
            assertThat(reply.content()).isEqualTo("One moment.");
            assertThat(reply.calls()).hasSize(1);
        }

        @Test
        void aBlockThatIsNotWellFormedIsContentAsWritten() {
            assertContentOnly(m3, block(invoke("f", NS + "<s>x" + NS + "</t>")));
            assertContentOnly(m3, block(invoke("f", NS + "<s>x")));
            assertContentOnly(m3, block(invoke("f", element("m", element("k", "1") + element("k", "2")))));
            assertContentOnly(m3, block(NS + "<invoke>" + NS + "</invoke>\n"));
        }

        @Test
        void aReplyCutOffAfterTheLastInvokeStillCalls() {
            assertOneCall(read(m3, NS + "<tool_call>\n" + invoke("f", element("n", "3"))), "f", "{\"n\": 3}");
            assertContentOnly(m3, NS + "<tool_call>\n" + NS + "<invoke name=\"f\">" + NS + "<n>3");
        }
    }

    @Nested
    class Dsml {

        private static final String DSML = "｜DSML｜";

        private final ToolCallSyntax v32 = syntax(block("function_calls", invoke("probe_tool",
                parameter("topic", "true", "probe"))), ToolCallSyntax.Kind.DSML);
        private final ToolCallSyntax v4 = syntax(block("tool_calls", invoke("probe_tool",
                parameter("topic", "true", "probe"))), ToolCallSyntax.Kind.DSML);

        private static String parameter(String key, String string, String value) {
            return "<" + DSML + "parameter name=\"" + key + "\"" + (string == null ? "" : " string=\"" + string + "\"")
                    + ">" + value + "</" + DSML + "parameter>\n";
        }

        private static String invoke(String name, String parameters) {
            return "<" + DSML + "invoke name=\"" + name + "\">\n" + parameters + "</" + DSML + "invoke>\n";
        }

        private static String block(String tag, String invokes) {
            return "<" + DSML + tag + ">\n" + invokes + "</" + DSML + tag + ">";
        }

        @Test
        void theStringAttributeTypesValues() {
            ExtractedReply reply = read(v4, block("tool_calls", invoke("f", parameter("s", "false", "42")
                    + parameter("n", "true", "42") + parameter("map", "false", "{\"a\": [true]}")
                    + parameter("word", "true", "null"))));
            assertOneCall(reply, "f", "{\"s\": 42, \"n\": \"42\", \"map\": {\"a\": [true]}, \"word\": \"null\"}");
        }

        @Test
        void withoutTheAttributeTheSchemaTypesValues() {
            ExtractedReply reply = read(v4, block("tool_calls", invoke("f", parameter("n", null, "42")
                    + parameter("s", null, "42") + parameter("other", null, "[1]"))));
            assertOneCall(reply, "f", "{\"n\": 42, \"s\": \"42\", \"other\": [1]}");
        }

        @Test
        void bothVersionsBlocksAreRead() {
            String v32Reply = block("function_calls", invoke("f", parameter("n", "false", "1")));
            String v4Reply = block("tool_calls", invoke("f", parameter("n", "false", "1")));
            for (ToolCallSyntax syntax : List.of(v32, v4)) {
                assertOneCall(read(syntax, v32Reply), "f", "{\"n\": 1}");
                assertOneCall(read(syntax, v4Reply), "f", "{\"n\": 1}");
            }
            assertContentOnly(v4, "<" + DSML + "tool_calls>\n" + invoke("f", "") + "</" + DSML + "function_calls>");
        }

        @Test
        void stringValuesAreKeptExactly() {
            String text = "\n  quoted \"text\"\n\n";
            ExtractedReply reply = read(v32, block("function_calls", invoke("f", parameter("text", "true", text))));
            assertOneCall(reply, "f", ToolArguments.write(ToolArguments.newObject().put("text", text)));
        }

        @Test
        void severalInvokesInOneBlockAreSeveralCalls() {
            ExtractedReply reply = read(v32, block("function_calls", invoke("f", parameter("n", "false", "1"))
                    + invoke("g", "")));
            assertThat(reply.content()).isEmpty();
            assertThat(reply.calls()).hasSize(2);
            assertCall(reply.calls().get(0), "f", "{\"n\": 1}");
            assertCall(reply.calls().get(1), "g", "{}");
        }

        @Test
        void textBeforeTheBlockStaysContent() {
            ExtractedReply reply = read(v4, "Looking it up.\n\n"
                    + block("tool_calls", invoke("f", parameter("s", "true", "x"))));
            assertThat(reply.content()).isEqualTo("Looking it up.\n\n");
            assertThat(reply.calls()).hasSize(1);
        }

        @Test
        void aBlockThatIsNotWellFormedIsContentAsWritten() {
            assertContentOnly(v4, "<" + DSML + "tool_calls>\n" + invoke("f", parameter("n", "false", "forty-two"))
                    + "</" + DSML + "tool_calls>");
            assertContentOnly(v4, "<" + DSML + "tool_calls>\n" + invoke("f", parameter("n", "maybe", "1"))
                    + "</" + DSML + "tool_calls>");
            assertContentOnly(v4, "<" + DSML + "tool_calls>\n<" + DSML + "invoke name=\"f\">\n"
                    + parameter("s", "true", "x") + "</" + DSML + "tool_calls>");
            assertContentOnly(v4, "<" + DSML + "tool_calls>\n" + invoke("", "") + "</" + DSML + "tool_calls>");
        }

        @Test
        void aReplyCutOffAfterTheLastInvokeStillCalls() {
            assertOneCall(read(v4, "<" + DSML + "tool_calls>\n" + invoke("f", parameter("n", "false", "3"))), "f",
                    "{\"n\": 3}");
            assertContentOnly(v4, "<" + DSML + "tool_calls>\n<" + DSML + "invoke name=\"f\">\n<" + DSML
                    + "parameter name=\"n\" string=\"false\">3");
        }
    }

    @Test
    void formsSharingTheirOpenerAreToldApartByWhatFollows() {
        assertThat(ToolCallSyntax.fromRenderedCall("<tool_call>\n{\"name\": \"probe_tool\", \"arguments\": {}}\n"
                + "</tool_call>", null).kind()).isEqualTo(ToolCallSyntax.Kind.HERMES);
        assertThat(ToolCallSyntax.fromRenderedCall("<tool_call>\n<function=probe_tool>\n</function>\n</tool_call>",
                null).kind()).isEqualTo(ToolCallSyntax.Kind.XML_FUNCTION);
        assertThat(ToolCallSyntax.fromRenderedCall("<tool_call>probe_tool<arg_key>topic</arg_key>", null).kind())
                .isEqualTo(ToolCallSyntax.Kind.GLM);
        assertThat(ToolCallSyntax.fromRenderedCall(NS + "<tool_call>\n" + NS + "<invoke name=\"probe_tool\">", null)
                .kind()).isEqualTo(ToolCallSyntax.Kind.MINIMAX_M3);
        assertThat(ToolCallSyntax.fromRenderedCall("<tool_call>\nprobe_tool(topic=\"probe\")\n</tool_call>", null))
                .isNull();
    }
}
