package dev.switchyard.loadtest.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Bad command lines exit with 2 and name the flag; an unreachable server exits with 1. */
class UsageErrorsTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "--grpc localhost:50051 --url http://h:1        | --url and --grpc exclude each other",
            "--grpc localhost                                | --grpc must be HOST:PORT",
            "--grpc localhost:http                           | --grpc must be HOST:PORT",
            "--grpc h:1 --api chat                           | --api chooses an OpenAI HTTP endpoint",
            "--num-requests 5                                | --url or --grpc is required",
            "--url localhost:8000                            | --url must be an http",
            "--url http://h:1 --request-rate fast           | '--request-rate'",
            "--url http://h:1 --request-rate 0              | '--request-rate': a request rate must be positive",
            "--url http://h:1 --input-len 9-3               | '--input-len'",
            "--url http://h:1 --output-len 0                | --output-len must be at least 1",
            "--url http://h:1 --cancel-rate 1.5             | --cancel-rate must be between 0 and 1",
            "--url http://h:1 --slo ttft:x                  | '--slo'",
            "--url http://h:1 --slo latency:5               | unknown objective 'latency'",
            "--url http://h:1 --burstiness 0                | --burstiness must be a positive number",
            "--url http://h:1 --request-rate 2 --sweep-rate 1,2 | --request-rate and --sweep-rate exclude each other",
            "--url http://h:1 --num-requests 0              | --num-requests must be at least 1",
            "--url http://h:1 --max-concurrency -1          | --max-concurrency must be at least 1",
            "--url http://h:1 --temperature -0.5            | --temperature must be a number of at least 0",
            "--url http://h:1 --top-p 0                     | --top-p must be in (0, 1], got 0.0",
            "--url http://h:1 --top-k 0                     | --top-k must be at least 1, got 0",
            "--url http://h:1 --min-p 1.5                   | --min-p must be in [0, 1], got 1.5",
    })
    void badFlagsAreUsageErrorsNamingTheFlag(String args, String message) {
        CliRun run = CliRun.of(args.strip().split("\\s+"));
        assertThat(run.exitCode()).isEqualTo(2);
        assertThat(run.err()).contains(message).contains("switchyard loadtest --help");
    }

    @Test
    void anUnreachableServerIsAnErrorSayingSo() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        CliRun run = CliRun.of("--url", "http://127.0.0.1:" + port, "--num-requests", "1");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("cannot discover the model").contains("--model");
    }

    @Test
    void anUnreachableGrpcServerIsAnErrorSayingSo() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        CliRun run = CliRun.of("--grpc", "127.0.0.1:" + port, "--num-requests", "1");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).contains("cannot discover the model").contains("GetModelInfo").contains("UNAVAILABLE")
                .contains("--model");
    }

    @Test
    void helpListsTheWorkloadFlags() {
        CliRun run = CliRun.of("--help");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("--grpc", "--request-rate", "--burstiness", "--cancel-rate", "--slo", "--sweep-rate", "--report-html");
    }
}
