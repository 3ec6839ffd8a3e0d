package dev.switchyard.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchyard.engine.modelgen.GeneratedArchitecture;
import dev.switchyard.engine.modelgen.ModelPreset;
import dev.switchyard.engine.modelgen.ModelSpec;
import dev.switchyard.engine.modelgen.RandomModelGenerator;
import dev.switchyard.kernels.format.GgmlType;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A completion with a {@code suffix} asks a code model for the middle: its prompt is laid out with
 * the vocabulary's fill-in-the-middle tokens (here StarCoder's, on a tiny random model), exactly as
 * a client that lays it out itself would send it; a model without them refuses the field by name.
 */
class FillInTheMiddleTest {

    private static final Path STARCODER = Path.of("../../shared/vocab/ggml-vocab-starcoder.gguf");
    private static final String PREFIX = "def add(a, b):\\n    return ";
    private static final String SUFFIX = "\\n\\nprint(add(1, 2))\\n";

    @TempDir
    static Path dir;
    private static ServerFixture coder;

    @BeforeAll
    static void start() throws Exception {
        assumeTrue(Files.isRegularFile(STARCODER), "StarCoder's vocabulary is not at " + STARCODER.toAbsolutePath());
        Path model = dir.resolve("tiny-coder.gguf");
        RandomModelGenerator.write(new ModelSpec(GeneratedArchitecture.MIXTRAL, ModelPreset.TINY, 2, null, null, null,
                null, null, null, 256, GgmlType.Q8_0, 5, STARCODER), model);
        coder = ServerFixture.serving(model, null);
    }

    @AfterAll
    static void stop() {
        if (coder != null) {
            coder.close();
        }
    }

    private static List<Integer> tokens(String text) {
        List<Integer> ids = new ArrayList<>();
        coder.ok("/tokenize", "{\"prompt\":\"" + text + "\",\"add_special_tokens\":false}").get("tokens")
                .forEach(id -> ids.add(id.asInt()));
        return ids;
    }

    @Test
    void aSuffixLaysThePromptOutAroundTheMiddle() {
        List<Integer> laidOut = new ArrayList<>();
        laidOut.add(1); // <fim_prefix>
        laidOut.addAll(tokens(PREFIX));
        laidOut.add(3); // <fim_suffix>
        laidOut.addAll(tokens(SUFFIX));
        laidOut.add(2); // <fim_middle>
        String sampling = ",\"max_tokens\":12,\"temperature\":0.8,\"seed\":4,\"logprobs\":1}";
        JsonNode filled = coder.ok("/v1/completions", "{\"prompt\":\"" + PREFIX + "\",\"suffix\":\"" + SUFFIX + "\""
                + sampling);
        JsonNode byHand = coder.ok("/v1/completions", "{\"prompt\":" + laidOut + sampling);
        assertThat(filled.get("choices")).isEqualTo(byHand.get("choices"));
        assertThat(filled.at("/usage/prompt_tokens").asInt()).isEqualTo(laidOut.size());
        JsonNode fromIds = coder.ok("/v1/completions", "{\"prompt\":" + tokens(PREFIX) + ",\"suffix\":\"" + SUFFIX + "\""
                + sampling);
        assertThat(fromIds.get("choices")).as("a prefix as token ids").isEqualTo(byHand.get("choices"));
        JsonNode empty = coder.ok("/v1/completions", "{\"prompt\":\"\",\"suffix\":\"" + SUFFIX + "\"" + sampling);
        assertThat(empty.at("/usage/prompt_tokens").asInt()).as("nothing before the middle")
                .isEqualTo(3 + tokens(SUFFIX).size());
        JsonNode none = coder.ok("/v1/completions", "{\"prompt\":\"" + PREFIX + "\",\"suffix\":\"\"" + sampling);
        assertThat(none.at("/usage/prompt_tokens").asInt()).as("an empty suffix asks for a plain completion")
                .isEqualTo(tokens(PREFIX).size());
    }

