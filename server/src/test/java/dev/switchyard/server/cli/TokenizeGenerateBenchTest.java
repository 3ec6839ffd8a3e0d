package dev.switchyard.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizeGenerateBenchTest {

    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void writeModel() {
        model = dir.resolve("tiny.gguf");
        CliRun.mixtral(model, 2, 512);
    }

    @Test
    void tokenizeJsonGivesIdsAndPiecesAndKeepsMarkupAsText() throws Exception {
        CliRun plain = CliRun.of("tokenize", "--model", model.toString(), "--json", "hi <|im_end|>");
        assertThat(plain.exitCode()).as(plain.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(plain.out());
        assertThat(json.get("ids").size()).isEqualTo(json.get("pieces").size()).isGreaterThan(2);
        StringBuilder text = new StringBuilder();
        json.get("pieces").forEach(p -> text.append(p.asText()));
        assertThat(text.toString()).isEqualTo("hi <|im_end|>");

        CliRun special = CliRun.of("tokenize", "--model", model.toString(), "--special", "--json", "hi <|im_end|>");
        JsonNode parsed = new ObjectMapper().readTree(special.out());
        assertThat(parsed.get("pieces").get(parsed.get("pieces").size() - 1).asText()).isEqualTo("<|im_end|>");
    }

    @Test
    void generateForcesATokenByLogitBiasAndPrintsControlTokensOnlyWithSpecial() throws Exception {
        CliRun ids = CliRun.of("tokenize", "--model", model.toString(), "--special", "--json", "<|im_start|>");
        JsonNode parsed = new ObjectMapper().readTree(ids.out());
        assertThat(parsed.get("ids").size()).isEqualTo(1);
        int start = parsed.get("ids").get(0).asInt();
        String[] base = {"generate", "--model", model.toString(), "--prompt", "The yard", "--max-tokens", "3",
                "--temperature", "0", "--threads", "1", "--logit-bias", start + "+inf"};
        CliRun silent = CliRun.of(base);
        assertThat(silent.exitCode()).as(silent.err()).isZero();
        assertThat(silent.out().strip()).isEmpty();
        String[] shown = java.util.Arrays.copyOf(base, base.length + 1);
        shown[base.length] = "--special";
        CliRun special = CliRun.of(shown);
        assertThat(special.exitCode()).as(special.err()).isZero();
        assertThat(special.out().strip()).isEqualTo("<|im_start|>".repeat(3));
        for (String[] bad : new String[][] {{"5x1", "expected TOKEN_ID+BIAS"}, {"99999999+1", "outside the vocabulary"},
                {"5+101", "at most 100"}}) {
            CliRun refused = CliRun.of("generate", "--model", model.toString(), "--prompt", "x", "--logit-bias", bad[0]);
            assertThat(refused.exitCode()).isNotZero();
            assertThat(refused.err()).contains("--logit-bias: ").contains(bad[1]).doesNotContain("Exception");
        }
    }

    @Test
    void generateWithADraftModelWritesTheSameTokensAndNamesWhatIsWrong() throws Exception {
        String[] base = {"generate", "--model", model.toString(), "--prompt", "The yard", "--max-tokens", "24",
                "--temperature", "0", "--json", "--threads", "1"};
        CliRun plain = CliRun.of(base);
        // a random model is never sure of its next token: with llama.cpp's least probability nothing would be proposed
        String[] drafted = java.util.Arrays.copyOf(base, base.length + 4);
        drafted[base.length] = "--draft-model";
        drafted[base.length + 1] = model.toString();
        drafted[base.length + 2] = "--draft-p-min";
        drafted[base.length + 3] = "0";
        CliRun own = CliRun.of(drafted);
        assertThat(own.exitCode()).as(own.err()).isZero();
        assertThat(ids(own.out())).isEqualTo(ids(plain.out()));
        java.util.regex.Matcher kept = java.util.regex.Pattern.compile("speculation: (\\d+) of (\\d+) proposed")
                .matcher(own.err());
        assertThat(kept.find()).as(own.err()).isTrue();
        assertThat(kept.group(1)).as("the model as its own draft: every greedy proposal kept").isEqualTo(kept.group(2))
                .isNotEqualTo("0");

        String[][] refusals = {
                {"--draft-model", dir.resolve("absent.gguf").toString(), "--draft-model: no file"},
                {"--draft-model", model.toString(), "--speculative-tokens", "0", "--speculative-tokens 0 turns off"},
                {"--draft-model", model.toString(), "--draft-p-min", "2", "--draft-p-min must be 0 to 1"}};
        for (String[] refusal : refusals) {
            String[] args = java.util.Arrays.copyOf(base, base.length + refusal.length - 1);
            System.arraycopy(refusal, 0, args, base.length, refusal.length - 1);
            CliRun refused = CliRun.of(args);
            assertThat(refused.exitCode()).isNotZero();
            assertThat(refused.err()).contains(refusal[refusal.length - 1]).doesNotContain("Exception");
        }
    }

    @Test
    void aDraftModelOfAnotherVocabularyIsAOneLineError() {
        Path vocabulary = Path.of("../../shared/vocab/ggml-vocab-starcoder.gguf");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isRegularFile(vocabulary),
                "StarCoder's vocabulary is not at " + vocabulary.toAbsolutePath());
        Path other = dir.resolve("other-vocabulary.gguf");
        CliRun made = CliRun.of("make-model", "--arch", "qwen3", "--preset", "tiny", "--layers", "1", "--vocab-from",
                vocabulary.toString(), "-o", other.toString());
        assertThat(made.exitCode()).as(made.err()).isZero();
        CliRun mismatched = CliRun.of("generate", "--model", model.toString(), "--prompt", "x", "--threads", "1",
                "--draft-model", other.toString());
        assertThat(mismatched.exitCode()).isNotZero();
        assertThat(mismatched.err()).contains("--draft-model: the draft model's vocabulary").doesNotContain("Exception");
    }

    private static List<float[]> embedded(String out) throws Exception {
        List<float[]> vectors = new java.util.ArrayList<>();
        for (String line : out.strip().split("\n")) {
            JsonNode node = new ObjectMapper().readTree(line);
            assertThat(node.get("index").asInt()).isEqualTo(vectors.size());
            JsonNode e = node.get("embedding");
            float[] v = new float[e.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = e.get(i).floatValue();
            }
            vectors.add(v);
        }
        return vectors;
    }

    private static double length(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        return Math.sqrt(sum);
    }

    @Test
    void embedWritesOneUnitVectorPerTextEachAsItIsAlone() throws Exception {
        CliRun both = CliRun.of("embed", "--model", model.toString(), "--threads", "1", "The yard", "hello there");
        assertThat(both.exitCode()).as(both.err()).isZero();
        assertThat(both.err()).contains("embedded 2 texts, pooled by last");
        List<float[]> vectors = embedded(both.out());
        assertThat(vectors).hasSize(2);
        assertThat(length(vectors.get(0))).isCloseTo(1, org.assertj.core.api.Assertions.within(1e-5));
        List<float[]> alone = embedded(CliRun.of("embed", "--model", model.toString(), "--threads", "1", "hello there")
                .out());
        for (int d = 0; d < alone.getFirst().length; d++) {
            assertThat(vectors.get(1)[d]).isCloseTo(alone.getFirst()[d], org.assertj.core.api.Assertions.within(1e-6f));
        }
        List<float[]> raw = embedded(CliRun.of("embed", "--model", model.toString(), "--threads", "1", "--no-normalize",
                "--pooling", "mean", "The yard").out());
        assertThat(length(raw.getFirst())).isNotCloseTo(1, org.assertj.core.api.Assertions.within(1e-3));
        CliRun bad = CliRun.of("embed", "--model", model.toString(), "--pooling", "max", "x");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.err()).contains("--pooling: pooling must be mean, cls or last").doesNotContain("Exception");
    }

    @Test
    void generateTakesLlamaCppsSamplerFlags() throws Exception {
        String[] base = {"generate", "--model", model.toString(), "--prompt", "the yard the yard the yard", "--max-tokens", "40",
                "--temperature", "0", "--json", "--threads", "1"};
        CliRun plain = CliRun.of(base);
        String[] dry = java.util.Arrays.copyOf(base, base.length + 4);
        dry[base.length] = "--dry-multiplier";
        dry[base.length + 1] = "4";
        dry[base.length + 2] = "--dry-allowed-length";
        dry[base.length + 3] = "1";
        CliRun once = CliRun.of(dry);
        CliRun again = CliRun.of(dry);
        assertThat(once.exitCode()).as(once.err()).isZero();
        assertThat(ids(once.out())).as("DRY changes a random model's repetitive reply").isNotEqualTo(ids(plain.out()))
                .isEqualTo(ids(again.out()));
        CliRun bad = CliRun.of("generate", "--model", model.toString(), "--prompt", "x", "--typical", "0");
        assertThat(bad.exitCode()).isNotZero();
        assertThat(bad.err()).contains("--typical: typical_p must be in (0, 1]");
        // Mirostat aiming at 0 bits keeps the best token alone, whatever the temperature
        String[] mirostat = java.util.Arrays.copyOf(base, base.length + 6);
        mirostat[base.length - 4] = "1"; // --temperature 1
        System.arraycopy(new String[] {"--mirostat", "2", "--mirostat-ent", "0", "--mirostat-lr", "0"}, 0, mirostat,
                base.length, 6);
        CliRun steered = CliRun.of(mirostat);
        assertThat(steered.exitCode()).as(steered.err()).isZero();
        assertThat(ids(steered.out())).isEqualTo(ids(plain.out()));
        String[] penalized = java.util.Arrays.copyOf(base, base.length + 4);
        System.arraycopy(new String[] {"--repeat-penalty", "1.6", "--repeat-last-n", "0"}, 0, penalized, base.length, 4);
        assertThat(ids(CliRun.of(penalized).out())).as("a window of 0 turns the penalty off").isEqualTo(ids(plain.out()));
        penalized[base.length + 3] = "-1";
        assertThat(ids(CliRun.of(penalized).out())).isNotEqualTo(ids(plain.out()));
        for (String[] flag : new String[][] {{"--mirostat", "3", "--mirostat: mirostat must be 0 (off), 1 or 2"},
                {"--repeat-penalty", "0", "--repeat-penalty: repetition_penalty must be"},
                {"--dynatemp-range", "-1", "--dynatemp-range: dynatemp_range must be"}}) {
            CliRun refused = CliRun.of("generate", "--model", model.toString(), "--prompt", "x", flag[0], flag[1]);
            assertThat(refused.exitCode()).isNotZero();
            assertThat(refused.err()).contains(flag[2]);
        }
    }

    private static java.util.List<Integer> ids(String jsonLines) throws Exception {
        java.util.List<Integer> ids = new java.util.ArrayList<>();
        for (String line : jsonLines.strip().split("\n")) {
            ids.add(new ObjectMapper().readTree(line).get("id").asInt());
        }
        return ids;
    }

    @Test
    void tokenizeLinesShowOneTokenEach() {
        CliRun run = CliRun.of("tokenize", "--model", model.toString(), "a b");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out().lines()).allMatch(l -> l.matches("\\s*\\d+ -> '.*'"));
    }

    @Test
    void generateJsonPrintsOneObjectPerTokenWithLogprobs() throws Exception {
        CliRun run = CliRun.of("generate", "--model", model.toString(), "--prompt", "The yard", "--max-tokens", "5",
                "--temperature", "0", "--json", "--logprobs", "3", "--threads", "1");
        assertThat(run.exitCode()).as(run.err()).isZero();
        var lines = run.out().strip().lines().toList();
        assertThat(lines).hasSize(5);
        for (String line : lines) {
            JsonNode token = new ObjectMapper().readTree(line);
            assertThat(token.get("logprob").asDouble()).isLessThanOrEqualTo(0);
            assertThat(token.get("top")).hasSize(3);
            // greedy: the chosen token is the most probable one
            assertThat(token.get("top").get(0).get(0).asInt()).isEqualTo(token.get("id").asInt());
        }
        assertThat(run.err()).contains("finish: length");
    }

    @Test
    void seededGenerationRepeatsAndChatUsesTheTemplate() {
        String[] args = {"generate", "--model", model.toString(), "--prompt", "Hi", "--chat", "--seed", "11",
                "--temperature", "1.0", "--max-tokens", "6", "--threads", "1"};
        CliRun first = CliRun.of(args);
        CliRun second = CliRun.of(args);
        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).isEqualTo(second.out());
        assertThat(first.err()).contains("chat template");
    }

    @Test
    void aGrammarHoldsTheOutputAndABadOneIsAOneLineError(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        String gbnf = "root ::= answer \".\"\nanswer ::= \"yes\" | \"no\" | \"perhaps \" [a-z]{2,5}";
        CliRun run = CliRun.of("generate", "--model", model.toString(), "--prompt", "Well?", "--seed", "3",
                "--temperature", "1.2", "--max-tokens", "30", "--threads", "1", "--grammar", gbnf);
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out().strip()).matches("(yes|no|perhaps [a-z]{2,5})\\.");
        assertThat(run.err()).contains("finish: stop");
        java.nio.file.Path file = dir.resolve("answer.gbnf");
        java.nio.file.Files.writeString(file, gbnf);
        CliRun fromFile = CliRun.of("generate", "--model", model.toString(), "--prompt", "Well?", "--seed", "3",
                "--temperature", "1.2", "--max-tokens", "30", "--threads", "1", "--grammar-file", file.toString());
        assertThat(fromFile.out()).isEqualTo(run.out());
        CliRun bad = CliRun.of("generate", "--model", model.toString(), "--prompt", "x", "--grammar", "root ::= nope");
        assertThat(bad.exitCode()).isEqualTo(1);
        assertThat(bad.err().strip().lines()).hasSize(1);
        assertThat(bad.err()).contains("--grammar").contains("'nope' is used but never defined");
    }

    @Test
    void batchScopeIsRefusedWithoutTheExplicitFlag() {
        CliRun run = CliRun.of("generate", "--model", model.toString(), "--prompt", "x", "--overflow", "drop",
                "--capacity-scope", "batch");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("--allow-cross-request-capacity");
    }

    @Test
    void badSamplingValuesAreOneLineErrors() {
        CliRun run = CliRun.of("generate", "--model", model.toString(), "--prompt", "x", "--top-p", "1.5");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err().strip().lines()).hasSize(1);
        assertThat(run.err()).contains("top_p");
    }

    @Test
    void benchJsonReportsEveryFigure() throws Exception {
        CliRun run = CliRun.of("bench", "--model", model.toString(), "--prompt-tokens", "8", "--gen-tokens", "3",
                "--batch", "1,2", "--repeat", "1", "--threads", "1", "--json", "--overflow", "drop");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("prefill_tok_s").asDouble()).isPositive();
        assertThat(json.get("decode_tok_s").get("1").asDouble()).isPositive();
        assertThat(json.get("decode_tok_s").get("2").asDouble()).isPositive();
        assertThat(json.get("bandwidth_gb_s").asDouble()).isPositive();
        assertThat(json.get("decode_bound_tok_s").asDouble()).isPositive();
        assertThat(json.get("bound_fraction").asDouble()).isPositive();
        assertThat(json.get("dispatch").get("overflow").asText()).isEqualTo("drop");
        assertThat(json.get("dispatch").has("dropped_fraction")).isTrue();
    }

    @Test
    void aPredictionFileLeavesTheReplyAsItIsAndBenchMeasuresPredictionsThatHold() throws Exception {
        String[] base = {"generate", "--model", model.toString(), "--prompt", "The yard", "--max-tokens", "16",
                "--temperature", "0", "--threads", "1"};
        CliRun plain = CliRun.of(base);
        assertThat(plain.exitCode()).as(plain.err()).isZero();
        Path predicted = dir.resolve("prediction.txt");
        java.nio.file.Files.writeString(predicted, plain.out().strip());
        String[] with = java.util.Arrays.copyOf(base, base.length + 2);
        with[base.length] = "--prediction-file";
        with[base.length + 1] = predicted.toString();
        CliRun run = CliRun.of(with);
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).isEqualTo(plain.out());
        assertThat(run.err()).containsPattern("prediction: \\d+ tokens accepted, \\d+ rejected");
        with[base.length + 1] = dir.resolve("absent.txt").toString();
        CliRun missing = CliRun.of(with);
        assertThat(missing.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(missing.err()).contains("--prediction-file", "absent.txt");

        CliRun bench = CliRun.of("bench", "--model", model.toString(), "--prompt-tokens", "8", "--gen-tokens", "12",
                "--batch", "1", "--repeat", "1", "--threads", "1", "--json", "--predicted-outputs");
        assertThat(bench.exitCode()).as(bench.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(bench.out());
        assertThat(json.at("/decode_predicted_tok_s/1").asDouble()).isPositive();
        assertThat(json.get("accepted_prediction_tokens").asLong()).as("each reply its own prediction, all of it kept")
                .isPositive();
        assertThat(json.get("rejected_prediction_tokens").asLong()).isZero();
    }

    @Test
    void benchReportsThePredictorsPrecisionAndRecallPerLayerWhenOneIsSet() throws Exception {
        String[] args = {"bench", "--model", model.toString(), "--prompt-tokens", "8", "--gen-tokens", "6", "--batch", "1",
            "--repeat", "1", "--threads", "1", "--expert-memory", "50%", "--predictor", "affinity"};
        CliRun json = CliRun.of(concat(args, "--json"));
        assertThat(json.exitCode()).as(json.err()).isZero();
        JsonNode parsed = new ObjectMapper().readTree(json.out());
        assertThat(parsed.get("predictor").asText()).isEqualTo("affinity");
        JsonNode layers = parsed.get("predictor_by_layer").get("1");
        assertThat(layers.get("precision")).hasSize(2);
        assertThat(layers.get("recall")).hasSize(2);
        assertThat(layers.get("precision").get(0).isNull()).as("layer 0 is never predicted").isTrue();
        assertThat(layers.get("recall").get(1).asDouble()).isBetween(0.0, 1.0);

        CliRun text = CliRun.of(args);
        assertThat(text.exitCode()).as(text.err()).isZero();
        assertThat(text.out()).contains("predictor affinity, decode at batch 1:").containsPattern("(?m)^ +1 +\\S+%? +\\S+%");
        CliRun none = CliRun.of("bench", "--model", model.toString(), "--prompt-tokens", "8", "--gen-tokens", "3",
                "--batch", "1", "--repeat", "1", "--threads", "1", "--expert-memory", "50%", "--json");
        assertThat(new ObjectMapper().readTree(none.out()).has("predictor_by_layer")).as("no predictor").isFalse();
    }

    private static String[] concat(String[] args, String more) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = more;
        return all;
    }
}
