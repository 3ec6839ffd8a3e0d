package dev.switchyard.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.cache.report.SimCsv;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TraceSimCommandsTest {

    @TempDir
    static Path dir;
    static Path model;
    static Path synth;

    @BeforeAll
    static void writeModelAndSyntheticTrace() {
        model = dir.resolve("tiny.gguf");
        CliRun.mixtral(model, 3, 256);
        synth = dir.resolve("synth.trace");
        CliRun run = CliRun.of("trace", "synth", "--layers", "8", "--requests", "2", "--tokens", "100", "-o", synth.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
    }

    @Test
    void recordWritesATraceThatStatsAndSimRead() throws Exception {
        Path trace = dir.resolve("run.trace");
        CliRun record = CliRun.of("trace", "record", "--model", model.toString(), "--prompt", "The yard", "--prompt", "Hi",
                "--max-tokens", "6", "--threads", "1", "--gate-depth", "2", "-o", trace.toString());
        assertThat(record.exitCode()).as(record.err()).isZero();
        assertThat(record.err()).contains("3 layers x 8 experts top-2");
        CliRun stats = CliRun.of("trace", "stats", trace.toString());
        assertThat(stats.exitCode()).as(stats.err()).isZero();
        assertThat(stats.out()).contains("(10 decode)").contains("gate proposals: 2 layer(s) ahead");
        Path csv = dir.resolve("recorded.csv");
        CliRun sim = CliRun.of("sim", "--trace", trace.toString(), "--cache", "50%", "--policy", "lru,predictive,opt",
                "--predictor", "gate", "--shape", "trace", "--csv", csv.toString());
        assertThat(sim.exitCode()).as(sim.err()).isZero();
        assertThat(sim.out()).contains("predictor gate: precision / recall");
        assertThat(Files.readAllLines(csv)).hasSize(4);
    }

    @Test
    void simWritesTheDocumentedCsvAndAChart() throws Exception {
        Path csv = dir.resolve("sim.csv");
        Path chart = dir.resolve("hit.svg");
        CliRun run = CliRun.of("sim", "--trace", synth + "," + synth, "--cache", "25%,0.5",
                "--policy", "lru,lfu,caffeine,predictive,opt", "--csv", csv.toString(), "--chart", chart.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> lines = Files.readAllLines(csv);
        assertThat(lines.getFirst()).isEqualTo(
                "policy,cache_fraction,hit_rate,demand_miss_rate,prefetch_precision,bytes_per_token,stall_s_per_token,predicted_tok_s");
        assertThat(lines.getFirst()).isEqualTo(SimCsv.HEADER);
        assertThat(lines).hasSize(1 + 2 * 5);
        assertThat(lines.get(1)).startsWith("lru,0.25,");
        assertThat(lines.get(4)).startsWith("predictive,0.25,");
        assertThat(lines.get(4).split(",", -1)[4]).isNotEmpty();  // prefetch precision
        assertThat(lines.get(1).split(",", -1)[4]).isEmpty();     // lru prefetches nothing
        assertThat(lines.get(6)).startsWith("lru,0.5,");
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            assertThat(f).hasSize(8);
            double hit = Double.parseDouble(f[2]);
            assertThat(hit + Double.parseDouble(f[3])).isCloseTo(1.0, org.assertj.core.api.Assertions.within(1e-5));
            assertThat(Double.parseDouble(f[7])).isPositive();
        }
        assertThat(Files.readString(chart)).contains("<svg");
    }

    @Test
    void badValuesAreUsageErrorsThatSayWhatIsAccepted() {
        CliRun cache = CliRun.of("sim", "--trace", synth.toString(), "--cache", "150%");
        assertThat(cache.exitCode()).isEqualTo(CliErrors.USAGE);
        assertThat(cache.err()).contains("must be above 0 and at most 100%");
        CliRun policy = CliRun.of("sim", "--trace", synth.toString(), "--policy", "lru,fifo");
        assertThat(policy.exitCode()).isEqualTo(CliErrors.USAGE);
        assertThat(policy.err()).contains("unknown policy 'fifo'").contains("caffeine");
        CliRun predictor = CliRun.of("sim", "--trace", synth.toString(), "--predictor", "oracle");
        assertThat(predictor.exitCode()).isEqualTo(CliErrors.USAGE);
        CliRun depth = CliRun.of("sim", "--trace", synth.toString(), "--prefetch-depth", "0");
        assertThat(depth.exitCode()).isEqualTo(CliErrors.USAGE);
        assertThat(depth.err()).contains("--prefetch-depth must be at least 1");
        CliRun synthBad = CliRun.of("trace", "synth", "--top-k", "9", "-o", dir.resolve("x.trace").toString());
        assertThat(synthBad.exitCode()).isEqualTo(CliErrors.USAGE);
        assertThat(dir.resolve("x.trace")).doesNotExist();
    }

    @Test
    void aMalformedTraceIsBadInputNamingTheOffset() throws Exception {
        Path bad = dir.resolve("bad.trace");
        byte[] bytes = Files.readAllBytes(synth);
        Files.write(bad, java.util.Arrays.copyOf(bytes, bytes.length - 5));
        CliRun run = CliRun.of("sim", "--trace", bad.toString());
        assertThat(run.exitCode()).isEqualTo(CliErrors.BAD_INPUT);
        assertThat(run.err()).contains("malformed routing trace: truncated").contains("offset");
    }
}
