package dev.switchyard.loadtest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchyard.loadtest.live.LiveSwitchyard;
import dev.switchyard.loadtest.report.LoadTestResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code --lora-modules}: a run spread over a server's LoRA adapters and its base model, each
 * request naming the next in turn, as the server's own count of sequences per adapter shows.
 */
class LoraModulesLoadTest {

    @Test
    void requestsAreSpreadOverTheNamedAdaptersInTurn() throws Exception {
        try (LiveSwitchyard server = LiveSwitchyard.withAdapters(4, List.of("sql", "chat"))) {
            CommandLine cli = LoadTestCli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                    false);
            cli.parseArgs("--url", server.httpUrl().toString(), "--num-requests", "6", "--warmup", "0", "--input-len", "16",
                    "--output-len", "4", "--max-concurrency", "3", "--seed", "5", "--lora-modules", "sql,chat,tiny");
            LoadTest test = new LoadTest(((LoadTestCli) cli.getCommand()).settings(), new PrintWriter(new StringWriter()),
                    new PrintWriter(new StringWriter(), true));
            LoadTestResult result = test.measure();
            assertThat(result.runs().getFirst().summary().completed()).isEqualTo(6);
            assertThat(result.model()).isEqualTo("sql,chat,tiny");
            String metric = "switchyard_lora_requests_total";
            assertThat(server.metric(metric, "adapter=\"sql\"")).isEqualTo(2);
            assertThat(server.metric(metric, "adapter=\"chat\"")).isEqualTo(2);
        }
    }

    @Test
    void loraModulesAndModelDoNotGoTogether() {
        CommandLine cli = LoadTestCli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()),
                false);
        cli.parseArgs("--url", "http://127.0.0.1:1", "--model", "m", "--lora-modules", "a,b");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ((LoadTestCli) cli.getCommand()).settings())
                .hasMessageContaining("--lora-modules names the models: leave out --model");
    }
}