    /** llama.cpp's /infill with these fields, greedy, and its token ids. */
    private static JsonNode infill(String fields) {
        return coder.ok("/infill", "{" + fields + ",\"n_predict\":10,\"temperature\":0,\"ignore_eos\":true,"
                + "\"return_tokens\":true}");
    }

    /** What /v1/completions writes greedily from these prompt ids. */
    private static JsonNode byHand(List<Integer> ids) {
        return coder.ok("/v1/completions", "{\"prompt\":" + ids + ",\"max_tokens\":10,\"temperature\":0,"
                + "\"ignore_eos\":true}").at("/choices/0");
    }

    @Test
    void infillLaysOutTheCursorsLineAndTheProjectsOtherFiles() throws Exception {
        String line = "    return ";
        List<Integer> laidOut = new ArrayList<>();
        laidOut.add(1); // <fim_prefix>
        laidOut.addAll(tokens("def add(a, b):\\n"));
        laidOut.add(3); // <fim_suffix>
        laidOut.addAll(tokens(SUFFIX));
        laidOut.add(2); // <fim_middle>
        laidOut.addAll(tokens(line));
        JsonNode filled = infill("\"input_prefix\":\"def add(a, b):\\n\",\"input_suffix\":\"" + SUFFIX
                + "\",\"prompt\":\"" + line + "\"");
        assertThat(filled.get("tokens_evaluated").asInt()).isEqualTo(laidOut.size());
        assertThat(filled.get("content").asText()).isEqualTo(byHand(laidOut).get("text").asText());

        // StarCoder 2's repository layout: <repo_name> name, then <file_sep> name text per file
        var vocabulary = dev.switchyard.engine.tokenizer.Tokenizers.fromFile(STARCODER);
        int repo = vocabulary.tokenId("<repo_name>");
        int separator = vocabulary.tokenId("<file_sep>");
        assertThat(repo).isPositive();
        List<Integer> withFiles = new ArrayList<>();
        withFiles.add(repo);
        withFiles.addAll(tokens("project\\n"));
        withFiles.add(separator);
        withFiles.addAll(tokens("util.py\\ndef two():\\n    return 2\\n"));
        withFiles.add(separator);
        withFiles.addAll(tokens("\\n"));
        withFiles.addAll(laidOut);
        JsonNode withContext = infill("\"input_prefix\":\"def add(a, b):\\n\",\"input_suffix\":\"" + SUFFIX
                + "\",\"prompt\":\"" + line + "\",\"input_extra\":[{\"filename\":\"util.py\",\"text\":"
                + "\"def two():\\n    return 2\\n\"}]");
        assertThat(withContext.get("tokens_evaluated").asInt()).isEqualTo(withFiles.size());
        assertThat(withContext.get("content").asText()).isEqualTo(byHand(withFiles).get("text").asText());

        HttpResponse<String> bad = coder.post("/infill", "{\"input_prefix\":\"a\",\"input_extra\":[{\"name\":\"x\"}]}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(ServerFixture.parse(bad.body()).at("/error/param").asText()).isEqualTo("input_extra[0]");
        try (ServerFixture plain = ServerFixture.start()) {
            HttpResponse<String> refused = plain.post("/infill", "{\"input_prefix\":\"a\",\"input_suffix\":\"b\"}");
            assertThat(refused.statusCode()).isEqualTo(400);
            assertThat(ServerFixture.parse(refused.body()).at("/error/param").asText()).isEqualTo("input_prefix");
        }
    }

    @Test
    void anEditorsOversizedContextIsCutToFitAroundTheCursor() throws Exception {
        String line = "    return ";
        String prefix = "x = 1\\n".repeat(120);
        String suffix = "y = 2\\n".repeat(120);
        List<Integer> before = tokens(prefix);
        List<Integer> after = tokens(suffix);
        List<Integer> typed = tokens(line);
        // 256 positions, 10 for the reply: the rest holds the layout's 3 tokens, the line, and the
        // prefix's end and suffix's start, 3 to 1
        int room = 256 - 10 - 3 - typed.size();
        assertThat(before.size()).isGreaterThan(room);
        assertThat(after.size()).isGreaterThan(room / 4);
        List<Integer> laidOut = new ArrayList<>();
        laidOut.add(1);
        laidOut.addAll(before.subList(before.size() - (room - room / 4), before.size()));
        laidOut.add(3);
        laidOut.addAll(after.subList(0, room / 4));
        laidOut.add(2);
        laidOut.addAll(typed);
        String files = ",\"input_extra\":[{\"filename\":\"util.py\",\"text\":\"" + "z = 3\\n".repeat(80) + "\"}]";
        JsonNode cut = infill("\"input_prefix\":\"" + prefix + "\",\"input_suffix\":\"" + suffix + "\",\"prompt\":\""
                + line + "\"" + files);
        assertThat(cut.get("tokens_evaluated").asInt()).isEqualTo(laidOut.size()).isEqualTo(246);
        assertThat(cut.get("truncated").asBoolean()).isTrue();
        assertThat(cut.get("content").asText()).isEqualTo(byHand(laidOut).get("text").asText());

        // a short prefix and suffix leave the rest to the files, their last tokens kept
        JsonNode files2 = infill("\"input_prefix\":\"def add(a, b):\\n\",\"input_suffix\":\"" + SUFFIX
                + "\",\"prompt\":\"" + line + "\"" + files);
        assertThat(files2.get("tokens_evaluated").asInt()).isEqualTo(246);
        assertThat(files2.get("truncated").asBoolean()).isTrue();
        List<Integer> close = new ArrayList<>();
        close.add(1);
        close.addAll(tokens("def add(a, b):\\n"));
        close.add(3);
        close.addAll(tokens(SUFFIX));
        close.add(2);
        close.addAll(typed);
        var vocabulary = dev.switchyard.engine.tokenizer.Tokenizers.fromFile(STARCODER);
        List<Integer> extra = new ArrayList<>();
        extra.add(vocabulary.tokenId("<repo_name>"));
        extra.addAll(tokens("project\\n"));
        extra.add(vocabulary.tokenId("<file_sep>"));
        extra.addAll(tokens("util.py\\n" + "z = 3\\n".repeat(80)));
        extra.add(vocabulary.tokenId("<file_sep>"));
        extra.addAll(tokens("\\n"));
        int kept = 246 - close.size();
        assertThat(kept).isLessThan(extra.size());
        List<Integer> withFiles = new ArrayList<>(extra.subList(extra.size() - kept, extra.size()));
        withFiles.addAll(close);
        assertThat(files2.get("content").asText()).isEqualTo(byHand(withFiles).get("text").asText());
        assertThat(infill("\"input_prefix\":\"a\",\"input_suffix\":\"b\"").get("truncated").asBoolean()).isFalse();
    }

    @Test
    void aModelThatCannotFillRefusesTheSuffixByName() throws Exception {
        try (ServerFixture plain = ServerFixture.start()) {
            HttpResponse<String> r = plain.post("/v1/completions", "{\"prompt\":\"a\",\"suffix\":\"b\"}");
            assertThat(r.statusCode()).isEqualTo(400);
            JsonNode error = ServerFixture.parse(r.body()).get("error");
            assertThat(error.get("param").asText()).isEqualTo("suffix");
            assertThat(error.get("code").asText()).isEqualTo("unsupported_parameter");
            assertThat(error.get("message").asText()).contains("fill in the middle");
        }
        HttpResponse<String> echo = coder.post("/v1/completions", "{\"prompt\":\"a\",\"suffix\":\"b\",\"echo\":true}");
        assertThat(echo.statusCode()).isEqualTo(400);
        assertThat(ServerFixture.parse(echo.body()).at("/error/param").asText()).isEqualTo("echo");
    }
}
