package dev.switchyard.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code switchyard perplexity} scores a text in chunks, gives the same figure however many chunks
 * share a batch, counts the second half of each chunk, and names what is wrong with its input.
 */
class PerplexityCommandTest {

    @TempDir
    static Path dir;
    static Path model;
    static Path text;

    @BeforeAll
    static void write() throws Exception {
        model = dir.resolve("tiny.gguf");
        CliRun.mixtral(model, 2, 256);
        StringBuilder words = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            words.append("the yard sorts car ").append(i % 37).append(i % 5 == 0 ? ".\n" : " ");
        }
        text = dir.resolve("text.txt");
        Files.writeString(text, words);
    }

    private static CliRun perplexity(String... extra) {
        String[] args = new String[7 + extra.length];
        System.arraycopy(new String[] {"perplexity", "--model", model.toString(), "--file", text.toString(), "--threads", "1"},
                0, args, 0, 7);
        System.arraycopy(extra, 0, args, 7, extra.length);
        return CliRun.of(args);
    }

    @Test
    void theFigureDoesNotDependOnHowManyChunksShareABatch() throws Exception {
        CliRun alone = perplexity("--context", "64", "--chunks", "5", "--parallel", "1", "--json");
        CliRun together = perplexity("--context", "64", "--chunks", "5", "--parallel", "3", "--json");
        assertThat(alone.exitCode()).as(alone.err()).isZero();
        assertThat(together.exitCode()).as(together.err()).isZero();
        JsonNode a = new ObjectMapper().readTree(alone.out());
        JsonNode b = new ObjectMapper().readTree(together.out());
        assertThat(a.get("perplexity").asDouble()).isEqualTo(b.get("perplexity").asDouble()).isGreaterThan(1.0);
        assertThat(a.get("uncertainty").asDouble()).isEqualTo(b.get("uncertainty").asDouble()).isPositive();
        assertThat(a.get("chunks").asInt()).isEqualTo(5);
        assertThat(a.get("tokens_counted").asInt()).as("the second half of each chunk").isEqualTo(5 * (64 - 1 - 32));
    }

    @Test
    void textOutputShowsTheRunningEstimateThenTheFinalOne() throws Exception {
        CliRun run = perplexity("--context", "64", "--chunks", "3");
        assertThat(run.exitCode()).as(run.err()).isZero();
        Matcher running = Pattern.compile("\\[(\\d+)\\](\\d+\\.\\d{4}),").matcher(run.out());
        int seen = 0;
        String last = null;
        while (running.find()) {
            assertThat(Integer.parseInt(running.group(1))).isEqualTo(++seen);
            last = running.group(2);
        }
        assertThat(seen).isEqualTo(3);
        assertThat(run.out()).contains("Final estimate: PPL = " + last + " +/- ");
        assertThat(run.err()).contains("chunks of 64, 31 counted per chunk");
        JsonNode json = new ObjectMapper().readTree(perplexity("--context", "64", "--chunks", "3", "--json").out());
        assertThat(String.format(java.util.Locale.ROOT, "%.4f", json.get("perplexity").asDouble())).isEqualTo(last);
    }

    @Test
    void badInputIsNamed() {
        CliRun tooLong = perplexity("--context", "100000");
        assertThat(tooLong.exitCode()).isNotZero();
        assertThat(tooLong.err()).contains("--context 100000 is longer than the model's context of 256");
        CliRun tooFew = perplexity("--context", "256");
        assertThat(tooFew.exitCode()).as(tooFew.err()).isZero(); // the text holds several chunks of 256
        CliRun missing = CliRun.of("perplexity", "--model", model.toString(), "--file", dir.resolve("none.txt").toString());
        assertThat(missing.exitCode()).isNotZero();
        assertThat(missing.err()).contains("none.txt").contains("cannot read it");
        CliRun parallel = perplexity("--parallel", "0");
        assertThat(parallel.exitCode()).isNotZero();
        assertThat(parallel.err()).contains("--parallel must be in 1..64");
    }

    @Test
    void aModelComparedWithItsOwnSavedPredictionsDivergesByNothingAndAnotherQuantizationBySomething() throws Exception {
        Path base = dir.resolve("base.sykl");
        CliRun saved = perplexity("--context", "64", "--chunks", "3", "--save-base", base.toString(), "--kl-top", "32",
                "--json");
        assertThat(saved.exitCode()).as(saved.err()).isZero();
        double basePpl = new ObjectMapper().readTree(saved.out()).get("perplexity").asDouble();
        // the base file holds the tokens: no --file needed, and its context is the base's
        CliRun self = CliRun.of("perplexity", "--model", model.toString(), "--compare-base", base.toString(), "--json",
                "--threads", "1", "--parallel", "2");
        assertThat(self.exitCode()).as(self.err()).isZero();
        JsonNode same = new ObjectMapper().readTree(self.out());
        assertThat(same.at("/kl_divergence/mean").asDouble()).isZero();
        assertThat(same.at("/kl_divergence/max").asDouble()).isZero();
        assertThat(same.get("same_top").asDouble()).isEqualTo(1.0);
        // the base file keeps log-probabilities as floats
        assertThat(same.get("perplexity").asDouble()).isEqualTo(basePpl)
                .isCloseTo(same.get("base_perplexity").asDouble(), org.assertj.core.api.Assertions.withinPercentage(1e-4));
        assertThat(same.get("tokens_counted").asInt()).isEqualTo(3 * 31);

        Path coarse = dir.resolve("tiny-q4.gguf");
        CliRun made = CliRun.of("make-model", "--arch", "mixtral", "--layers", "2", "--context", "256", "--dtype", "q4_0",
                "-o", coarse.toString());
        assertThat(made.exitCode()).as(made.err()).isZero();
        CliRun other = CliRun.of("perplexity", "--model", coarse.toString(), "--compare-base", base.toString(),
                "--file", text.toString(), "--threads", "1");
        assertThat(other.exitCode()).as(other.err()).isZero();
        assertThat(other.out()).contains("Mean KLD").contains("Same top token").contains("Base PPL");
        Matcher mean = Pattern.compile("Mean KLD\\s+: (\\d+\\.\\d+)").matcher(other.out());
        assertThat(mean.find()).as(other.out()).isTrue();
        assertThat(Double.parseDouble(mean.group(1))).as("another quantization of the same weights").isPositive();
    }

    @Test
    void aBaseFileMeetsOnlyTheTextAndVocabularyItWasMadeWith() throws Exception {
        Path base = dir.resolve("base-64.sykl");
        assertThat(perplexity("--context", "64", "--chunks", "2", "--save-base", base.toString()).exitCode()).isZero();
        Path otherText = dir.resolve("other.txt");
        Files.writeString(otherText, "a different text entirely. ".repeat(200));
        CliRun wrongText = CliRun.of("perplexity", "--model", model.toString(), "--compare-base", base.toString(),
                "--file", otherText.toString());
        assertThat(wrongText.exitCode()).isNotZero();
        assertThat(wrongText.err()).contains("does not read as the text").contains("chunk 1 differs");
        Path notBase = dir.resolve("not-base.sykl");
        Files.writeString(notBase, "hello");
        CliRun garbage = CliRun.of("perplexity", "--model", model.toString(), "--compare-base", notBase.toString());
        assertThat(garbage.exitCode()).isNotZero();
        assertThat(garbage.err()).contains("not a base distributions file");
        CliRun both = perplexity("--save-base", base.toString(), "--compare-base", base.toString());
        assertThat(both.exitCode()).isNotZero();
        assertThat(both.err()).contains("one or the other");
        CliRun noText = CliRun.of("perplexity", "--model", model.toString());
        assertThat(noText.exitCode()).isNotZero();
        assertThat(noText.err()).contains("--file is required");
    }

    @Test
    void aTextShorterThanOneChunkIsRefused() throws Exception {
        Path shortText = dir.resolve("short.txt");
        Files.writeString(shortText, "only a few words");
        CliRun run = CliRun.of("perplexity", "--model", model.toString(), "--file", shortText.toString(), "--context", "64");
        assertThat(run.exitCode()).isNotZero();
        assertThat(run.err()).contains("fewer than one chunk of 64");
    }
}
