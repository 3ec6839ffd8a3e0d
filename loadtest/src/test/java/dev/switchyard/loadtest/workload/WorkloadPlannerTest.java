package dev.switchyard.loadtest.workload;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkloadPlannerTest {

    /** A tokenizer unlike one token per word: words longer than five letters are two tokens. */
    private static final TokenCounter TWO_FOR_LONG = text -> {
        int n = 0;
        for (String w : text.strip().split("\\s+")) {
            n += w.isEmpty() ? 0 : w.length() > 5 ? 2 : 1;
        }
        return n;
    };

    @TempDir
    Path dir;

    private static WorkloadSpec spec(int n, IntRange in, int prefix, double cancelRate) {
        return new WorkloadSpec(n, 2, in, IntRange.parse("4-9"), prefix, null, cancelRate, IntRange.parse("10-20"), 5);
    }

    @Test
    void calibratedPromptsHitTheirTokenTargets() throws Exception {
        PromptCalibrator c = PromptCalibrator.measured(TWO_FOR_LONG);
        WorkloadPlanner.Plan plan = new WorkloadPlanner(spec(30, IntRange.parse("20-200"), 0, 0), c, null).plan();
        for (PlannedRequest r : plan.measured()) {
            assertThat(TWO_FOR_LONG.count(r.prompt())).isEqualTo(r.inputTokens());
            assertThat(r.inputTokens()).isBetween(19, 201);
            assertThat(r.maxTokens()).isBetween(4, 9);
        }
        assertThat(c.report().method()).isEqualTo("tokenize");
        assertThat(c.report().tokensPerWord()).isGreaterThan(1.0);
        assertThat(c.report().meanAbsError()).isLessThanOrEqualTo(0.5);
    }

    @Test
    void aSharedPrefixStartsEveryPrompt() throws Exception {
        PromptCalibrator c = PromptCalibrator.measured(TWO_FOR_LONG);
        List<PlannedRequest> rs = new WorkloadPlanner(spec(5, IntRange.fixed(30), 50, 0), c, null).plan().measured();
        String first = rs.getFirst().prompt();
        String prefix = first.substring(0, first.length() / 2);
        for (PlannedRequest r : rs) {
            assertThat(r.prompt()).startsWith(prefix);
            assertThat(r.inputTokens()).isBetween(79, 81);
        }
        assertThat(rs.get(1).prompt()).isNotEqualTo(first);
    }

    @Test
    void aSeedFixesPromptsLengthsAndCancellations() throws Exception {
        WorkloadSpec spec = spec(40, IntRange.parse("5-50"), 0, 0.3);
        WorkloadPlanner.Plan a = new WorkloadPlanner(spec, PromptCalibrator.approximate(), null).plan();
        WorkloadPlanner.Plan b = new WorkloadPlanner(spec, PromptCalibrator.approximate(), null).plan();
        assertThat(a).isEqualTo(b);
        long cancels = a.measured().stream().filter(PlannedRequest::cancels).count();
        assertThat(cancels).isBetween(4L, 20L);
        assertThat(a.warmup()).hasSize(2).noneMatch(PlannedRequest::cancels);
        assertThat(a.measured()).allSatisfy(r -> assertThat(r.prompt().split(" ")).hasSize(r.inputTokens()));
        assertThat(a.measured().stream().filter(PlannedRequest::cancels))
                .allSatisfy(r -> assertThat(r.cancelAfterNanos()).isBetween(10_000_000L, 20_000_000L));
    }

    @Test
    void datasetPromptsCycleAndKeepTheirOutputLengths() throws Exception {
        Path file = dir.resolve("p.jsonl");
        Files.writeString(file, "{\"prompt\": \"hello there\", \"output_len\": 7}\n\n{\"prompt\": \"one two three\"}\n");
        WorkloadSpec spec = new WorkloadSpec(3, 0, IntRange.fixed(1), IntRange.fixed(11), 0, file, 0, IntRange.fixed(0), 1);
        List<PlannedRequest> rs = new WorkloadPlanner(spec, PromptCalibrator.approximate(), DatasetPrompts.read(file)).plan().measured();
        assertThat(rs).extracting(PlannedRequest::prompt).containsExactly("hello there", "one two three", "hello there");
        assertThat(rs).extracting(PlannedRequest::maxTokens).containsExactly(7, 11, 7);
        assertThat(rs).extracting(PlannedRequest::inputTokens).containsExactly(2, 3, 2);
    }

    @Test
    void malformedDatasetLinesAreNamed() throws IOException {
        Path file = dir.resolve("bad.jsonl");
        Files.writeString(file, "{\"prompt\": \"ok\"}\n{\"text\": \"no prompt\"}\n");
        assertThatThrownBy(() -> DatasetPrompts.read(file)).isInstanceOf(IOException.class).hasMessageContaining("bad.jsonl:2");
    }

    @Test
    void rangesParse() {
        assertThat(IntRange.parse("128")).isEqualTo(new IntRange(128, 128));
        assertThat(IntRange.parse("64-256")).isEqualTo(new IntRange(64, 256));
        assertThat(IntRange.parse("64:256")).isEqualTo(new IntRange(64, 256));
        assertThatThrownBy(() -> IntRange.parse("9-3")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IntRange.parse("a-b")).isInstanceOf(IllegalArgumentException.class);
    }
}
